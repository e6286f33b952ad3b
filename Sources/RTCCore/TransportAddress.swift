import NIOCore

/// An IP address, version 4 or 6, held by value without any socket machinery.
///
/// Protocol cores use this instead of `NIOCore.SocketAddress` so they stay free of sockets
/// and can be compared, hashed and printed cheaply.
public enum IPAddress: Hashable, Sendable, CustomStringConvertible {
    /// An IPv4 address in network byte order (`0x7f000001` is 127.0.0.1).
    case v4(UInt32)
    /// An IPv6 address as its high and low 64 bits, network byte order.
    case v6(UInt64, UInt64)

    /// The IPv4 loopback address 127.0.0.1.
    public static let loopbackV4 = IPAddress.v4(0x7f00_0001)
    /// The IPv6 loopback address ::1.
    public static let loopbackV6 = IPAddress.v6(0, 1)

    /// Parses a textual address: dotted-quad IPv4 or RFC 4291 IPv6 (with `::` compression and
    /// an optional embedded IPv4 tail). Brackets and zone ids (`%eth0`) are tolerated and dropped.
    /// Returns `nil` for anything else, including host names.
    public init?(_ text: some StringProtocol) {
        // Dotted-quad IPv4, the common case (every candidate line of every description), read
        // from the bytes; anything else takes the general path below.
        var string = String(text)
        if let v4 = string.withUTF8({ IPAddress.parseDottedQuad($0) }) {
            self = .v4(v4)
            return
        }
        var s = Substring(text)
        if s.hasPrefix("["), s.hasSuffix("]") { s = s.dropFirst().dropLast() }
        if let percent = s.firstIndex(of: "%") { s = s[..<percent] }
        if s.contains(":") {
            guard let bytes = IPAddress.parseV6(s) else { return nil }
            self = IPAddress(bytes: bytes)!
        } else {
            guard let v4 = IPAddress.parseV4(s) else { return nil }
            self = .v4(v4)
        }
    }

    /// Builds an address from 4 or 16 raw network-order bytes; `nil` for any other length.
    /// Inlinable, so that callers get a copy specialized for their collection (unspecialized,
    /// the generic enumeration looked up type metadata on every call).
    @inlinable
    public init?<C: Collection>(bytes: C) where C.Element == UInt8 {
        switch bytes.count {
        case 4:
            self = .v4(bytes.reduce(0) { $0 << 8 | UInt32($1) })
        case 16:
            var hi: UInt64 = 0
            var lo: UInt64 = 0
            for (i, b) in bytes.enumerated() {
                if i < 8 { hi = hi << 8 | UInt64(b) } else { lo = lo << 8 | UInt64(b) }
            }
            self = .v6(hi, lo)
        default:
            return nil
        }
    }

    /// The raw network-order bytes: 4 for IPv4, 16 for IPv6.
    public var bytes: [UInt8] {
        switch self {
        case .v4(let a):
            return [UInt8(a >> 24), UInt8(a >> 16 & 0xff), UInt8(a >> 8 & 0xff), UInt8(a & 0xff)]
        case .v6(let hi, let lo):
            return (0..<8).map { UInt8(hi >> (56 - 8 * $0) & 0xff) } + (0..<8).map { UInt8(lo >> (56 - 8 * $0) & 0xff) }
        }
    }

    /// `true` for IPv4 addresses.
    public var isIPv4: Bool { if case .v4 = self { return true } else { return false } }

    /// `true` for 127.0.0.0/8 and ::1.
    public var isLoopback: Bool {
        switch self {
        case .v4(let a): return a >> 24 == 127
        case .v6(let hi, let lo): return hi == 0 && lo == 1
        }
    }

    /// `true` for IPv6 link-local addresses (fe80::/10) and IPv4 169.254.0.0/16.
    public var isLinkLocal: Bool {
        switch self {
        case .v4(let a): return a >> 16 == 0xa9fe
        case .v6(let hi, _): return hi >> 54 == 0x3fa
        }
    }

    /// Dotted-quad for IPv4; RFC 5952 canonical text for IPv6.
    public var description: String {
        switch self {
        case .v4(let a):
            return "\(a >> 24).\(a >> 16 & 0xff).\(a >> 8 & 0xff).\(a & 0xff)"
        case .v6(let hi, let lo):
            let groups: [UInt16] = (0..<4).map { UInt16(hi >> (48 - 16 * $0) & 0xffff) }
                + (0..<4).map { UInt16(lo >> (48 - 16 * $0) & 0xffff) }
            // Longest run (length ≥ 2) of zero groups is compressed to "::".
            var bestStart = -1, bestLen = 0, i = 0
            while i < 8 {
                if groups[i] == 0 {
                    var j = i
                    while j < 8 && groups[j] == 0 { j += 1 }
                    if j - i > bestLen { bestStart = i; bestLen = j - i }
                    i = j
                } else { i += 1 }
            }
            func hex(_ range: Range<Int>) -> String {
                range.map { String(groups[$0], radix: 16) }.joined(separator: ":")
            }
            if bestLen < 2 { return hex(0..<8) }
            return hex(0..<bestStart) + "::" + hex((bestStart + bestLen)..<8)
        }
    }

