import Foundation
import Logging
import RTCSignaling
import RTCTestSupport
import SwiftRTC
import Testing

/// What the room and signaling clients log: joins, members and glare decisions at info, each
/// record carrying our peer id and the room id.
@Suite("Room client logs", .serialized)
struct RoomLoggingTests {
    /// Records kept in memory.
    final class Records: @unchecked Sendable {
        private let lock = NSLock()
        private var stored: [(level: Logger.Level, message: String, metadata: Logger.Metadata)] = []
        var all: [(level: Logger.Level, message: String, metadata: Logger.Metadata)] { lock.withLock { stored } }
        func append(_ record: (level: Logger.Level, message: String, metadata: Logger.Metadata)) { lock.withLock { stored.append(record) } }

        func logger() -> Logger {
            var logger = Logger(label: "test", factory: { _ in Handler(sink: self) })
            logger.logLevel = .info
            return logger
        }

        /// Whether a record with `message` at `level` carries every pair of `metadata`.
        func contains(_ level: Logger.Level, _ message: String, _ metadata: [String: String]) -> Bool {
            all.contains { record in
                record.level == level && record.message == message
                    && metadata.allSatisfy { key, value in record.metadata[key].map { "\($0)" } == value }
            }
        }
    }

    struct Handler: LogHandler {
        let sink: Records
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace
        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }
        func log(event: LogEvent) {
            sink.append((event.level, event.message.description, metadata.merging(event.metadata ?? [:]) { $1 }))
        }
    }

    static func room(port: Int, id: String, records: Records, offersToNewMembers: Bool) -> RoomClient {
        let signaling = SignalingClient(url: "ws://127.0.0.1:\(port)/ws", peerID: id, roomID: "glare-logs",
                                        reconnectPolicy: .never, logger: records.logger())
        var configuration = RoomClient.Configuration()
        configuration.offersToNewMembers = offersToNewMembers
        return RoomClient(webRTC: WebRTCClient(engine: .native), signaling: signaling, configuration: configuration,
                          logger: records.logger())
    }

    /// Both sides offer at once (as in the mesh glare test): the impolite side logs that it
    /// ignores the offer, the polite side that it drops its own and answers; both log the
    /// connect, the join and the other member, tagged with their peer id and the room.
    @Test func glareDecisionsAndMembersAreLogged() async throws {
        try await withSignalingServer { _, port in
            let aLogs = Records(), bLogs = Records()
            let a = Self.room(port: port, id: "a", records: aLogs, offersToNewMembers: true)
            let b = Self.room(port: port, id: "b", records: bLogs, offersToNewMembers: false)
            try await a.join()
            try await b.join()
            try await withTimeout(20, "a connection each way") {
                while true {
                    let ab = await a.connection(to: "b")?.connectionState
                    let ba = await b.connection(to: "a")?.connectionState
                    if ab == .connected && ba == .connected { return }
                    try await Task.sleep(for: .milliseconds(20))
                }
            }
            await a.close()
            await b.close()
            #expect(await a.glaresResolved == 1)
            #expect(await b.glaresResolved == 1)
            // "a" < "b": b is polite and gives way, a ignores b's offer.
            #expect(aLogs.contains(.info, "glare: ignoring the offer (impolite)", ["member": "b", "peer": "a", "room": "glare-logs"]), "\(aLogs.all)")
            #expect(bLogs.contains(.info, "glare: dropping our offer and answering (polite)", ["member": "a", "peer": "b", "room": "glare-logs"]), "\(bLogs.all)")
            for (logs, me, other) in [(aLogs, "a", "b"), (bLogs, "b", "a")] {
                #expect(logs.contains(.info, "connected to the signaling server", ["peer": me, "room": "glare-logs"]), "\(logs.all)")
                #expect(logs.contains(.info, "joined the room", ["peer": me, "room": "glare-logs"]), "\(logs.all)")
                #expect(logs.contains(.info, "member joined", ["member": other, "peer": me, "room": "glare-logs"]), "\(logs.all)")
                #expect(logs.all.allSatisfy { $0.level >= .info })
            }
        }
    }
}
