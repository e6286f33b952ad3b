import Foundation
import NIOCore
import RTCCore
import RTCDTLS
import RTCSession
import RTCTestSupport
import Testing

/// A session configured to accept simulcast answers an offered `a=simulcast:send` with `recv`
/// for the same rids (RFC 8853 §5.3) and reports the layers a receiving transceiver gets; one
/// that does not accept it answers without simulcast (the peer sends one stream).
@Suite struct SessionAcceptsSimulcastTests {
    static let t0 = NIODeadline.virtualStart

    /// A SwiftRTC video offer made into a simulcast one, as Chromium writes it.
    static func simulcastOffer() throws -> SessionDescription {
        var publisher = RTCSession(certificate: try DTLSCertificate.generateSelfSigned(now: Date()), rng: SeededRandom(seed: 4))
        _ = try publisher.addTransceiver(kind: .video, direction: .sendonly,
                                         sender: SessionMediaSender(trackID: "cam", streamIDs: ["s"], codec: .vp8), now: t0)
        let offer = try publisher.createOffer()
        #expect(offer.sdp.contains("urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id"))
        let sdp = offer.sdp.replacingOccurrences(of: "a=rtcp-mux\r\n", with: "a=rtcp-mux\r\na=rid:h send\r\na=rid:m send\r\na=rid:l send\r\na=simulcast:send h;m;l\r\n")
        #expect(sdp.contains("a=simulcast:send h;m;l"))
        return SessionDescription(type: .offer, sdp: sdp)
    }

    @Test(arguments: [true, false]) func anOfferedSimulcastIsAnsweredRecvWhenAccepted(accepts: Bool) throws {
        var configuration = SessionConfiguration()
        configuration.acceptsSimulcast = accepts
        var server = RTCSession(configuration: configuration, certificate: try DTLSCertificate.generateSelfSigned(now: Date()),
                                rng: SeededRandom(seed: 5))
        try server.setRemoteDescription(try Self.simulcastOffer(), now: Self.t0)
        var added: [SessionRemoteTrack] = []
        while let event = server.pollEvent() { if case .media(.trackAdded(let track)) = event { added.append(track) } }
        let track = try #require(added.first)
        let answer = try server.createAnswer()
        try server.setLocalDescription(answer, now: Self.t0)
        if accepts {
            #expect(answer.sdp.contains("a=simulcast:recv h;m;l"))
            #expect(answer.sdp.contains("a=rid:h recv") && answer.sdp.contains("a=rid:l recv"))
            #expect(server.receivedRIDs(on: track.handle) == ["h", "m", "l"])
            #expect(server.headerExtensionID("urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id", on: track.handle) != nil)
        } else {
            #expect(!answer.sdp.contains("a=simulcast"))
            #expect(server.receivedRIDs(on: track.handle).isEmpty)
        }
    }
}
