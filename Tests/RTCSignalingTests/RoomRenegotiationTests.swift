import Foundation
import RTCTestSupport
import SwiftRTC
import Testing

/// A re-offer on an established connection (what a browser sends to add a video track to a
/// data-only connection) must be answered without reversing the DTLS roles (RFC 8842 §5.5).
@Suite("Renegotiation on an established connection", .serialized)
struct RoomRenegotiationTests {
    @Test func theOriginalOffererAnswersAReOfferKeepingItsDTLSRole() async throws {
        try InteropEnvironment.requirePrivateNamespace()
        let client = WebRTCClient(engine: .native)
        let a = try await client.createPeerConnection()
        let b = try await client.createPeerConnection()
        let channel = try await a.createDataChannel("chat")
        try await a.setLocalDescription(try await a.createOffer())
        try await withTimeout(10, "a gathering") { try await a.awaitIceGatheringComplete() }
        try await b.setRemoteDescription(try #require(await a.localDescription))
        let firstAnswer = try await b.createAnswer()
        #expect(firstAnswer.sdp.contains("a=setup:active"))  // b is the DTLS client, a the server
        try await b.setLocalDescription(firstAnswer)
        try await withTimeout(10, "b gathering") { try await b.awaitIceGatheringComplete() }
        try await a.setRemoteDescription(try #require(await b.localDescription))
        let remote = try await withTimeout(15, "b's channel") { () async throws -> DataChannel in
            for await event in b.dataChannelEvents { if case .open(let channel) = event { return channel } }
            throw TestTimeout(what: "b's channel (the channel events ended)")
        }

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
