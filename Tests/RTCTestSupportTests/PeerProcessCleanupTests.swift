import Foundation
import RTCTestSupport
import Testing

/// Stopping a peer also stops what it started (Chromium's many processes outlived their
/// Python driver before).
@Suite struct PeerProcessCleanupTests {
    @Test func terminateStopsTheGrandchildrenToo() async throws {
        let peer = try PeerProcess("sh", executable: "/bin/sh", arguments: ["-c", "sleep 300 & echo child $!; wait"])
        let line = try await peer.waitForLine(timeout: 10) { $0.hasPrefix("child ") }
        let child = try #require(pid_t(line.dropFirst("child ".count)))
        #expect(kill(child, 0) == 0)
        #expect(PeerProcess.descendants(of: getpid()).contains(child))
        peer.terminate()
        // The grandchild is gone, or a zombie about to be reaped by init (a killed process
        // takes a moment to be torn down: poll, bounded).
        func alive() -> Bool {
            guard let stat = PeerProcess.readProcFile("/proc/\(child)/stat"), let close = stat.lastIndex(of: ")") else { return false }
            return !stat[stat.index(after: close)...].hasPrefix(" Z")
        }
        for _ in 0..<200 where alive() { try await Task.sleep(for: .milliseconds(10)) }
        #expect(!alive())
    }
}
