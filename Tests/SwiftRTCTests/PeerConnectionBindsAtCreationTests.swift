import RTCTestSupport
import SwiftRTC
import Testing

/// Host sockets are bound when a connection is created (``ConnectionConfiguration/bindsSocketsAtCreation``)
/// and the first local description gathers on them: no socket is bound twice, and a
/// connection described long after its creation reads the interfaces again but keeps the
/// sockets whose addresses are still there.
@Suite(.serialized) struct PeerConnectionBindsAtCreationTests {
    /// The host candidates in `sdp` (one per bound socket).
    static func hostCandidates(_ sdp: String) -> [Substring] {
        sdp.split(separator: "\r\n").filter { $0.hasPrefix("a=candidate:") && $0.hasSuffix("typ host") }
    }

    static func sockets(_ client: WebRTCClient) -> Int { client.liveObjects.count(.socketHandler) }

    @Test(arguments: [Duration.seconds(60), .zero])
    func theFirstDescriptionGathersOnTheSocketsBoundAtCreation(freshness: Duration) async throws {
        try InteropEnvironment.requirePrivateNamespace()
        let client = WebRTCClient(engine: .native) { $0.defaultConnectionConfiguration.earlyBindingFreshness = freshness }
        let a = try await client.createPeerConnection()
        let atCreation = Self.sockets(client)
        #expect(atCreation >= 2, "loopback (and the veth's address, where there is one) bound at creation")
        _ = try await a.createDataChannel("x")
        try await a.setLocalDescription(try await a.createOffer())
        try await withTimeout(10, "gathering") { try await a.awaitIceGatheringComplete() }
        let sdp = try #require(await a.localDescription).sdp
        #expect(Self.sockets(client) == atCreation, "no socket bound again (freshness \(freshness))")
        #expect(Self.hostCandidates(sdp).count == atCreation, "\(sdp)")
        // And the connection works over them.
        let b = try await client.createPeerConnection()
        try await b.setRemoteDescription(try #require(await a.localDescription))
        try await b.setLocalDescription(try await b.createAnswer())
        try await withTimeout(10, "answerer gathering") { try await b.awaitIceGatheringComplete() }
        try await a.setRemoteDescription(try #require(await b.localDescription))
        _ = try await SwiftToSwiftDataChannelTests.opened(a, label: "x")
        await a.close()
        await b.close()
    }

    @Test func turnedOffNothingIsBoundUntilTheFirstDescription() async throws {
        try InteropEnvironment.requirePrivateNamespace()
        let client = WebRTCClient(engine: .native) { $0.defaultConnectionConfiguration.bindsSocketsAtCreation = false }
        let a = try await client.createPeerConnection()
        #expect(Self.sockets(client) == 0)
        try await a.setLocalDescription(try await a.createOffer())
        try await withTimeout(10, "gathering") { try await a.awaitIceGatheringComplete() }
        #expect(Self.sockets(client) >= 2)
        #expect(Self.hostCandidates(try #require(await a.localDescription).sdp).count == Self.sockets(client))
        await a.close()
    }

    /// A first description that cannot be applied leaves the sockets bound at creation to the
    /// next one: nothing started, nothing bound again.
    @Test func aRefusedFirstDescriptionLeavesTheSocketsToTheNext() async throws {
        try InteropEnvironment.requirePrivateNamespace()
        let client = WebRTCClient(engine: .native)
        let a = try await client.createPeerConnection()
        let atCreation = Self.sockets(client)
        _ = try await a.createDataChannel("x")
        let offer = try await a.createOffer()
        // An answer while nothing was offered is refused (RFC 8829 §5.5).
        await #expect(throws: (any Error).self) { try await a.setLocalDescription(SessionDescription(type: .answer, sdp: offer.sdp)) }
        #expect(await a.localDescription == nil)
        try await a.setLocalDescription(offer)
        try await withTimeout(10, "gathering") { try await a.awaitIceGatheringComplete() }
        #expect(Self.sockets(client) == atCreation)
        #expect(Self.hostCandidates(try #require(await a.localDescription).sdp).count == atCreation)
        await a.close()
    }
}
