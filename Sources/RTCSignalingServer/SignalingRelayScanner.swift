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
        /// Byte ranges (in the scanned buffer) of the top-level members to keep, `"key":value`.
        var kept: [Range<Int>]
    }

    private static let relayTypes: Set<String> = ["offer", "answer", "ice_candidate"]

    /// Scans `buffer`'s readable bytes; `nil` when the message needs the full decoder.
    static func scan(_ buffer: ByteBuffer) -> Relay? {
        buffer.withUnsafeReadableBytes { bytes in
            var scanner = Cursor(bytes: bytes)
            return scanner.relay()
        }
    }

    /// `{"from":"<from>",` + the kept members: the forwarded copy of a scanned message.
    static func splice(_ buffer: ByteBuffer, relay: Relay, from: String, allocator: ByteBufferAllocator) -> ByteBuffer {
        var out = allocator.buffer(capacity: buffer.readableBytes + from.utf8.count + 16)
        out.writeStaticString(#"{"from":""#)
        for byte in from.utf8 {
            if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") { out.writeInteger(UInt8(ascii: "\\")) }
            out.writeInteger(byte)
        }
        out.writeInteger(UInt8(ascii: "\""))
        let start = buffer.readerIndex
        for range in relay.kept {
            out.writeInteger(UInt8(ascii: ","))
            var slice = buffer.getSlice(at: start + range.lowerBound, length: range.count)!
            out.writeBuffer(&slice)
        }
        out.writeInteger(UInt8(ascii: "}"))
        return out
    }

    private struct Cursor {
        let bytes: UnsafeRawBufferPointer
        var i = 0

        init(bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

        mutating func relay() -> Relay? {
            skipSpace()
            guard consume(UInt8(ascii: "{")) else { return nil }
            var type: String?
            var target: String?
            var payload: (key: String, range: Range<Int>, fields: Fields)?
            var kept: [Range<Int>] = []
            // At most three keys are accepted (any other one returns nil below), so a linear
            // check is enough and hashes nothing.
            var seen: [String] = []
            skipSpace()
            if peek() == UInt8(ascii: "}") { return nil }
            while true {
                skipSpace()
                let memberStart = i
                guard let key = plainString(), !seen.contains(key) else { return nil }
                seen.append(key)
                skipSpace()
                guard consume(UInt8(ascii: ":")) else { return nil }
                skipSpace()
                switch key {
                case "type":
                    guard let value = plainString() else { return nil }
                    type = value
                    kept.append(memberStart..<i)
                case "target":
                    guard let value = plainString() else { return nil }
                    target = value
                case "offer", "answer", "candidate":
                    let valueStart = i
                    guard let fields = flatObject() else { return nil }
                    payload = (key, valueStart..<i, fields)
                    kept.append(memberStart..<i)
                default:
                    return nil  // `from`, `token`, unknown keys: the full decoder decides
                }
                skipSpace()
                if consume(UInt8(ascii: ",")) { continue }
                guard consume(UInt8(ascii: "}")) else { return nil }
                break
            }
            skipSpace()
            guard i == bytes.count, let type, SignalingRelayScanner.relayTypes.contains(type), let target, let payload else { return nil }
            let expectedKey = type == "ice_candidate" ? "candidate" : type
            guard payload.key == expectedKey, Self.validPayload(type: type, payload.fields) else { return nil }
            return Relay(type: type, target: target, kept: kept)
        }

        private static let descriptionTypes: Set<String> = ["offer", "pranswer", "answer", "rollback"]

        private static func validPayload(type: String, _ fields: Fields) -> Bool {
            if type == "ice_candidate" {
                guard case .string? = fields["candidate"] else { return false }
                for (key, value) in fields.entries {
                    switch (key, value) {
                    case ("candidate", .string), ("sdpMid", .string), ("sdpMid", .null),
                         ("usernameFragment", .string), ("usernameFragment", .null),
                         ("sdpMLineIndex", .integer), ("sdpMLineIndex", .null):
                        continue
                    default:
                        return false
                    }
                }
                return true
            }
            guard fields.count == 2, case .string(let maybeType)? = fields["type"], case .string? = fields["sdp"],
                  let descriptionType = maybeType, descriptionTypes.contains(descriptionType) else { return false }
            return true
        }

        /// A value inside the payload object.
        enum FieldValue {
            /// A string; its text only for the key `type` without escapes (the one value read).
            case string(String?)
            case integer
            case null
        }

        /// The payload's fields in order: a handful at most, so a list searched linearly (a
        /// dictionary per relayed message cost more in hashing than the rest of the scan).
        struct Fields {
            /// More fields than any valid payload has: the full decoder decides (and the linear
            /// duplicate check stays short on hostile input).
            static let limit = 8
            var entries: [(key: String, value: FieldValue)] = []
            var count: Int { entries.count }
            subscript(key: String) -> FieldValue? {
                entries.first { $0.key == key }?.value
            }
        }

        /// `{"k":v,...}` whose values are strings, integers or null.
        private mutating func flatObject() -> Fields? {
            guard consume(UInt8(ascii: "{")) else { return nil }
            var fields = Fields()
            fields.entries.reserveCapacity(4)
            skipSpace()
            if consume(UInt8(ascii: "}")) { return fields }
            while true {
                skipSpace()
                guard fields.count < Fields.limit, let key = plainString(), fields[key] == nil else { return nil }
                skipSpace()
                guard consume(UInt8(ascii: ":")) else { return nil }
                skipSpace()
                guard let c = peek() else { return nil }
                if c == UInt8(ascii: "\"") {
                    let start = i + 1
                    guard let hadEscapes = skipString() else { return nil }
                    // Only `type`'s text is read (a description's type); the others, a whole
                    // candidate or SDP among them, are only checked to be strings.
                    fields.entries.append((key, .string(hadEscapes || key != "type" ? nil : text(start..<(i - 1)))))
                } else if c == UInt8(ascii: "n") {
                    guard literal("null") else { return nil }
                    fields.entries.append((key, .null))
                } else {
                    guard integer() else { return nil }
                    fields.entries.append((key, .integer))
                }
                skipSpace()
                if consume(UInt8(ascii: ",")) { continue }
                guard consume(UInt8(ascii: "}")) else { return nil }
                return fields
            }
        }

        /// A string without escapes, as text.
        private mutating func plainString() -> String? {
            let start = i + 1
            guard peek() == UInt8(ascii: "\""), let hadEscapes = skipString(), !hadEscapes else { return nil }
            return text(start..<(i - 1))
        }

        /// Skips a string (ASCII, valid escapes, no control characters); returns whether it had escapes.
        private mutating func skipString() -> Bool? {
            guard consume(UInt8(ascii: "\"")) else { return nil }
            var escapes = false
            while i < bytes.count {
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

        private func text(_ range: Range<Int>) -> String {
            String(decoding: UnsafeRawBufferPointer(rebasing: bytes[range]), as: UTF8.self)
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
