import Foundation
import RTCTestSupport
import SwiftRTC
import Testing

/// Swift↔Swift over real UDP on loopback, with the same workload as the aiortc and Chromium
/// interop tests, with the test's side as offerer and as answerer.
@Suite(.serialized) struct SwiftToSwiftInteropTests {
    /// `tested` drives the workload; the other connection runs `SwiftEchoPeer`.
    func run(testedOffers: Bool) async throws {
        try InteropEnvironment.requirePrivateNamespace()
        let client = WebRTCClient(engine: .native)
        let tested = try await client.createPeerConnection()
        let echo = try await client.createPeerConnection()
        let peer = SwiftEchoPeer(echo)
        let channel = try await tested.createDataChannel("chat")
        if testedOffers {
            try await SwiftToSwiftDataChannelTests.connect(tested, echo)
        } else {
            // The echo side offers (its SDP carries the application m-section without channels).
            try await SwiftToSwiftDataChannelTests.connect(echo, tested)
        }
        #expect(try await SwiftToSwiftDataChannelTests.opened(tested, label: "chat") === channel)
        try await AiortcDataChannelInteropTests.exerciseEcho(channel, count: 1000)
        try await BulkTransfer.run(on: tested, total: 50 << 20, chunk: 16 << 10)

        // The far side closing is seen here: our message sequence ends (a timeout or an error
        // thrown by the sequence fails the test), and ends cleanly: the echo peer treats "close"
        // as a command, so nothing arrives after it (an echoed "close", or a stale echo delivered
        // late, would show up here).
        try await channel.send("close")
        let afterClose = try await withTimeout(10, "the peer's close") { () -> [DataChannelMessage] in
            var received: [DataChannelMessage] = []
            for try await message in channel { received.append(message) }
            return received
        }
        #expect(afterClose.isEmpty, "messages after the peer's close: \(afterClose)")
        #expect(channel.state == .closed)

        // Our side closing is seen there.
        let second = try await tested.createDataChannel("second")
        _ = try await SwiftToSwiftDataChannelTests.opened(tested, label: "second")
        await second.close()
        let seen = try await withTimeout(10, "the peer to see our close") { () -> Bool in
            for await label in peer.closedLabels where label == "second" { return true }
            return false
        }
        #expect(seen)

        await tested.close()
        await echo.close()
        peer.task.cancel()
    }

    @Test func swiftOffersSwiftAnswersEchoesAndBulk() async throws {
        try await run(testedOffers: true)
    }

    @Test func swiftAnswersSwiftOffersEchoesAndBulk() async throws {
        try await run(testedOffers: false)
    }
}
