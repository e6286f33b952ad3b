import Foundation
@testable import RTCSignaling
import RTCSignalingServer
import RTCTestSupport
import SwiftRTC
import Testing

/// A member of an SFU room whose connection to the server is replaced (what its client does
/// when that connection fails): the server sees an offer with another certificate, gives the
/// new connection a new session in the room, and chat flows through the SFU again both ways.
@Suite("SFU rooms: a member's new connection replaces its session at the server", .serialized)
struct SFUSessionReplacementTests {
    /// The channels to the server a room client opens, in order.
    final class Channels: @unchecked Sendable {
        private let lock = NSLock()
        private var opened: [DataChannel] = []
        private var task: Task<Void, Never>?

        init(_ room: RoomClient) {
            task = Task { [weak self] in
                for await item in room.dataChannels where item.peerID == SignalingClient.server {
                    self?.lock.withLock { self?.opened.append(item.channel) }
                }
            }
        }

        /// The `n`-th channel (from 1), once it is open.
        func number(_ n: Int) async throws -> DataChannel {
            try await waitForValue(20, "channel \(n) to the SFU") { lock.withLock { opened.count >= n ? opened[n - 1] : nil } }
        }
    }

    /// Sends `text` on `from` until `to` receives it (the relay drops messages for a member
    /// whose channel has not opened at the server yet).
    static func deliver(_ text: String, from: DataChannel, to: DataChannel) async throws {
        try await withTimeout(20, "\"\(text)\" through the SFU") {
            while true {
                try await from.send(text)
                let received = try? await withTimeout(1, "relay") { try await to.receiveText() }
                if received == text { return }
            }
        }
    }

    @Test func aNewConnectionGetsANewSessionAndChatFlowsAgain() async throws {
        try await withSignalingServer({ $0.sfu = SignalingSFUConfiguration() }) { _, port in
            let webRTC = WebRTCClient(engine: .native)
            func member(_ id: String) -> RoomClient {
                RoomClient(webRTC: webRTC, signaling: SignalingClient(url: "ws://127.0.0.1:\(port)/ws", peerID: id, roomID: "replace",
                                                                      reconnectPolicy: .never, mode: .sfu))
            }
            let a = member("a")
            let b = member("b")
            let aChannels = Channels(a)
            let bChannels = Channels(b)
            _ = try await withTimeout(15, "a joining") { try await a.join() }
            _ = try await withTimeout(15, "b joining") { try await b.join() }
            let aFirst = try await aChannels.number(1)
            let bChannel = try await bChannels.number(1)
            try await Self.deliver("one", from: aFirst, to: bChannel)
            let firstConnection = try #require(await a.connection(to: SignalingClient.server))

            await a.replaceConnection(to: SignalingClient.server)
            let aSecond = try await aChannels.number(2)
            #expect(await a.connectionsReplaced == 1)
            #expect(await a.connection(to: SignalingClient.server) !== firstConnection)
            try await Self.deliver("two", from: aSecond, to: bChannel)
            try await Self.deliver("three", from: bChannel, to: aSecond)
            #expect(await b.connectionsReplaced == 0, "b's connection was not touched")
            await a.close()
            await b.close()
        }
    }
}
