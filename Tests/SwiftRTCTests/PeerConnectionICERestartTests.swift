import Crypto
import Foundation
import RTCTestSupport
import SwiftRTC
import Testing

/// `restartIce()` on two SwiftRTC peers in one process: new credentials in both descriptions,
/// candidates trickled again, and a transfer in progress completes intact on the same channel.
@Suite("ICE restart between two SwiftRTC peers", .serialized)
struct PeerConnectionICERestartTests {
    static func ufrag(_ description: SessionDescription?) -> String? {
        description?.sdp.split(whereSeparator: \.isNewline).first { $0.hasPrefix("a=ice-ufrag:") }
            .map { String($0.dropFirst("a=ice-ufrag:".count)) }
    }

    static func hex(_ digest: SHA256.Digest) -> String { digest.map { String(format: "%02x", $0) }.joined() }

    /// `answererRestarts`: b (the first answerer) restarts and offers instead of a.
    @Test(arguments: [false, true])
    func aTransferInProgressSurvivesARestart(answererRestarts: Bool) async throws {
        try InteropEnvironment.requirePrivateNamespace()
        let client = WebRTCClient(engine: .native)
        let a = try await client.createPeerConnection()
        let b = try await client.createPeerConnection()
        let channel = try await a.createDataChannel("bulk")
        try await SwiftToSwiftDataChannelTests.connect(a, b)
        let remote = try await SwiftToSwiftDataChannelTests.firstOpen(b)
        let ufragA = try #require(Self.ufrag(await a.localDescription))
        let ufragB = try #require(Self.ufrag(await b.localDescription))

        let total = 2 * 1024 * 1024, chunk = 16 * 1024
        let receiver = Task {
            var hasher = SHA256()
            var received = 0
            while received < total {
                let bytes = try await remote.receiveBinary()
                hasher.update(data: bytes)
                received += bytes.count
            }
            return (Self.hex(hasher.finalize()), received)
        }
        var hasher = SHA256()
        var sent = 0
        var counter: UInt8 = 0
        var restarted = false
        while sent < total {
            let message = (0..<chunk).map { counter &+ UInt8(truncatingIfNeeded: $0 &* 7) }
            counter &+= 1
            hasher.update(data: message)
            try await channel.send(message)
            sent += chunk
            if !restarted && sent >= total / 2 {
                restarted = true
                // Half way: one side restarts ICE and renegotiates while data keeps flowing.
                let (offerer, answerer) = answererRestarts ? (b, a) : (a, b)
                let (oldOfferer, oldAnswerer) = answererRestarts ? (ufragB, ufragA) : (ufragA, ufragB)
                try await offerer.restartIce()
                let offer = try await offerer.createOffer()
                #expect(Self.ufrag(offer) != oldOfferer)
                try await offerer.setLocalDescription(offer)
                try await withTimeout(10, "gathering again") { try await offerer.awaitIceGatheringComplete() }
                try await answerer.setRemoteDescription(try #require(await offerer.localDescription))
                let answer = try await answerer.createAnswer()
                #expect(Self.ufrag(answer) != oldAnswerer)
                try await answerer.setLocalDescription(answer)
                try await offerer.setRemoteDescription(try #require(await answerer.localDescription))
            }
        }
        let (digest, received) = try await withTimeout(60, "the transfer") { try await receiver.value }
        #expect(received == total)
        #expect(digest == Self.hex(hasher.finalize()))
        #expect(Self.ufrag(await a.localDescription) != ufragA)
        #expect(Self.ufrag(await b.localDescription) != ufragB)
        let restartsA = await a.stats().iceRestarts, restartsB = await b.stats().iceRestarts
        #expect(restartsA == 1 && restartsB == 1)
        try await withTimeout(10, "ICE connected again") {
            while true {
                let iceA = await a.iceConnectionState, iceB = await b.iceConnectionState
                if iceA == .connected && iceB == .connected { return }
                try await Task.sleep(for: .milliseconds(20))
            }
        }
        let stateA = await a.connectionState, stateB = await b.connectionState
        #expect(stateA == .connected && stateB == .connected)
        try await channel.send("after")
        #expect(try await withTimeout(10, "b receiving") { try await remote.receiveText() } == "after")
        await a.close()
        await b.close()
    }

    /// The candidates stream yields new candidates under the new ufrag and an end marker again.
    @Test func candidatesAreTrickledAgainUnderTheNewUfrag() async throws {
        try InteropEnvironment.requirePrivateNamespace()
        let client = WebRTCClient(engine: .native)
        let a = try await client.createPeerConnection()
        let b = try await client.createPeerConnection()
        _ = try await a.createDataChannel("chat")
        try await SwiftToSwiftDataChannelTests.connect(a, b)
        _ = try await SwiftToSwiftDataChannelTests.firstOpen(b)
        try await a.restartIce()
        let offer = try await a.createOffer()
        #expect(!offer.sdp.contains("a=candidate"))
        let newUfrag = try #require(Self.ufrag(offer))
        try await a.setLocalDescription(offer)
        let trickled = try await withTimeout(10, "candidates after the restart") {
            var found: [ICECandidateInit] = []
            for await candidate in a.iceCandidates {
                if candidate.isEndOfCandidates, found.contains(where: { $0.usernameFragment == newUfrag }) { return found }
                found.append(candidate)
            }
            return found
        }
        let fresh = trickled.filter { $0.usernameFragment == newUfrag }
        #expect(!fresh.isEmpty)
        #expect(await a.iceGatheringState == .complete)
        await a.close()
        await b.close()
    }
}
