import Foundation
import RTCTestSupport
import SwiftRTC
import Testing

/// Two SwiftRTC peer connections in one process with trickle ICE: descriptions are sent
/// straight after `setLocalDescription`, candidates follow through `iceCandidates` /
/// `addIceCandidate`.
@Suite(.serialized) struct SwiftToSwiftTrickleTests {
    /// Reads `pc`'s candidates up to and including end-of-candidates.
    static func gathered(_ pc: PeerConnection) async throws -> [ICECandidateInit] {
        try await withTimeout(10, "candidates") {
            var all: [ICECandidateInit] = []
            for await candidate in pc.iceCandidates {
                all.append(candidate)
                if candidate.isEndOfCandidates { return all }
            }
            throw TestTimeout(what: "iceCandidates ended before end-of-candidates")
        }
    }

    static func exchangeAndClose(_ a: PeerConnection, _ b: PeerConnection, local: DataChannel) async throws {
        let opened = try await SwiftToSwiftDataChannelTests.firstOpen(a)
        #expect(opened === local)
        let remote = try await SwiftToSwiftDataChannelTests.firstOpen(b)
        #expect(remote.label == "chat")
        try await local.send("hello")
        #expect(try await withTimeout(5, "text") { try await remote.receiveText() } == "hello")
        try await remote.send([1, 2, 3])
        #expect(try await withTimeout(5, "binary") { try await local.receiveBinary() } == [1, 2, 3])
        await local.close()
        let ended = try await withTimeout(10, "remote channel close") { () -> Bool in
            for try await _ in remote {}
            return true
        }
        #expect(ended)
        await a.close()
        await b.close()
    }

    /// Every candidate reaches the other side BEFORE the description it belongs to: the
    /// connections must keep them and use them once the description is set.
    @Test func candidatesArrivingBeforeTheDescriptionAreUsed() async throws {
        try InteropEnvironment.requirePrivateNamespace()
        let client = WebRTCClient(engine: .native)
        let a = try await client.createPeerConnection()
        let b = try await client.createPeerConnection()
        let local = try await a.createDataChannel("chat")

        let offer = try await a.createOffer()
        try await a.setLocalDescription(offer)
        #expect(!offer.sdp.contains("a=candidate"))
        let fromA = try await Self.gathered(a)
        #expect(fromA.count >= 2)  // at least one host candidate and end-of-candidates
        for candidate in fromA { try await b.addIceCandidate(candidate) }
        try await b.setRemoteDescription(offer)

        let answer = try await b.createAnswer()
        try await b.setLocalDescription(answer)
        #expect(!answer.sdp.contains("a=candidate"))
        let fromB = try await Self.gathered(b)
        for candidate in fromB { try await a.addIceCandidate(candidate) }
        try await a.setRemoteDescription(answer)

        try await Self.exchangeAndClose(a, b, local: local)
    }

    /// Candidates are forwarded concurrently as they come, while the descriptions travel.
    @Test func candidatesForwardedAsTheyComeWhileDescriptionsTravel() async throws {
        try InteropEnvironment.requirePrivateNamespace()
        let client = WebRTCClient(engine: .native)
        let a = try await client.createPeerConnection()
        let b = try await client.createPeerConnection()
        let local = try await a.createDataChannel("chat")
        let aToB = Task { for await c in a.iceCandidates { try await b.addIceCandidate(c) } }
        let bToA = Task { for await c in b.iceCandidates { try await a.addIceCandidate(c) } }

        let offer = try await a.createOffer()
        try await a.setLocalDescription(offer)
        try await b.setRemoteDescription(offer)
        let answer = try await b.createAnswer()
        try await b.setLocalDescription(answer)
        try await a.setRemoteDescription(answer)

        try await Self.exchangeAndClose(a, b, local: local)
        // The streams finished with close(); forwarding never failed.
        try await aToB.value
        try await bToA.value
    }
}
