import Foundation
import RTCTestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// The interop tests trust `InteropEnvironment.isPrivateLoopbackNamespace` to keep real peers
/// off the network. The test scripts (scripts/test.sh, test-in.sh) run the suite under
/// `unshare --net` with `lo` up (and scripts/test.sh a veth pair with a second address); this checks the detection against what the kernel
/// itself says about that namespace, and fails loudly when the suite runs anywhere else.
@Suite struct InteropNamespaceDetectionTests {
    @Test func detectsThePrivateLoopbackNamespaceTheTestScriptsProvide() throws {
        try #require(InteropEnvironment.isPrivateLoopbackNamespace,
                     "not in a private loopback-only network namespace: run the tests through scripts/test.sh (unshare --net)")
        // Independent evidence from the kernel (netlink, not /proc): loopback is the only
        // interface and there is no route off this host (TEST-NET-1), or — as scripts/test.sh
        // sets it up, a host with a second address — the only others are the veth pair d0/d1,
        // whose ends are both here, so the default route through d0 ends at d1.
        let names = Self.interfaceNames()
        if names == ["lo"] {
            #expect(Self.connectErrno(to: "192.0.2.1") == ENETUNREACH)
        } else {
            #expect(names == ["lo", "d0", "d1"])
            #expect(Self.addresses(of: "d0") == ["10.99.0.1"])
            #expect(Self.addresses(of: "d1").isEmpty)
        }
        // The ports handed to peers are usable on loopback.
        let port = InteropEnvironment.freePort()
        #expect(port > 0)
        #expect(Self.bindUDP(port: port))
    }

    /// The IPv4 addresses of interface `name`, from getifaddrs(3).
    static func addresses(of name: String) -> [String] {
        var list: UnsafeMutablePointer<ifaddrs>?
        guard getifaddrs(&list) == 0 else { return [] }
        defer { freeifaddrs(list) }
        var out: [String] = []
        var cursor = list
        while let entry = cursor {
            cursor = entry.pointee.ifa_next
            guard String(cString: entry.pointee.ifa_name) == name, let address = entry.pointee.ifa_addr,
                  address.pointee.sa_family == sa_family_t(AF_INET) else { continue }
            var text = [CChar](repeating: 0, count: Int(INET_ADDRSTRLEN))
            address.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { sin in
                var ip = sin.pointee.sin_addr
                _ = inet_ntop(AF_INET, &ip, &text, socklen_t(INET_ADDRSTRLEN))
            }
            out.append(String(cString: text))
        }
        return out
    }

    /// Interface names from getifaddrs(3).
    static func interfaceNames() -> Set<String> {
        var list: UnsafeMutablePointer<ifaddrs>?
        guard getifaddrs(&list) == 0 else { return [] }
        defer { freeifaddrs(list) }
        var names: Set<String> = []
        var cursor = list
        while let entry = cursor {
            names.insert(String(cString: entry.pointee.ifa_name))
            cursor = entry.pointee.ifa_next
        }
        return names
    }

    /// `errno` of connect(2) on a UDP socket to `ip`:9, or 0 when a route exists.
    static func connectErrno(to ip: String) -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = UInt16(9).bigEndian
        addr.sin_addr.s_addr = inet_addr(ip)
        let result = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        return result == 0 ? 0 : errno
    }

    /// Whether a UDP socket can bind 127.0.0.1:`port`.
    static func bindUDP(port: UInt16) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = port.bigEndian
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        return withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        } == 0
    }
}
