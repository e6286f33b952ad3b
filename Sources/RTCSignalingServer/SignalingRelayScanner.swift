import NIOCore

/// Reads a relayed message (`offer`, `answer`, `ice_candidate`) straight from its bytes, so the
/// server forwards it without decoding it into ``SignalingMessage`` and encoding it again.
///
/// Only canonical messages take this path: well-formed JSON, ASCII only, each key once, no
/// escapes in `type` and `target`, no `from`, no other top-level keys, and the payload of
/// exactly the shape the Codable path accepts (`offer`/`answer`: `{"type","sdp"}` with a known
/// type; `candidate`: `{"candidate"}` plus optional `sdpMid`, `sdpMLineIndex` (an integer),
/// `usernameFragment`). Anything else returns `nil` and goes through the full decoder, which
/// gives the same errors as before.
struct SignalingRelayScanner {
    /// A message that can be forwarded as bytes.
    struct Relay {
        /// `offer`, `answer` or `ice_candidate`.
        var type: String
        /// The peer it is for.
        var target: String
        /// Byte ranges (in the scanned buffer) of the two top-level members to keep,
        /// `"key":value`, in the message's order: `type` and the payload.
        var kept: (Range<Int>, Range<Int>)
    }

    /// Scans `buffer`'s readable bytes; `nil` when the message needs the full decoder.
    static func scan(_ buffer: ByteBuffer) -> Relay? {
        buffer.withUnsafeReadableBytes { bytes in
            var scanner = Cursor(bytes: bytes)
            return scanner.relay()
        }
    }

