/// A certificate fingerprint (RFC 8122 §5): a hash function name and the digest of a DER
/// certificate. The one type for it: SDP's `a=fingerprint` carries it and DTLS verifies the
/// peer's certificate against it (RFC 8827 §6.5).
public struct CertificateFingerprint: Hashable, Sendable, CustomStringConvertible {
    /// The hash function name in SDP form, lower case (e.g. `sha-256`; RFC 8122 §5 names are
    /// case-insensitive, so they are kept lower-cased).
    public var algorithm: String
    /// The digest bytes.
    public var digest: [UInt8]

    /// Creates a fingerprint from its parts; `algorithm` is lower-cased.
    public init(algorithm: String, digest: [UInt8]) {
        self.algorithm = algorithm.lowercased()
        self.digest = digest
    }

    /// Parses the SDP attribute value `"sha-256 AB:CD:…"` (RFC 8122 §5: a token, one space, and
    /// two-digit hex bytes joined by `:`, either case). Returns `nil` if malformed.
    public init?(sdpValue text: some StringProtocol) {
        // Read as UTF-8 bytes: this runs for every description applied, and splitting the
        // generic string into Characters (grapheme breaking, unspecialized across modules) was
        // most of its cost. Both fields are ASCII, so a byte that is not ends the parse.
        var text = String(text)
        guard let (algorithm, digest) = text.withUTF8({ Self.parse($0) }) else { return nil }
        self.init(algorithm: algorithm, digest: digest)
    }

    /// Splits `bytes` at spaces and tabs into exactly two fields (a printable ASCII token and
    /// `XX:XX:…:XX`) and decodes the digest.
    private static func parse(_ bytes: UnsafeBufferPointer<UInt8>) -> (String, [UInt8])? {
        func isBlank(_ b: UInt8) -> Bool { b == UInt8(ascii: " ") || b == UInt8(ascii: "\t") }
        var fields: [Range<Int>] = []
        var i = 0
        while i < bytes.count {
            if isBlank(bytes[i]) { i += 1; continue }
            let start = i
            while i < bytes.count, !isBlank(bytes[i]) { i += 1 }
            guard fields.count < 2 else { return nil }
            fields.append(start..<i)
        }
        guard fields.count == 2 else { return nil }
        let token = UnsafeBufferPointer(rebasing: bytes[fields[0]])
        guard token.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else { return nil }
        // "XX:XX:…:XX": two hex digits, then a colon before every further pair.
        let hex = UnsafeBufferPointer(rebasing: bytes[fields[1]])
        guard (hex.count + 1) % 3 == 0 else { return nil }
        var digest: [UInt8] = []
        digest.reserveCapacity((hex.count + 1) / 3)
        var index = 0
        while index < hex.count {
            if index > 0 {
                guard hex[index] == UInt8(ascii: ":") else { return nil }
                index += 1
            }
            guard let high = hex[index].hexValue, let low = hex[index + 1].hexValue else { return nil }
            index += 2
            digest.append(high << 4 | low)
        }
        return (String(decoding: token, as: UTF8.self), digest)
    }

    /// The upper-case hex digest joined by `:` (the value part of `a=fingerprint`).
    public var hexValue: String { Hex.encode(digest, separator: ":", uppercase: true) }

    /// The full SDP attribute value, e.g. `sha-256 AB:CD:…` (RFC 8122 §5).
    public var sdpValue: String { "\(algorithm) \(hexValue)" }

    /// Same as `sdpValue`.
    public var description: String { sdpValue }
}

extension UInt8 {
    /// The value of this ASCII byte as a hex digit (`0-9`, `a-f`, `A-F`), else `nil`.
    fileprivate var hexValue: UInt8? {
        switch self {
        case 0x30...0x39: self - 0x30
        case 0x41...0x46: self - 0x41 + 10
        case 0x61...0x66: self - 0x61 + 10
        default: nil
        }
    }
}
