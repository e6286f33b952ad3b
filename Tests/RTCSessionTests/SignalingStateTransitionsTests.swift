import Testing
import Foundation
import RTCSession

@Suite struct SignalingStateTransitionsTests {
    @Test func offererGoesThroughHaveLocalOfferToStable() throws {
        var m = SignalingStateMachine()
        #expect(try m.apply(.local, .offer) == .haveLocalOffer)
        #expect(try m.apply(.local, .offer) == .haveLocalOffer)  // re-offer
        #expect(try m.apply(.remote, .pranswer) == .haveRemotePranswer)
        #expect(try m.apply(.remote, .answer) == .stable)
    }

    @Test func answererGoesThroughHaveRemoteOfferToStable() throws {
        var m = SignalingStateMachine()
        #expect(try m.apply(.remote, .offer) == .haveRemoteOffer)
        #expect(try m.apply(.local, .pranswer) == .haveLocalPranswer)
        #expect(try m.apply(.local, .answer) == .stable)
    }

    @Test func rollbackReturnsToStable() throws {
        var m = SignalingStateMachine()
        try m.apply(.local, .offer)
        #expect(try m.apply(.local, .rollback) == .stable)
        try m.apply(.remote, .offer)
        #expect(try m.apply(.remote, .rollback) == .stable)
    }

    @Test func wrongStateThrowsTypedErrorAndKeepsState() throws {
        var m = SignalingStateMachine()
        let error = #expect(throws: InvalidSignalingStateError.self) { try m.apply(.remote, .answer) }
        #expect(error?.state == .stable && error?.type == .answer)
        #expect(error?.description.contains("setLocalDescription(offer)") == true)
        #expect(m.state == .stable)
        try m.apply(.local, .offer)
        #expect(throws: InvalidSignalingStateError.self) { try m.apply(.remote, .offer) }  // glare
        #expect(throws: InvalidSignalingStateError.self) { try m.apply(.local, .answer) }
        #expect(m.state == .haveLocalOffer)
        m.close()
        #expect(throws: InvalidSignalingStateError.self) { try m.apply(.local, .offer) }
        #expect(SignalingStateMachine.allowed(in: .closed) == ["nothing (closed)"])
    }

    @Test func descriptionsEncodeLikeTheBrowser() throws {
        let json = try JSONEncoder().encode(SessionDescription(type: .offer, sdp: "v=0\r\n"))
        let object = try #require(JSONSerialization.jsonObject(with: json) as? [String: String])
        #expect(object == ["type": "offer", "sdp": "v=0\r\n"])
        let candidate = try JSONDecoder().decode(ICECandidateInit.self, from: Data(#"{"candidate":"","sdpMid":"0","sdpMLineIndex":0}"#.utf8))
        #expect(candidate.isEndOfCandidates && candidate.sdpMid == "0" && candidate.sdpMLineIndex == 0)
    }
}