    /// `{"from":"<from>",` + the kept members: the forwarded copy of a scanned message. With
    /// `framed`, the copy is a complete server text frame (header first, ``SignalingFrames``).
    static func splice(_ buffer: ByteBuffer, relay: Relay, from: String, allocator: ByteBufferAllocator,
                       framed: Bool = false) -> ByteBuffer {
        var escapes = 0
        for byte in from.utf8 where byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") { escapes += 1 }
        // `{"from":"` + from + `"` + (`,` + member)... + `}`
        var length = 9 + from.utf8.count + escapes + 1 + 1
        length += 2 + relay.kept.0.count + relay.kept.1.count
        var out = allocator.buffer(capacity: (framed ? SignalingFrames.headerSize(payloadLength: length) : 0) + length)
        if framed { SignalingFrames.writeHeader(.text, payloadLength: length, into: &out) }
        out.writeStaticString(#"{"from":""#)
        if escapes == 0 {
            out.writeString(from)
        } else {
            for byte in from.utf8 {
                if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") { out.writeInteger(UInt8(ascii: "\\")) }
                out.writeInteger(byte)
            }
        }
        out.writeInteger(UInt8(ascii: "\""))
        buffer.withUnsafeReadableBytes { bytes in
            out.writeInteger(UInt8(ascii: ","))
            out.writeBytes(UnsafeRawBufferPointer(rebasing: bytes[relay.kept.0]))
            out.writeInteger(UInt8(ascii: ","))
            out.writeBytes(UnsafeRawBufferPointer(rebasing: bytes[relay.kept.1]))
        }
        out.writeInteger(UInt8(ascii: "}"))
        return out
    }

    /// None of the eight bytes of `word` is a quote, a backslash, a control character or
    /// non-ASCII (the exact zero-byte test on `word ^ pattern`; `x - 0x20` borrows only
    /// out of a byte below 0x20 once no byte has its high bit set).
    static func isPlain(_ word: UInt64) -> Bool {
        let ones: UInt64 = 0x0101_0101_0101_0101, highs: UInt64 = 0x8080_8080_8080_8080
        func hasZeroByte(_ x: UInt64) -> Bool { (x &- ones) & ~x & highs != 0 }
        if word & highs != 0 { return false }
        if (word &- ones &* 0x20) & highs != 0 { return false }
        return !hasZeroByte(word ^ (ones &* 0x22)) && !hasZeroByte(word ^ (ones &* 0x5C))
    }

    /// `bytes` are `word`'s UTF-8.
    private static func equal(_ bytes: UnsafeRawBufferPointer, _ word: StaticString) -> Bool {
        bytes.count == word.utf8CodeUnitCount
            && bytes.elementsEqual(UnsafeRawBufferPointer(start: word.utf8Start, count: word.utf8CodeUnitCount))
    }

    /// The keys the scanner knows; any other key sends the message to the full decoder.
    private enum Key {
        case type, target, offer, answer, candidate, sdp, sdpMid, sdpMLineIndex, usernameFragment

        init?(_ bytes: UnsafeRawBufferPointer) {
            func matches(_ word: StaticString) -> Bool { SignalingRelayScanner.equal(bytes, word) }
            switch bytes.count {
            case 3 where matches("sdp"): self = .sdp
            case 4 where matches("type"): self = .type
            case 5 where matches("offer"): self = .offer
            case 6 where matches("target"): self = .target
            case 6 where matches("answer"): self = .answer
            case 6 where matches("sdpMid"): self = .sdpMid
            case 9 where matches("candidate"): self = .candidate
            case 13 where matches("sdpMLineIndex"): self = .sdpMLineIndex
            case 16 where matches("usernameFragment"): self = .usernameFragment
            default: return nil
            }
        }
    }

    /// A relayed message's `type`.
    private enum RelayType {
        case offer, answer, iceCandidate

        init?(_ bytes: UnsafeRawBufferPointer) {
            switch bytes.count {
            case 5 where SignalingRelayScanner.equal(bytes, "offer"): self = .offer
            case 6 where SignalingRelayScanner.equal(bytes, "answer"): self = .answer
            case 13 where SignalingRelayScanner.equal(bytes, "ice_candidate"): self = .iceCandidate
            default: return nil
            }
        }

        var name: String {
            switch self {
            case .offer: "offer"
            case .answer: "answer"
            case .iceCandidate: "ice_candidate"
            }
        }

        /// The top-level key of its payload.
        var payloadKey: Key {
            switch self {
            case .offer: .offer
            case .answer: .answer
            case .iceCandidate: .candidate
            }
        }
    }

    /// The kind of a payload field's value.
    private enum Value { case string, integer, null }

    /// The fields of a payload object, by key (each at most once).
    private struct Payload {
        var type: Value?
        /// `type`'s text is a valid description type (`offer`, `pranswer`, `answer`, `rollback`).
        var knownDescriptionType = false
        var sdp: Value?
        var candidate: Value?
        var sdpMid: Value?
        var sdpMLineIndex: Value?
        var usernameFragment: Value?

        /// Records `value` for `key`; `false` for a duplicate or a key payloads do not have.
        mutating func set(_ key: Key, _ value: Value) -> Bool {
            func store(_ slot: inout Value?) -> Bool {
                guard slot == nil else { return false }
                slot = value
                return true
            }
            switch key {
            case .type: return store(&type)
            case .sdp: return store(&sdp)
            case .candidate: return store(&candidate)
            case .sdpMid: return store(&sdpMid)
            case .sdpMLineIndex: return store(&sdpMLineIndex)
            case .usernameFragment: return store(&usernameFragment)
            case .target, .offer, .answer: return false
            }
        }

        /// The payload has exactly the shape the Codable path accepts for `type`.
        func isValid(for type: RelayType) -> Bool {
            switch type {
            case .iceCandidate:
                return candidate == .string && self.type == nil && sdp == nil
                    && (sdpMid == nil || sdpMid == .string || sdpMid == .null)
                    && (usernameFragment == nil || usernameFragment == .string || usernameFragment == .null)
                    && (sdpMLineIndex == nil || sdpMLineIndex == .integer || sdpMLineIndex == .null)
            case .offer, .answer:
                return self.type == .string && knownDescriptionType && sdp == .string
                    && candidate == nil && sdpMid == nil && sdpMLineIndex == nil && usernameFragment == nil
            }
        }
    }

    private struct Cursor {
        let bytes: UnsafeRawBufferPointer
        var i = 0

        init(bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

        mutating func relay() -> Relay? {
            skipSpace()
            guard consume(UInt8(ascii: "{")) else { return nil }
            var type: RelayType?
            var typeMember: Range<Int>?
            var target: String?
            var payload: (key: Key, member: Range<Int>, fields: Payload)?
            skipSpace()
            if peek() == UInt8(ascii: "}") { return nil }
            while true {
                skipSpace()
                let memberStart = i
                // Each accepted key may appear once: a repeat returns nil.
                guard let key = key() else { return nil }
                skipSpace()
                guard consume(UInt8(ascii: ":")) else { return nil }
                skipSpace()
                switch key {
                case .type:
                    guard typeMember == nil, let value = plainString(), let relayType = RelayType(value) else { return nil }
                    type = relayType
                    typeMember = memberStart..<i
                case .target:
                    guard target == nil, let value = plainString() else { return nil }
                    target = String(decoding: value, as: UTF8.self)
                case .offer, .answer, .candidate:
                    guard payload == nil, let fields = flatObject() else { return nil }
                    payload = (key, memberStart..<i, fields)
                default:
                    return nil  // `from`, `token`, unknown keys: the full decoder decides
                }
                skipSpace()
                if consume(UInt8(ascii: ",")) { continue }
                guard consume(UInt8(ascii: "}")) else { return nil }
                break
            }
            skipSpace()
            guard i == bytes.count, let type, let typeMember, let target, let payload,
                  payload.key == type.payloadKey, payload.fields.isValid(for: type) else { return nil }
            let kept = typeMember.lowerBound < payload.member.lowerBound ? (typeMember, payload.member) : (payload.member, typeMember)
            return Relay(type: type.name, target: target, kept: kept)
        }

        /// `{"k":v,...}` whose values are strings, integers or null, with known keys.
        private mutating func flatObject() -> Payload? {
            guard consume(UInt8(ascii: "{")) else { return nil }
            var fields = Payload()
            skipSpace()
            if consume(UInt8(ascii: "}")) { return fields }
            while true {
                skipSpace()
                guard let key = key() else { return nil }
                skipSpace()
                guard consume(UInt8(ascii: ":")) else { return nil }
                skipSpace()
                guard let c = peek() else { return nil }
                if c == UInt8(ascii: "\"") {
                    let start = i + 1
                    guard let hadEscapes = skipString(), fields.set(key, .string) else { return nil }
                    // Only a description's type is read; the other strings, a whole candidate
                    // or SDP among them, are only checked to be strings.
                    if key == .type, !hadEscapes {
                        fields.knownDescriptionType = Self.isDescriptionType(UnsafeRawBufferPointer(rebasing: bytes[start..<(i - 1)]))
                    }
                } else if c == UInt8(ascii: "n") {
                    guard literal("null"), fields.set(key, .null) else { return nil }
                } else {
                    guard integer(), fields.set(key, .integer) else { return nil }
                }
                skipSpace()
                if consume(UInt8(ascii: ",")) { continue }
                guard consume(UInt8(ascii: "}")) else { return nil }
                return fields
            }
        }

        private static func isDescriptionType(_ bytes: UnsafeRawBufferPointer) -> Bool {
            switch bytes.count {
            case 5: SignalingRelayScanner.equal(bytes, "offer")
            case 6: SignalingRelayScanner.equal(bytes, "answer")
            case 8: SignalingRelayScanner.equal(bytes, "pranswer") || SignalingRelayScanner.equal(bytes, "rollback")
            default: false
            }
        }

        /// A key the scanner knows (a string without escapes).
        private mutating func key() -> Key? {
            guard let name = plainString() else { return nil }
            return Key(name)
        }

        /// A string without escapes: its bytes, between the quotes.
        private mutating func plainString() -> UnsafeRawBufferPointer? {
            let start = i + 1
            guard peek() == UInt8(ascii: "\""), let hadEscapes = skipString(), !hadEscapes else { return nil }
            return UnsafeRawBufferPointer(rebasing: bytes[start..<(i - 1)])
        }

        /// Skips a string (ASCII, valid escapes, no control characters); returns whether it had escapes.
        private mutating func skipString() -> Bool? {
            guard consume(UInt8(ascii: "\"")) else { return nil }
            var escapes = false
            while i < bytes.count {
                // Eight plain characters at a time; a word with anything else goes byte by byte.
                if i + 8 <= bytes.count, SignalingRelayScanner.isPlain(bytes.loadUnaligned(fromByteOffset: i, as: UInt64.self)) {
                    i += 8
                    continue
                }
                let c = bytes[i]
                i += 1
                if c == UInt8(ascii: "\"") { return escapes }
                if c < 0x20 || c >= 0x80 { return nil }
                if c == UInt8(ascii: "\\") {
                    escapes = true
                    guard i < bytes.count else { return nil }
                    let e = bytes[i]
                    i += 1
                    switch e {
                    case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"),
                         UInt8(ascii: "f"), UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
                        continue
                    case UInt8(ascii: "u"):
                        // Only ASCII escapes (no surrogates to pair up); others take the full decoder.
                        guard i + 4 <= bytes.count, bytes[i] == UInt8(ascii: "0"), bytes[i + 1] == UInt8(ascii: "0"),
                              Self.isHex(bytes[i + 2]), Self.isHex(bytes[i + 3]), bytes[i + 2] < UInt8(ascii: "8") else { return nil }
                        i += 4
                    default:
                        return nil
                    }
                }
            }
            return nil
        }

        private static func isHex(_ c: UInt8) -> Bool {
            (c >= 48 && c <= 57) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102)
        }

        /// A JSON integer (`-?(0|[1-9][0-9]*)`) that fits an `Int`.
        private mutating func integer() -> Bool {
            _ = consume(UInt8(ascii: "-"))
            let start = i
            while let c = peek(), c >= 48, c <= 57 { i += 1 }
            let digits = i - start
            guard digits > 0, digits <= 18, !(digits > 1 && bytes[start] == 48) else { return false }
            if let c = peek(), c == UInt8(ascii: ".") || c == UInt8(ascii: "e") || c == UInt8(ascii: "E") { return false }
            return true
        }

        private mutating func literal(_ word: StaticString) -> Bool {
            let count = word.utf8CodeUnitCount
            guard i + count <= bytes.count else { return false }
            for k in 0..<count where bytes[i + k] != word.utf8Start[k] { return false }
            i += count
            return true
        }

        private func peek() -> UInt8? { i < bytes.count ? bytes[i] : nil }

        private mutating func consume(_ c: UInt8) -> Bool {
            guard i < bytes.count, bytes[i] == c else { return false }
            i += 1
            return true
        }

        private mutating func skipSpace() {
            while i < bytes.count {
                switch bytes[i] {
                case 0x20, 0x09, 0x0A, 0x0D: i += 1
                default: return
                }
            }
        }
    }
}
