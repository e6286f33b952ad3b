import Foundation
import RTCSession
import RTCSignaling
import Testing

@Suite("Signaling messages: JSON shape")
struct SignalingMessageCodingTests {
    static let samples: [SignalingMessage] = [
        .join(peerID: "a", roomID: "r"), .join(peerID: "a", roomID: "r", token: "1.ab"), .leave,
        .offer(.init(type: .offer, sdp: "v=0\r\n"), target: "b"), .answer(.init(type: .answer, sdp: "v=0"), from: "a"),
        .iceCandidate(.init(candidate: "candidate:1 1 udp 1 127.0.0.1 9 typ host", sdpMid: "0", sdpMLineIndex: 0), target: "b"),
        .roomPeers(roomID: "r", peers: ["a", "b"]), .peerJoined(peerID: "a"), .peerLeft(peerID: "a"),
        .error(code: .roomFull, message: "full"), .shutdown(message: "bye"),
    ]

    @Test(arguments: samples)
    func roundTrips(_ message: SignalingMessage) throws {
        #expect(try SignalingMessage.decode(message.jsonString()) == message)
    }

    @Test func matchesTheDocumentedFieldNames() throws {
        let join = try JSONSerialization.jsonObject(with: Data(SignalingMessage.join(peerID: "a", roomID: "r").jsonString().utf8)) as? [String: Any]
        #expect(join?["type"] as? String == "join")
        #expect(join?["peer_id"] as? String == "a")
        #expect(join?["room_id"] as? String == "r")
        let candidate = SignalingMessage.iceCandidate(.init(candidate: "c", sdpMid: "0", sdpMLineIndex: 1), target: "b").jsonString()
        #expect(candidate.contains(#""type":"ice_candidate""#))
        #expect(candidate.contains(#""sdpMid":"0""#))
        #expect(candidate.contains(#""sdpMLineIndex":1"#))
        #expect(SignalingMessage.error(code: .unknownTarget, message: "m").jsonString() == #"{"code":"unknown_target","message":"m","type":"error"}"#)
    }

    @Test func decodesBrowserShapedMessages() throws {
        // What the demo page sends: RTCIceCandidate.toJSON() includes usernameFragment; null sdpMid is allowed.
        let text = #"{"type":"ice_candidate","target":"b","candidate":{"candidate":"candidate:x","sdpMid":null,"sdpMLineIndex":0,"usernameFragment":"uf"}}"#
        #expect(try SignalingMessage.decode(text) == .iceCandidate(.init(candidate: "candidate:x", sdpMid: nil, sdpMLineIndex: 0, usernameFragment: "uf"), target: "b"))
    }

    @Test func unknownErrorCodeFromANewerServer() throws {
        #expect(try SignalingMessage.decode(#"{"type":"error","code":"brand_new","message":"?"}"#) == .error(code: .unknown, message: "?"))
    }

    @Test func decodeErrorsAreTyped() {
        #expect(throws: SignalingProtocolError.self) { try SignalingMessage.decode("nope") }
        do { _ = try SignalingMessage.decode(#"{"type":"offer","target":"b"}"#); Issue.record("decoded") } catch {
            #expect(error.code == .invalidMessage)
            #expect(error.message.contains("offer"))
        }
    }

    @Test func descriptionsAndCandidatesKeepTheBrowserShape() {
        // The API's SessionDescription / ICECandidateInit encode exactly as the protocol document says.
        #expect(SignalingMessage.offer(.init(type: .offer, sdp: "v=0\r\n"), target: "b").jsonString()
            == #"{"offer":{"sdp":"v=0\r\n","type":"offer"},"target":"b","type":"offer"}"#)
        #expect(SignalingMessage.answer(.init(type: .answer, sdp: "v=0"), from: "a").jsonString()
            == #"{"answer":{"sdp":"v=0","type":"answer"},"from":"a","type":"answer"}"#)
        #expect(SignalingMessage.iceCandidate(.init(candidate: ""), target: "b").jsonString()
            == #"{"candidate":{"candidate":""},"target":"b","type":"ice_candidate"}"#)
    }

    @Test func anUnknownDescriptionTypeIsATypedError() {
        // "type" inside the description must be an RTCSdpType; anything else is an invalid message.
        for description in [#"{"type":"bogus","sdp":"v=0"}"#, #"{"type":7,"sdp":"v=0"}"#, #"{"sdp":"v=0"}"#] {
            let text = #"{"type":"offer","target":"b","offer":"# + description + "}"
            do {
                let decoded = try SignalingMessage.decode(text)
                Issue.record("decoded \(decoded) from \(text)")
            } catch {
                #expect(error.code == .invalidMessage, "\(text)")
                #expect(error.message.contains("offer.type"), "\(error.message)")
            }
        }
    }
}
