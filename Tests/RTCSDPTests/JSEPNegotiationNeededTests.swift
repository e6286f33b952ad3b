import RTCCore
import Testing
import RTCSDP

/// The negotiation-needed check fires when tracks come and go or directions change, and stays
/// quiet when the current descriptions already say what the transceivers want.
@Suite struct JSEPNegotiationNeededTests {
    static let alice = JSEPTestSupport.transport("aaaa", setup: .actpass)
    static let bob = JSEPTestSupport.transport("bbbb", setup: .active)
    static let cam = JSEPSender(trackID: "cam", streamIDs: ["s"], ssrc: 1, rtxSSRC: 2, cname: "a")

    static func exchange(_ sections: [JSEPLocalSection]) throws -> (offer: SDPDocument, answer: SDPDocument) {
        let offer = try JSEP.offer(sections: sections, transport: alice, sessionID: 1, previousVersion: nil)
        let answer = try JSEP.answer(to: offer, transceivers: [], transport: bob, sessionID: 2, previousVersion: nil).description
        return (offer, answer)
    }

    @Test func offererSide() throws {
        var sections: [JSEPLocalSection] = [.media(JSEPTransceiver(mid: "0", kind: .video, sender: Self.cam)),
                                            .data(JSEPDataSection(mid: "1"))]
        #expect(JSEP.isNegotiationNeeded(sections: sections, localDescription: nil, remoteDescription: nil, localIsOfferer: true))
        let (offer, answer) = try Self.exchange(sections)
        func needed() -> Bool {
            JSEP.isNegotiationNeeded(sections: sections, localDescription: offer, remoteDescription: answer, localIsOfferer: true)
        }
        #expect(!needed())
        // A new transceiver.
        sections.append(.media(JSEPTransceiver(mid: "2", kind: .audio)))
        #expect(needed())
        sections.removeLast()
        // A direction change.
        sections[0] = .media(JSEPTransceiver(mid: "0", kind: .video, direction: .sendonly, sender: Self.cam))
        #expect(needed())
        // A different track's msid while sending.
        sections[0] = .media(JSEPTransceiver(mid: "0", kind: .video, sender: JSEPSender(trackID: "screen", ssrc: 1, cname: "a")))
        #expect(needed())
        // Stopping the transceiver.
        sections[0] = .media(JSEPTransceiver(mid: "0", kind: .video, isStopped: true))
        #expect(needed())
        let (offer2, answer2) = try Self.exchange(sections)
        #expect(!JSEP.isNegotiationNeeded(sections: sections, localDescription: offer2, remoteDescription: answer2, localIsOfferer: true))
    }

    @Test func answererSide() throws {
        let offer = try JSEP.offer(transceivers: [JSEPTransceiver(mid: "0", kind: .video, direction: .recvonly)], data: nil,
                                   transport: Self.alice, sessionID: 1, previousVersion: nil)
        let wants = [JSEPLocalSection.media(JSEPTransceiver(mid: "0", kind: .video, sender: Self.cam))]
        let answer = try JSEP.answer(to: offer, transceivers: [JSEPTransceiver(mid: "0", kind: .video, sender: Self.cam)],
                                     transport: Self.bob, sessionID: 2, previousVersion: nil).description
        // The answer said sendonly (the offer only receives); sendrecv wished is satisfied as far as this offer allows.
        #expect(!JSEP.isNegotiationNeeded(sections: wants, localDescription: answer, remoteDescription: offer, localIsOfferer: false))
        let recvOnly = [JSEPLocalSection.media(JSEPTransceiver(mid: "0", kind: .video, direction: .recvonly))]
        #expect(JSEP.isNegotiationNeeded(sections: recvOnly, localDescription: answer, remoteDescription: offer, localIsOfferer: false))
    }
}
