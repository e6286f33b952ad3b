import Foundation
import RTCCore
import RTCTestSupport
import RTCSignaling
import Testing

/// The FuzzSignalingMessage invariant without the fuzz build: random valid messages encode to
/// JSON that decodes equal, and random or mutated JSON either fails with a typed error or
/// decodes to a message that re-encodes to JSON decoding equal.
@Suite struct SignalingMessageRoundTripPropertyTests {
    /// Random text, including what JSON must escape (quotes, backslashes, control characters)
    /// and text outside the BMP.
    static func text(_ rng: inout SeededRandom, maxLength: Int = 24) -> String {
        let alphabet: [Character] = Array("aZ09 -_:/.\"\\\n\t\r\u{0}\u{1F}é✓😀=")
        return String((0..<Int(rng.next() % UInt64(maxLength + 1))).map { _ in alphabet[Int(rng.next() % UInt64(alphabet.count))] })
    }

    static func optionalText(_ rng: inout SeededRandom) -> String? {
        rng.next() % 2 == 0 ? nil : text(&rng)
    }

    /// A random message of every type the protocol has.
    static func message(_ rng: inout SeededRandom) -> SignalingMessage {
        switch rng.next() % 13 {
        case 0: return .join(peerID: text(&rng), roomID: text(&rng), token: optionalText(&rng))
        case 1: return .leave
        case 2: return .offer(.init(type: .offer, sdp: text(&rng, maxLength: 200)), target: optionalText(&rng), from: optionalText(&rng))
        case 3: return .answer(.init(type: .answer, sdp: text(&rng, maxLength: 200)), target: optionalText(&rng), from: optionalText(&rng))
        case 4:
            let index = rng.next() % 2 == 0 ? nil : Int(rng.next() % 8)
            return .iceCandidate(.init(candidate: text(&rng, maxLength: 80), sdpMid: optionalText(&rng), sdpMLineIndex: index,
                                       usernameFragment: optionalText(&rng)),
                                 target: optionalText(&rng), from: optionalText(&rng))
        case 5: return .roomPeers(roomID: text(&rng), peers: (0..<Int(rng.next() % 4)).map { _ in text(&rng) })
        case 6: return .peerJoined(peerID: text(&rng))
        case 7: return .peerLeft(peerID: text(&rng))
        case 8:
            let codes = SignalingErrorCode.allCases
            return .error(code: codes[Int(rng.next() % UInt64(codes.count))], message: text(&rng))
        case 9: return .join(peerID: text(&rng), roomID: text(&rng), token: optionalText(&rng), mode: .sfu)
        case 10: return .speakerChanged(peerID: optionalText(&rng))
        case 11: return .redirect(roomID: text(&rng), url: "ws://" + text(&rng) + "/ws")
        default: return .shutdown(message: text(&rng))
        }
    }

    @Test(arguments: [UInt64(1), 2, 3])
    func randomValidMessagesRoundTripThroughJSON(seed: UInt64) throws {
        var rng = SeededRandom(seed: seed)
        for _ in 0..<1000 {
            let message = Self.message(&rng)
            let json = message.jsonString()
            #expect(try SignalingMessage.decode(json) == message, "\(json)")
        }
    }

    @Test(arguments: [UInt64(11), 12, 13])
    func randomAndMutatedJSONFailsTypedOrRoundTrips(seed: UInt64) throws {
        var rng = SeededRandom(seed: seed)
        let inputs = rng.parserInputs(count: 3000, noiseEvery: 5, maxEdits: 3, alphabet: Array("{}[]\",:\\ 0a-nulltrue".utf8),
                                      whenEmpty: 0x7B) { rng in
            rng.bytes(Int(rng.next() % 32))
        } valid: { rng in
            Array(Self.message(&rng).jsonString().utf8)
        }
        var decodedCount = 0
        for bytes in inputs {
            guard let message = try? SignalingMessage.decode(Data(bytes)) else { continue }  // a typed SignalingProtocolError: fine
            decodedCount += 1
            let json = message.jsonString()
            #expect(try SignalingMessage.decode(json) == message, "input: \(String(decoding: bytes, as: UTF8.self)) re-encoded: \(json)")
        }
        #expect(decodedCount > 100)
    }
}
