import RTCCore
import RTCTestSupport
import RTCSDP
import Testing

/// The FuzzSDP invariants without the fuzz build: random valid descriptions serialize to text
/// that parses back equal (and serializes to the same text), and random or mutated text either
/// fails with a typed error naming a line or parses to a description that round-trips.
@Suite struct SDPParserRoundTripPropertyTests {
    static func pick<T>(_ options: [T], _ rng: inout SeededRandom) -> T { options[Int(rng.next() % UInt64(options.count))] }

    /// A token (RFC 8866 §9 `token`): letters, digits and a few marks.
    static func token(_ rng: inout SeededRandom, maxLength: Int = 12) -> String {
        let alphabet = Array("abcxyzABCXYZ0189-._+!")
        return String((0..<(1 + Int(rng.next() % UInt64(maxLength)))).map { _ in pick(alphabet, &rng) })
    }

    /// Free text (a `byte-string`): no CR, LF or NUL; spaces only inside.
    static func text(_ rng: inout SeededRandom) -> String {
        let alphabet = Array("ab Z9-=:/é✓")
        return token(&rng, maxLength: 3) + String((0..<Int(rng.next() % 12)).map { _ in pick(alphabet, &rng) }) + token(&rng, maxLength: 3)
    }

    /// ICE ufrag/pwd characters (RFC 8839 `ice-char`).
    static func iceChars(_ rng: inout SeededRandom, count: Int) -> String {
        let alphabet = Array("abcdefXYZ0123456789+/")
        return String((0..<count).map { _ in pick(alphabet, &rng) })
    }

    static func ipv4(_ rng: inout SeededRandom) -> String {
        (0..<4).map { _ in String(rng.next() % 256) }.joined(separator: ".")
    }

    static func attribute(_ rng: inout SeededRandom, mids: [String]) -> Attribute {
        switch rng.next() % 18 {
        case 0: return .iceUfrag(iceChars(&rng, count: 4 + Int(rng.next() % 8)))
        case 1: return .icePwd(iceChars(&rng, count: 22 + Int(rng.next() % 10)))
        case 2: return .iceOptions(rng.next() % 2 == 0 ? ["trickle"] : ["trickle", token(&rng)])
        case 3: return .fingerprint(CertificateFingerprint(algorithm: pick(["sha-256", "sha-1", "sha-512"], &rng), digest: rng.bytes(1 + Int(rng.next() % 64))))
        case 4: return .setup(pick([.active, .passive, .actpass, .holdconn], &rng))
        case 5: return .direction(pick([.sendrecv, .sendonly, .recvonly, .inactive], &rng))
        case 6: return pick([.rtcpMux, .rtcpMuxOnly, .rtcpReducedSize, .endOfCandidates, .extmapAllowMixed, .iceLite], &rng)
        case 7: return .rtpMap(RTPMap(payloadType: UInt8(rng.next() % 128), encodingName: pick(["opus", "VP8", "H264", "red", "rtx"], &rng),
                                      clockRate: pick([8000, 48000, 90000], &rng), channels: rng.next() % 2 == 0 ? nil : UInt16(1 + rng.next() % 2)))
        case 8: return .sctpPort(UInt16(truncatingIfNeeded: rng.next()))
        case 9: return .maxMessageSize(rng.next() % 1_000_000_000)
        case 10: return .group(MediaGroup(semantics: "BUNDLE", mids: mids))
        case 11: return .extensionMap(ExtensionMap(id: UInt16(1 + rng.next() % 14), uri: "urn:ietf:params:rtp-hdrext:" + token(&rng)))
        case 12: return .mid(token(&rng, maxLength: 4))
        case 13: return .other(name: "x-" + token(&rng), value: nil)
        case 14, 15:
            let related = rng.next() % 2 == 0
            func maybe<T>(_ value: T) -> T? { rng.next() % 2 == 0 ? value : nil }
            return .candidate(ICECandidateAttribute(
                foundation: iceChars(&rng, count: 1 + Int(rng.next() % 10)), component: UInt32(1 + rng.next() % 256),
                transport: pick(["udp", "UDP", "tcp"], &rng), priority: UInt32(truncatingIfNeeded: rng.next()),
                address: pick([ipv4(&rng), "2001:db8::" + String(rng.next() % 65536, radix: 16), iceChars(&rng, count: 8) + ".local"], &rng),
                port: UInt16(truncatingIfNeeded: rng.next()),
                type: pick([.host, .serverReflexive, .peerReflexive, .relay, .other("x" + token(&rng, maxLength: 4))], &rng),
                relatedAddress: related ? ipv4(&rng) : nil, relatedPort: related ? UInt16(truncatingIfNeeded: rng.next()) : nil,
                tcpType: maybe(pick([.active, .passive, .so], &rng)), generation: maybe(UInt32(truncatingIfNeeded: rng.next())),
                ufrag: maybe(iceChars(&rng, count: 4)), networkID: maybe(UInt32(rng.next() % 10)),
                networkCost: maybe(UInt32(rng.next() % 1000)),
                extensions: rng.next() % 3 == 0 ? [.init(name: "x-" + token(&rng, maxLength: 5), value: token(&rng, maxLength: 6))] : []))
        default: return .other(name: "x-" + token(&rng), value: text(&rng))
        }
    }

