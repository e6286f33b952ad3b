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
        let pairs = parts[1].split(separator: ":", omittingEmptySubsequences: false)
        var digest: [UInt8] = []
        digest.reserveCapacity(pairs.count)
        for pair in pairs {
            guard pair.utf8.count == 2, pair.utf8.allSatisfy(\.isHexDigit), let byte = UInt8(pair, radix: 16) else { return nil }
            digest.append(byte)
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
    /// Whether this ASCII byte is `0-9`, `a-f` or `A-F`.
    fileprivate var isHexDigit: Bool {
        (0x30...0x39).contains(self) || (0x41...0x46).contains(self) || (0x61...0x66).contains(self)
    }
}
