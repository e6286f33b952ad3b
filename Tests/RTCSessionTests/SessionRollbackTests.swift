import NIOCore
import RTCSession
import RTCTestSupport
import Testing

/// `setLocalDescription(rollback)` (RFC 8829 §4.1.8.2) carries no SDP and restores the last
/// stable local description.
@Suite struct SessionRollbackTests {
    @Test func rollingBackAFirstLocalOfferLeavesNoLocalDescription() throws {
        var pair = try SessionPair()
        let now = NIODeadline.virtualStart
        try pair.a.setLocalDescription(try pair.a.createOffer(), now: now)
        #expect(pair.a.signalingState == .haveLocalOffer)
        try pair.a.setLocalDescription(SessionDescription(type: .rollback, sdp: ""), now: now)
        #expect(pair.a.signalingState == .stable)
        #expect(pair.a.localDescription == nil)
    }

    @Test func rollingBackAReOfferRestoresTheNegotiatedDescription() throws {
        var pair = try SessionPair()
        try pair.negotiate()
        let negotiated = try #require(pair.a.localDescription)
        try pair.a.setLocalDescription(try pair.a.createOffer(), now: pair.now)
        #expect(pair.a.signalingState == .haveLocalOffer)
        try pair.a.setLocalDescription(SessionDescription(type: .rollback, sdp: ""), now: pair.now)
        #expect(pair.a.signalingState == .stable)
        #expect(pair.a.localDescription?.type == negotiated.type)
        #expect(pair.a.localDescription?.sdp.contains("a=setup:actpass") == true)
    }

    @Test func rollbackInStableIsATypedError() throws {
        var pair = try SessionPair()
        #expect(throws: SessionError.self) {
            try pair.a.setLocalDescription(SessionDescription(type: .rollback, sdp: ""), now: .virtualStart)
        }
        #expect(pair.a.signalingState == .stable)
    }
}
