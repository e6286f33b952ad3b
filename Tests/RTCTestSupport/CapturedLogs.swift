import Foundation
import Logging

/// An in-memory log sink for tests: a `Logger` made by ``logger(level:label:)`` appends every
/// record it lets through here, where a test reads them back (or prints the last ones when it
/// fails).
public final class CapturedLogs: @unchecked Sendable {
    /// One log record.
    public struct Record: Sendable, CustomStringConvertible {
        public var level: Logger.Level
        public var message: String
        public var metadata: Logger.Metadata
        public var label: String
        public var description: String {
            "\(label) \(level) \(message) \(metadata.map { "\($0)=\($1)" }.sorted().joined(separator: " "))"
        }
        /// A metadata value as text (`nil` if absent).
        public subscript(key: String) -> String? { metadata[key].map { "\($0)" } }
    }

    private let lock = NSLock()
    private var stored: [Record] = []

    public init() {}

    /// Every record so far, oldest first.
    public var records: [Record] { lock.withLock { stored } }

    /// The records carrying `pc=id`.
    public func records(pc id: String) -> [Record] { records.filter { $0["pc"] == id } }

    /// Whether a record with `message` at `level` carries every pair of `metadata`.
    public func contains(_ level: Logger.Level, _ message: String, _ metadata: [String: String]) -> Bool {
        records.contains { record in
            record.level == level && record.message == message && metadata.allSatisfy { record[$0.key] == $0.value }
        }
    }

    /// The last `count` records, one per line (for a failing test's message).
    public func tail(_ count: Int) -> String {
        records.suffix(count).map(\.description).joined(separator: "\n")
    }

    fileprivate func append(_ record: Record) { lock.withLock { stored.append(record) } }

    /// A logger writing here, letting through `level` and above.
    public func logger(level: Logger.Level, label: String = "swiftrtc") -> Logger {
        var logger = Logger(label: label, factory: { label in self.handler(label: label) })
        logger.logLevel = level
        return logger
    }

    /// A handler writing here (to combine with others in a `MultiplexLogHandler`).
    public func handler(label: String, level: Logger.Level = .trace) -> any LogHandler {
        var handler = Handler(sink: self, label: label)
        handler.logLevel = level
        return handler
    }

    private struct Handler: LogHandler {
        let sink: CapturedLogs
        let label: String
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            sink.append(Record(level: event.level, message: event.message.description,
                               metadata: metadata.merging(event.metadata ?? [:]) { $1 }, label: label))
        }
    }
}
