import Foundation
import RTCCore
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
        switch rng.next() % 10 {
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
        var decodedCount = 0
        for i in 0..<3000 {
            var bytes: [UInt8]
            if i % 5 == 0 {
                bytes = rng.bytes(Int(rng.next() % 32))
            } else {
                bytes = Array(Self.message(&rng).jsonString().utf8)
                let alphabet = Array("{}[]\",:\\ 0a-nulltrue".utf8)
                for _ in 0..<(1 + Int(rng.next() % 3)) {
                    let pos = Int(rng.next() % UInt64(bytes.count))
                    switch rng.next() % 4 {
                    case 0: bytes[pos] = alphabet[Int(rng.next() % UInt64(alphabet.count))]
                    case 1: bytes[pos] = UInt8(truncatingIfNeeded: rng.next())
                    case 2: bytes.remove(at: pos)
                    default: bytes.insert(alphabet[Int(rng.next() % UInt64(alphabet.count))], at: pos)
                    }
                    if bytes.isEmpty { bytes = [0x7B] }
                }
            }
            let message: SignalingMessage
            do {
                message = try SignalingMessage.decode(Data(bytes))
            } catch {
                continue  // a typed SignalingProtocolError: fine
            }
            decodedCount += 1
            let json = message.jsonString()
            #expect(try SignalingMessage.decode(json) == message, "input: \(String(decoding: bytes, as: UTF8.self)) re-encoded: \(json)")
        }
        #expect(decodedCount > 200)
    }
}
