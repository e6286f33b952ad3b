import NIOCore
import NIOPosix
import RTCCore

extension TransportAddress {
    /// Converts a NIO socket address (IPv4 or IPv6) without going through text; `nil` for
    /// Unix-domain addresses.
    public init?(socketAddress: SocketAddress) {
        switch socketAddress {
        case .v4(let a):
            self.init(ip: .v4(UInt32(bigEndian: a.address.sin_addr.s_addr)), port: UInt16(bigEndian: a.address.sin_port))
        case .v6(let a):
            let bytes = withUnsafeBytes(of: a.address.sin6_addr) { Array($0) }
            guard let ip = IPAddress(bytes: bytes) else { return nil }
            self.init(ip: ip, port: UInt16(bigEndian: a.address.sin6_port))
        default:
            return nil
        }
    }

    /// The NIO socket address to send to, built from the raw bytes (no text, no resolver).
    public var socketAddress: SocketAddress {
        switch ip {
        case .v4(let a):
            var sin = sockaddr_in()
            sin.sin_family = sa_family_t(AF_INET)
            sin.sin_port = port.bigEndian
            sin.sin_addr.s_addr = a.bigEndian
            return SocketAddress(sin, host: "")
        case .v6:
            var sin6 = sockaddr_in6()
            sin6.sin6_family = sa_family_t(AF_INET6)
            sin6.sin6_port = port.bigEndian
            withUnsafeMutableBytes(of: &sin6.sin6_addr) { raw in
                for (i, b) in ip.bytes.enumerated() { raw[i] = b }
            }
            return SocketAddress(sin6, host: "")
        }
    }
}

/// The host addresses ICE may gather from (RFC 8445 §5.1.1.1).
public enum LocalInterfaces {
    /// Every address of the host's interfaces, once each: IPv4 always (loopback only when
    /// `includeLoopback`), IPv6 only when `includeIPv6`, and never IPv6 link-local.
    public static func hostAddresses(includeLoopback: Bool, includeIPv6: Bool) throws -> [TransportAddress] {
        var out: [TransportAddress] = []
        for device in try System.enumerateDevices() {
            guard let address = device.address, let t = TransportAddress(socketAddress: address) else { continue }
            if t.ip.isLoopback && !includeLoopback { continue }
            if !t.ip.isIPv4 && (!includeIPv6 || t.ip.isLinkLocal) { continue }
            if !out.contains(t) { out.append(t) }
        }
        return out
    }
}
