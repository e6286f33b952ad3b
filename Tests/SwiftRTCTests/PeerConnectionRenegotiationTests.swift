import Foundation
import RTCTestSupport
import SwiftRTC
import Testing

/// A re-offer on an established connection (what a browser sends to add a video track to a
/// data-only connection) must be answered without reversing the DTLS roles (RFC 8842 §5.5).
@Suite("Renegotiation on an established connection", .serialized)
struct PeerConnectionRenegotiationTests {
    @Test func theOriginalOffererAnswersAReOfferKeepingItsDTLSRole() async throws {
        try InteropEnvironment.requirePrivateNamespace()
        let client = WebRTCClient(engine: .native)
        let a = try await client.createPeerConnection()
        let b = try await client.createPeerConnection()
        let channel = try await a.createDataChannel("chat")
        try await SwiftToSwiftDataChannelTests.connect(a, b)
        #expect(try #require(await b.localDescription).sdp.contains("a=setup:active"))  // b is the DTLS client, a the server
        let remote = try await SwiftToSwiftDataChannelTests.firstOpen(b)

        // b, the first answerer, now offers; a must answer passive (it stays the DTLS server).
        let reOffer = try await b.createOffer()
        #expect(reOffer.sdp.contains("a=setup:actpass"))
        try await b.setLocalDescription(reOffer)
        try await a.setRemoteDescription(reOffer)
        let reAnswer = try await a.createAnswer()
        #expect(reAnswer.sdp.contains("a=setup:passive"), "\(reAnswer.sdp)")
        try await a.setLocalDescription(reAnswer)
        try await b.setRemoteDescription(reAnswer)
        #expect(await a.signalingState == .stable)
        #expect(await b.signalingState == .stable)

        try await channel.send("after renegotiation")
        #expect(try await withTimeout(10, "b receiving") { try await remote.receiveText() } == "after renegotiation")
        try await remote.send("and back")
        #expect(try await withTimeout(10, "a receiving") { try await channel.receiveText() } == "and back")
        #expect(await a.connectionState == .connected)
        #expect(await b.connectionState == .connected)
        await a.close()
        await b.close()
    }
}
