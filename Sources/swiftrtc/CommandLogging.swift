import ArgumentParser
import Foundation
import Logging

/// `--log-level trace|debug|info|notice|warning|error|critical`: a value outside the list is
/// refused by the parser, which names the accepted ones.
extension Logger.Level: @retroactive ExpressibleByArgument {}

/// The process-wide logging set-up of the `swiftrtc` commands.
enum CommandLogging {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var bootstrapped = false

    /// Sends every log record at `level` or above to standard error, once per process (the
    /// first call wins; `LoggingSystem` can be bootstrapped only once). Call it before making
    /// any logger, so loggers made with `Logger(label:)` follow it.
    static func bootstrap(level: Logger.Level) {
        lock.withLock {
            guard !bootstrapped else { return }
            bootstrapped = true
            LoggingSystem.bootstrap { label in
                var handler = StreamLogHandler.standardError(label: label)
                handler.logLevel = level
                return handler
            }
        }
    }

    /// A logger labelled `label` at `level` (after ``bootstrap(level:)``).
    static func logger(_ label: String, level: Logger.Level) -> Logger {
        bootstrap(level: level)
        var logger = Logger(label: label)
        logger.logLevel = level
        return logger
    }
}