    static func media(_ rng: inout SeededRandom, mid: String) -> MediaDescription {
        var attributes: [Attribute] = [.mid(mid)]
        attributes += (0..<Int(rng.next() % 6)).map { _ in attribute(&rng, mids: [mid]) }
        if rng.next() % 3 == 0 {
            return MediaDescription(kind: "application", port: UInt16(truncatingIfNeeded: rng.next()), proto: "UDP/DTLS/SCTP",
                                    formats: ["webrtc-datachannel"], attributes: attributes)
        }
        return MediaDescription(kind: pick(["audio", "video"], &rng), port: UInt16(truncatingIfNeeded: rng.next()),
                                portCount: rng.next() % 4 == 0 ? UInt16(1 + rng.next() % 4) : nil,
                                proto: "UDP/TLS/RTP/SAVPF", formats: (0..<(1 + Int(rng.next() % 4))).map { _ in String(96 + rng.next() % 32) },
                                title: rng.next() % 4 == 0 ? text(&rng) : nil,
                                connections: [Connection(address: ipv4(&rng))],
                                bandwidths: rng.next() % 3 == 0 ? [Bandwidth(type: pick(["AS", "TIAS"], &rng), value: rng.next() % 100_000)] : [],
                                attributes: attributes)
    }

    static func description(_ rng: inout SeededRandom) -> SDPDocument {
        let mids = (0..<Int(rng.next() % 4)).map { String($0) }
        return SDPDocument(
            origin: Origin(username: pick(["-", "mozilla", token(&rng)], &rng), sessionID: rng.next() >> 1, sessionVersion: rng.next() % 1000,
                           address: ipv4(&rng)),
            sessionName: rng.next() % 2 == 0 ? "-" : text(&rng),
            sessionInformation: rng.next() % 4 == 0 ? text(&rng) : nil,
            connection: rng.next() % 3 == 0 ? Connection(address: ipv4(&rng)) : nil,
            attributes: (0..<Int(rng.next() % 4)).map { _ in attribute(&rng, mids: mids) },
            media: mids.map { media(&rng, mid: $0) })
    }

    @Test(arguments: [UInt64(1), 2, 3])
    func randomValidDescriptionsRoundTrip(seed: UInt64) throws {
        var rng = SeededRandom(seed: seed)
        for _ in 0..<500 {
            let description = Self.description(&rng)
            let text = description.serialized()
            let parsed = try SDPDocument(parsing: text)
            #expect(parsed == description, "\(text)")
            #expect(parsed.serialized() == text)
            // The serializer writes the common attributes straight into bytes, not through
            // `sdpLine`: the text must be the same either way.
            let lines = Set(text.split(whereSeparator: \.isNewline).map(String.init))
            for attribute in description.attributes + description.media.flatMap(\.attributes) {
                #expect(lines.contains("a=" + attribute.sdpLine), "\(attribute)")
            }
        }
    }

    @Test(arguments: [UInt64(11), 12, 13])
    func randomAndMutatedTextFailsTypedOrRoundTrips(seed: UInt64) throws {
        var rng = SeededRandom(seed: seed)
        let alphabet = Array("=: /\r\n0123456789amvcotsb-\u{0}".utf8)
        let inputs = rng.parserInputs(count: 2000, noiseEvery: 5, alphabet: alphabet, whenEmpty: 0x76) { rng in
            (0..<Int(rng.next() % 64)).map { _ in Self.pick(alphabet, &rng) }
        } valid: { rng in
            Array(Self.description(&rng).serialized().utf8)
        }
        var parsedCount = 0
        for bytes in inputs {
            let text = String(decoding: bytes, as: UTF8.self)
            let parsed: SDPDocument
            do {
                parsed = try SDPDocument(parsing: text)
            } catch {
                #expect(error.line >= 1)
                continue
            }
            parsedCount += 1
            let out = parsed.serialized()
            do {
                let again = try SDPDocument(parsing: out)
                #expect(again == parsed, "input:\n\(text)")
                #expect(again.serialized() == out)
            } catch {
                Issue.record("accepted input serializes to text that does not parse (\(error)):\ninput:\n\(text)\noutput:\n\(out)")
            }
        }
        #expect(parsedCount > 300)
    }
}
