import Crypto
import Foundation
import SwiftRTC

/// SwiftRTC data-channel benchmark: two peer connections in one process over UDP on loopback.
/// Prints offer→open time (median of N) and bulk throughput for 16 KiB and 64 KiB messages,
/// in the same format as scripts/bench/aiortc_datachannel.py. Run with scripts/bench.sh.
@main
struct Benchmark {
    static func connect() async throws -> (PeerConnection, PeerConnection, DataChannel, DataChannel, Double) {
        let client = WebRTCClient(engine: .native)
        let a = try await client.createPeerConnection()
        let b = try await client.createPeerConnection()
        let start = ContinuousClock.now
        let channel = try await a.createDataChannel("bench")
        try await a.setLocalDescription(try await a.createOffer())
        try await a.awaitIceGatheringComplete()
        try await b.setRemoteDescription(await a.localDescription!)
        try await b.setLocalDescription(try await b.createAnswer())
        try await b.awaitIceGatheringComplete()
        try await a.setRemoteDescription(await b.localDescription!)
        var remote: DataChannel?
        for await event in b.dataChannelEvents { if case .open(let c) = event { remote = c; break } }
        for await event in a.dataChannelEvents { if case .open = event { break } }
        let elapsed = ContinuousClock.now - start
        let ms = Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15
        return (a, b, channel, remote!, ms)
    }

    static func bulk(messageSize: Int, total: Int) async throws -> (mbit: Double, cpu: Double, ok: Bool) {
        let (a, b, tx, rx, _) = try await connect()
        let receiver = Task { () -> (String, Int) in
            var hasher = SHA256()
            var received = 0
            for try await message in rx {
                if case .binary(let bytes) = message {
                    hasher.update(data: bytes)
                    received += bytes.count
                    if received >= total { break }
                }
            }
            return (hasher.finalize().map { String(format: "%02x", $0) }.joined(), received)
        }
        let payload = (0..<messageSize).map { UInt8(truncatingIfNeeded: $0 % 251) }
        var expected = SHA256()
        let cpu0 = clock()
        let start = ContinuousClock.now
        var sent = 0
        while sent < total {
            try await tx.send(payload)
            expected.update(data: payload)
            sent += messageSize
        }
        let (digest, _) = try await receiver.value
        let elapsed = ContinuousClock.now - start
        let cpu = Double(clock() - cpu0) / Double(CLOCKS_PER_SEC)
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        await a.close()
        await b.close()
        let ok = digest == expected.finalize().map { String(format: "%02x", $0) }.joined()
        return (Double(total) * 8 / seconds / 1e6, cpu, ok)
    }

    static func main() async throws {
        let args = CommandLine.arguments
        // `swiftrtc-bench srtp [PACKETS]`: SRTP protect/unprotect (scripts/bench-srtp.sh).
        if args.count > 1, args[1] == "srtp" {
            SRTPBenchmark.run(packets: args.count > 2 ? Int(args[2]) ?? 200_000 : 200_000)
            return
        }
        // `swiftrtc-bench sfu-router [PACKETS] [SUBSCRIBERS]`: forwarding through SFURouter alone.
        if args.count > 1, args[1] == "sfu-router" {
            SFURouterBenchmark.run(packets: args.count > 2 ? Int(args[2]) ?? 1_000_000 : 1_000_000,
                                   subscribers: args.count > 3 ? Int(args[3]) ?? 10 : 10)
            return
        }
        // `swiftrtc-bench sfu-core [PACKETS] [SUBSCRIBERS]`: the SFU's data path (sessions, SRTP, router) in memory.
        if args.count > 1, args[1] == "sfu-core" {
            try SFUCoreBenchmark.run(packets: args.count > 2 ? Int(args[2]) ?? 20_000 : 20_000,
                                     subscribers: args.count > 3 ? Int(args[3]) ?? 10 : 10)
            return
        }
        // `swiftrtc-bench media-recv|media-send …`: the media benchmark (scripts/bench-media.sh).
        if args.count > 1, args[1] == "media-recv" || args[1] == "media-send" {
            try await MediaBenchmark.run(args)
            return
        }
        let runs = args.count > 1 ? Int(args[1]) ?? 20 : 20
        let total = args.count > 2 ? Int(args[2]) ?? (50 << 20) : (50 << 20)
        // An optional third argument runs one part only (for profiling): open, bulk16 or bulk64.
        let only = args.count > 3 ? args[3] : nil
        var times: [Double] = []
        for _ in 0..<(only == nil || only == "open" ? runs : 0) {
            let (a, b, _, _, ms) = try await connect()
            times.append(ms)
            await a.close()
            await b.close()
        }
        times.sort()
        if !times.isEmpty {
            print(String(format: "swiftrtc offer->open: median %.1f ms over %d connections", times[times.count / 2], runs))
        }
        for size in [16 << 10, 64 << 10] where only == nil || only == "bulk\(size >> 10)" {
            let r = try await bulk(messageSize: size, total: total)
            print(String(format: "swiftrtc bulk %d KiB messages: %.1f Mbit/s, %.2f CPU-s for %d MiB, sha256 %@",
                         size >> 10, r.mbit, r.cpu, total >> 20, r.ok ? "match" : "MISMATCH"))
        }
    }
}
