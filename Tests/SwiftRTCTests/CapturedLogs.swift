import Foundation
import Logging

/// An in-memory log sink for tests: a `Logger` made by ``logger(level:)`` appends every record
/// it lets through here, where a test reads them back.
final class CapturedLogs: @unchecked Sendable {
    /// One log record.
    struct Record: Sendable, CustomStringConvertible {
        var level: Logger.Level
        var message: String
        var metadata: Logger.Metadata
        var description: String { "\(level) \(message) \(metadata.map { "\($0)=\($1)" }.sorted().joined(separator: " "))" }
        /// A metadata value as text (`nil` if absent).
        subscript(key: String) -> String? { metadata[key].map { "\($0)" } }
    }

    private let lock = NSLock()
    private var stored: [Record] = []

    /// Every record so far, oldest first.
    var records: [Record] { lock.withLock { stored } }

    /// The records carrying `pc=id`.
    func records(pc id: String) -> [Record] { records.filter { $0["pc"] == id } }

    fileprivate func append(_ record: Record) { lock.withLock { stored.append(record) } }

    /// A logger writing here, letting through `level` and above.
    func logger(level: Logger.Level) -> Logger {
        var logger = Logger(label: "swiftrtc", factory: { _ in Handler(sink: self) })
        logger.logLevel = level
        return logger
    }

    private struct Handler: LogHandler {
        let sink: CapturedLogs
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            sink.append(Record(level: event.level, message: event.message.description,
                               metadata: metadata.merging(event.metadata ?? [:]) { $1 }))
        }
    }
}
