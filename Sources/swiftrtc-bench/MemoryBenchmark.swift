import Foundation
import SwiftRTC

/// SwiftRTC memory benchmark (issue 16 item 3), run by `scripts/bench.sh` beside the same
/// measurement of Pion and aiortc:
///
///     swiftrtc-bench memory [PAIRS] [CYCLES] [IDLE_SECONDS]     (defaults 1000, 1000, 2)
///
/// 1. Warm-up: 50 pairs connect (a data channel open on each) and close, so threads, pools and
///    lazily made state exist before anything is measured.
/// 2. Cycles: CYCLES pairs connect and close one after another; VmRSS after the warm-up and
///    after every quarter. RSS must end flat (within ±5 % of the value after the warm-up).
///    This comes first: the heap freed by phase 3 would hide a leak in the cycles.
/// 3. Idle: PAIRS pairs connected and kept open (each with one open data channel, no traffic),
///    IDLE_SECONDS idle (consent checks run), VmRSS before and after divided by 2 × PAIRS: the
///    RSS per idle connected `PeerConnection`. Connections that left `connected` while idle are
///    counted and printed.
///
/// Result lines (parsed by scripts/bench/table.py):
///
///     swiftrtc memory: 1000 idle pairs: RSS B KiB -> A KiB = X KiB per idle connected PeerConnection
///     swiftrtc cycles: 1000 connect/close cycles: RSS B KiB after warm-up -> A KiB (+P %) [q1 q2 q3 q4 KiB]
enum MemoryBenchmark {
    /// VmRSS of this process in KiB (from /proc/self/status).
    static func rssKiB() -> Int {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return -1 }
        for line in status.split(separator: "\n") where line.hasPrefix("VmRSS:") {
            return Int(line.split(separator: " ", omittingEmptySubsequences: true)[1]) ?? -1
        }
        return -1
    }

    static func run(pairs: Int, cycles: Int, idleSeconds: Int) async throws {
        let client = WebRTCClient(engine: .native)
        for _ in 0..<50 {
            let pair = try await Benchmark.connect(client: client)
            await pair.close()
        }
        let warm = rssKiB()
        var marks: [Int] = []
        for cycle in stride(from: 1, through: cycles, by: 1) {
            let pair = try await Benchmark.connect(client: client)
            await pair.close()
            if cycle % max(cycles / 4, 1) == 0 { marks.append(rssKiB()) }
        }
        let end = rssKiB()
        print(String(format: "swiftrtc cycles: %d connect/close cycles: RSS %d KiB after warm-up -> %d KiB (%+.1f %%) [%@ KiB]",
                     cycles, warm, end, Double(end - warm) * 100 / Double(warm), marks.map(String.init).joined(separator: " ")))

        let before = rssKiB()
        var held: [Benchmark.Pair] = []
        held.reserveCapacity(pairs)
        for _ in 0..<pairs { held.append(try await Benchmark.connect(client: client)) }
        try await Task.sleep(for: .seconds(idleSeconds))
        let after = rssKiB()
        var notConnected = 0
        for pair in held {
            if await pair.a.connectionState != .connected { notConnected += 1 }
            if await pair.b.connectionState != .connected { notConnected += 1 }
        }
        print(String(format: "swiftrtc memory: %d idle pairs: RSS %d KiB -> %d KiB = %.1f KiB per idle connected PeerConnection (%d s idle, %d not connected at the end)",
                     pairs, before, after, Double(after - before) / Double(2 * pairs), idleSeconds, notConnected))
        for pair in held { await pair.close() }
    }
}
