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
        let parts = text.split(whereSeparator: { $0 == " " || $0 == "\t" })
        guard parts.count == 2, !parts[0].isEmpty,
              parts[0].unicodeScalars.allSatisfy({ $0.isASCII && $0.value > 0x20 && $0.value < 0x7F }) else { return nil }
        // "XX:XX:…:XX": two hex digits, then a colon before every further pair. Read byte by
        // byte (this runs for every description applied; a generic radix parse per pair was a
        // measurable part of a connection's set-up).
        let hex = parts[1].utf8
        guard (hex.count + 1) % 3 == 0 else { return nil }
        var digest: [UInt8] = []
        digest.reserveCapacity((hex.count + 1) / 3)
        var index = hex.startIndex
        while index != hex.endIndex {
            if !digest.isEmpty {
                guard hex[index] == UInt8(ascii: ":") else { return nil }
                index = hex.index(after: index)
            }
            guard let high = hex[index].hexValue else { return nil }
            index = hex.index(after: index)
            guard let low = hex[index].hexValue else { return nil }
            index = hex.index(after: index)
            digest.append(high << 4 | low)
        }
        self.init(algorithm: String(parts[0]), digest: digest)
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