    /// `a.b.c.d`, each 1–3 decimal digits up to 255; `nil` for anything else.
    private static func parseDottedQuad(_ bytes: UnsafeBufferPointer<UInt8>) -> UInt32? {
        var value: UInt32 = 0
        var octet: UInt32 = 0
        var digits = 0
        var dots = 0
        for b in bytes {
            if b == UInt8(ascii: ".") {
                guard digits > 0, dots < 3 else { return nil }
                value = value << 8 | octet
                octet = 0
                digits = 0
                dots += 1
            } else if b >= 0x30, b <= 0x39 {
                digits += 1
                octet = octet * 10 + UInt32(b - 0x30)
                guard digits <= 3, octet <= 255 else { return nil }
            } else {
                return nil
            }
        }
        guard dots == 3, digits > 0 else { return nil }
        return value << 8 | octet
    }

    private static func parseV4(_ s: Substring) -> UInt32? {
        let parts = s.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var value: UInt32 = 0
        for part in parts {
            guard !part.isEmpty, part.count <= 3, part.allSatisfy(\.isASCIIDigit), let octet = UInt32(part), octet <= 255 else { return nil }
            value = value << 8 | octet
        }
        return value
    }

    /// Where "::" first occurs (a character scan; the generic `firstRange(of:)` is far slower).
    private static func doubleColon(in s: Substring) -> Range<Substring.Index>? {
        var i = s.startIndex
        while i < s.endIndex {
            let next = s.index(after: i)
            if s[i] == ":", next < s.endIndex, s[next] == ":" { return i..<s.index(after: next) }
            i = next
        }
        return nil
    }

    private static func parseV6(_ s: Substring) -> [UInt8]? {
        var halves: [String] = []
        var rest = s
        while let range = doubleColon(in: rest) {
            halves.append(String(rest[..<range.lowerBound]))
            rest = rest[range.upperBound...]
        }
        halves.append(String(rest))
        guard halves.count <= 2 else { return nil }
        func groups(_ part: String) -> [UInt16]? {
            if part.isEmpty { return [] }
            var result: [UInt16] = []
            let pieces = part.split(separator: ":", omittingEmptySubsequences: false)
            for (index, piece) in pieces.enumerated() {
                if index == pieces.count - 1, piece.contains(".") {
                    guard let v4 = parseV4(piece) else { return nil }
                    result.append(UInt16(v4 >> 16)); result.append(UInt16(v4 & 0xffff))
                } else {
                    guard (1...4).contains(piece.count), let g = UInt16(piece, radix: 16) else { return nil }
                    result.append(g)
                }
            }
            return result
        }
        guard let head = groups(halves[0]) else { return nil }
        var all: [UInt16]
        if halves.count == 2 {
            guard let tail = groups(halves[1]), head.count + tail.count <= 7 else { return nil }
            all = head + Array(repeating: 0, count: 8 - head.count - tail.count) + tail
        } else {
            guard head.count == 8 else { return nil }
            all = head
        }
        return all.flatMap { [UInt8($0 >> 8), UInt8($0 & 0xff)] }
    }
}

extension Character {
    fileprivate var isASCIIDigit: Bool { ("0"..."9").contains(self) }
}

/// An IP address and UDP/TCP port: where a datagram came from or goes to.
public struct TransportAddress: Hashable, Sendable, CustomStringConvertible {
    /// The IP address.
    public var ip: IPAddress
    /// The port number.
    public var port: UInt16

    /// Creates an address from its parts.
    public init(ip: IPAddress, port: UInt16) {
        self.ip = ip
        self.port = port
    }

    /// Parses `"1.2.3.4:5678"` or `"[::1]:5678"`; `nil` if either part is malformed.
    public init?(_ text: String) {
        guard let colon = text.lastIndex(of: ":"), let port = UInt16(text[text.index(after: colon)...]) else { return nil }
        let host = text[..<colon]
        if host.contains(":") && !(host.hasPrefix("[") && host.hasSuffix("]")) { return nil }
        guard let ip = IPAddress(host) else { return nil }
        self.init(ip: ip, port: port)
    }

    /// `"1.2.3.4:5678"` for IPv4, `"[::1]:5678"` for IPv6.
    public var description: String {
        ip.isIPv4 ? "\(ip):\(port)" : "[\(ip)]:\(port)"
    }
}
