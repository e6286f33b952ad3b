import NIOCore
import RTCCore
import RTCTestSupport
import Testing
@testable import RTCSTUN

/// The FuzzSTUN invariants without the fuzz build: random valid messages encode and parse back
/// equal (with their integrity and fingerprint verifying), and random or mutated bytes either
/// fail with a typed error or parse to a message that re-encodes to an equal one.
@Suite struct STUNParserRoundTripPropertyTests {
    /// A random IPv4 or IPv6 transport address.
    static func address(_ rng: inout SeededRandom) -> TransportAddress {
        let ip: IPAddress = rng.next() % 2 == 0 ? .v4(UInt32(truncatingIfNeeded: rng.next())) : .v6(rng.next(), rng.next())
        return TransportAddress(ip: ip, port: UInt16(truncatingIfNeeded: rng.next()))
    }

    /// Random UTF-8 text of up to `maxLength` scalars, some outside ASCII.
    static func text(_ rng: inout SeededRandom, maxLength: Int) -> String {
        let alphabet: [Character] = Array("abcXYZ019:@.-_ é✓日")
        return String((0..<Int(rng.next() % UInt64(maxLength + 1))).map { _ in alphabet[Int(rng.next() % UInt64(alphabet.count))] })
    }

    /// A random attribute that a sender may put before MESSAGE-INTEGRITY (never the integrity
    /// or fingerprint attributes themselves: `encoded(…)` appends those).
    static func attribute(_ rng: inout SeededRandom, transactionID: STUNTransactionID) -> STUNAttribute {
        switch rng.next() % 13 {
        case 0: return .xorMappedAddress(address(&rng), transactionID: transactionID)
        case 1: return .xorAddress(.xorPeerAddress, address(&rng), transactionID: transactionID)
        case 2: return .mappedAddress(address(&rng))
        case 3: return .username(text(&rng, maxLength: 40))
        case 4: return .realm(text(&rng, maxLength: 40))
        case 5: return .nonce(text(&rng, maxLength: 40))
        case 6: return .software(text(&rng, maxLength: 40))
        case 7: return .errorCode(STUNErrorCode(code: 300 + Int(rng.next() % 300), reason: text(&rng, maxLength: 30)))
        case 8: return .unknownAttributes((0..<Int(rng.next() % 5)).map { _ in STUNAttributeType(rawValue: UInt16(truncatingIfNeeded: rng.next())) })
        case 9: return .priority(UInt32(truncatingIfNeeded: rng.next()))
        case 10: return rng.next() % 2 == 0 ? .iceControlling(rng.next()) : .iceControlled(rng.next())
        case 11: return .useCandidate
        default:
            // Any other type, with any value (including lengths that need padding).
            var type: STUNAttributeType
            repeat {
                type = STUNAttributeType(rawValue: UInt16(truncatingIfNeeded: rng.next()))
            } while [.messageIntegrity, .messageIntegritySHA256, .fingerprint].contains(type)
            return STUNAttribute(type: type, value: rng.bytes(Int(rng.next() % 33)))
        }
    }

    /// A random message: any method and class, any transaction id, up to 8 attributes.
    static func message(_ rng: inout SeededRandom) -> STUNMessage {
        let tid = STUNTransactionID(high: UInt32(truncatingIfNeeded: rng.next()), low: rng.next())
        let type = STUNMessageType(rawValue: UInt16(truncatingIfNeeded: rng.next()) & 0x3FFF)
        return STUNMessage(type: type, transactionID: tid,
                           attributes: (0..<Int(rng.next() % 9)).map { _ in attribute(&rng, transactionID: tid) })
    }

    @Test(arguments: [UInt64(1), 2, 3])
    func randomValidMessagesRoundTripWithTheirProtections(seed: UInt64) throws {
        var rng = SeededRandom(seed: seed)
        for _ in 0..<1000 {
            let message = Self.message(&rng)
            let key = STUNIntegrityKey.shortTerm(password: Self.text(&rng, maxLength: 12))
            let integrity = rng.next() % 2 == 0 ? key : nil
            let sha256 = rng.next() % 4 == 0 ? key : nil
            let fingerprint = rng.next() % 2 == 0
            let encoded = message.encoded(integrity: integrity, integritySHA256: sha256, fingerprint: fingerprint,
                                          paddingByte: rng.next() % 2 == 0 ? 0 : 0x20)
            #expect(encoded.readableBytes % 4 == 0)
            let parsed = try STUNParsedMessage(encoded)
            #expect(parsed.message == message)
            #expect(parsed.hasIntegrity == (integrity != nil) && parsed.hasIntegritySHA256 == (sha256 != nil))
            if integrity != nil { #expect(parsed.verifyIntegrity(key)) }
            if sha256 != nil { #expect(parsed.verifyIntegritySHA256(key)) }
            #expect(parsed.hasFingerprint == fingerprint)
            if fingerprint { #expect(parsed.verifyFingerprint()) }
        }
    }

    @Test(arguments: [UInt64(11), 12, 13])
    func randomAndMutatedBytesFailTypedOrRoundTrip(seed: UInt64) throws {
        var rng = SeededRandom(seed: seed)
        let inputs = rng.parserInputs(count: 5000, noiseEvery: 4, whenEmpty: 0) { rng in
            // Random bytes behind a plausible header (a zero first byte, the magic cookie, a
            // length that matches), so the attribute parser sees noise.
            let body = rng.bytes(4 * Int(rng.next() % 16))
            return [0, UInt8(truncatingIfNeeded: rng.next()), UInt8(body.count >> 8), UInt8(body.count & 0xFF),
                    0x21, 0x12, 0xA4, 0x42] + rng.bytes(12) + body
        } valid: { rng in
            Array(Self.message(&rng).encoded(integrity: rng.next() % 2 == 0 ? .shortTerm(password: "p") : nil,
                                             fingerprint: rng.next() % 2 == 0).readableBytesView)
        }
        var parsedCount = 0
        for bytes in inputs {
            guard let parsed = try? STUNParsedMessage(bytes: bytes) else { continue }  // a typed STUNParseError: fine
            parsedCount += 1
            let again = try STUNParsedMessage(parsed.message.encoded())
            #expect(again.message == parsed.message, "bytes: \(bytes)")
            // The typed accessors must not trap on whatever parsed.
            let m = parsed.message
            _ = (m.xorMappedAddress, m.mappedAddress, m.username, m.realm, m.nonce, m.software, m.errorCode,
                 m.unknownAttributes, m.priority, m.iceControlling, m.iceControlled, m.unknownComprehensionRequired())
            _ = parsed.verifyFingerprint()
        }
        #expect(parsedCount > 300)
    }
}
