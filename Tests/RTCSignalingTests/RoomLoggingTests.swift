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
    static func room(port: Int, id: String, records: CapturedLogs, offersToNewMembers: Bool) -> RoomClient {
        let signaling = SignalingClient(url: "ws://127.0.0.1:\(port)/ws", peerID: id, roomID: "glare-logs",
                                        reconnectPolicy: .never, logger: records.logger(level: .info, label: "test"))
        var configuration = RoomClient.Configuration()
        configuration.offersToNewMembers = offersToNewMembers
        return RoomClient(webRTC: WebRTCClient(engine: .native), signaling: signaling, configuration: configuration,
                          logger: records.logger(level: .info, label: "test"))
    }

    /// Both sides offer at once (as in the mesh glare test): the impolite side logs that it
    /// ignores the offer, the polite side that it drops its own and answers; both log the
    /// connect, the join and the other member, tagged with their peer id and the room.
    @Test func glareDecisionsAndMembersAreLogged() async throws {
        try await withSignalingServer { _, port in
            let aLogs = CapturedLogs(), bLogs = CapturedLogs()
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
            #expect(aLogs.contains(.info, "glare: ignoring the offer (impolite)", ["member": "b", "peer": "a", "room": "glare-logs"]), "\(aLogs.records)")
            #expect(bLogs.contains(.info, "glare: dropping our offer and answering (polite)", ["member": "a", "peer": "b", "room": "glare-logs"]), "\(bLogs.records)")
            for (logs, me, other) in [(aLogs, "a", "b"), (bLogs, "b", "a")] {
                #expect(logs.contains(.info, "connected to the signaling server", ["peer": me, "room": "glare-logs"]), "\(logs.records)")
                #expect(logs.contains(.info, "joined the room", ["peer": me, "room": "glare-logs"]), "\(logs.records)")
                #expect(logs.contains(.info, "member joined", ["member": other, "peer": me, "room": "glare-logs"]), "\(logs.records)")
                #expect(logs.records.allSatisfy { $0.level >= .info })
            }
        }
    }
}
