import Crypto
import Foundation
import SwiftRTC

/// Two-process bulk data-channel benchmark (issue 16 item 1), the SwiftRTC half of
/// `scripts/bench.sh two-process`: the offerer (sender) and the answerer (receiver) run in
/// separate OS processes, so each has its own event loops and the kernel carries every datagram
/// between them, as between two real peers.
///
///     swiftrtc-bench dc-recv OFFERS ANSWERS
///     swiftrtc-bench dc-send OFFERS ANSWERS SIZE TOTAL
///
/// Signaling is one JSON `SessionDescription` per line through two named pipes (the sender
/// writes its offer to OFFERS, the receiver its answer to ANSWERS). The sender sends TOTAL bytes
/// in SIZE-byte messages; the receiver hashes what arrives and, once it has TOTAL bytes, writes
/// `done CPU SHA256` to ANSWERS (its own user+system CPU seconds since the channel opened). The
/// sender prints
///
///     swiftrtc two-process bulk 64 KiB messages: M Mbit/s, S + R CPU-s (sender + receiver) for N MiB = C CPU-s per GiB, sha256 match
///
/// timing from its first send to the receiver's `done`.
enum TwoProcessBenchmark {
    static func run(_ args: [String]) async throws {
        do {
            if args[1] == "dc-recv", args.count >= 4 {
                try await receive(offers: args[2], answers: args[3])
            } else if args[1] == "dc-send", args.count >= 6, let size = Int(args[4]), let total = Int(args[5]) {
                try await send(offers: args[2], answers: args[3], size: size, total: total)
            } else {
                throw MediaBenchmark.BenchError("usage: dc-recv OFFERS ANSWERS | dc-send OFFERS ANSWERS SIZE TOTAL")
            }
        } catch {
            FileHandle.standardError.write(Data("swiftrtc-bench \(args[1]): \(error)\n".utf8))
            exit(1)
        }
    }

    static func hex(_ digest: SHA256.Digest) -> String { digest.map { String(format: "%02x", $0) }.joined() }

    static func receive(offers: String, answers: String) async throws {
        // Both pipes are opened in the same order on both sides (offers, then answers).
        let reader = try MediaBenchmark.LineReader(path: offers)
        guard let out = FileHandle(forWritingAtPath: answers) else { throw MediaBenchmark.BenchError("cannot open \(answers)") }
        guard let offerLine = await reader.next(), let total = Int(offerLine) else { throw MediaBenchmark.BenchError("no size line") }
        guard let offer = await reader.next() else { throw MediaBenchmark.BenchError("the sender closed before offering") }
        let pc = try await WebRTCClient(engine: .native).createPeerConnection()
        try await pc.setRemoteDescription(try MediaBenchmark.decode(offer))
        try await pc.setLocalDescription(try await pc.createAnswer())
        try await pc.awaitIceGatheringComplete()
        try MediaBenchmark.writeLine(out, try MediaBenchmark.encode(try require(await pc.localDescription, "local description")))
        var channel: DataChannel?
        for await event in pc.dataChannelEvents { if case .open(let c) = event { channel = c; break } }
        let rx = try require(channel, "data channel")
        let cpu0 = MediaBenchmark.cpuSeconds()
        var hasher = SHA256()
        var received = 0
        for try await message in rx {
            guard case .binary(let bytes) = message else { continue }
            hasher.update(data: bytes)
            received += bytes.count
            if received >= total { break }
        }
        let cpu = MediaBenchmark.cpuSeconds() - cpu0
        try MediaBenchmark.writeLine(out, String(format: "done %.3f %@", cpu, hex(hasher.finalize())))
        while await reader.next() != nil {}  // the sender has its figures (it closed the offers pipe)
        await pc.close()
    }

    static func send(offers: String, answers: String, size: Int, total: Int) async throws {
        guard let out = FileHandle(forWritingAtPath: offers) else { throw MediaBenchmark.BenchError("cannot open \(offers)") }
        let reader = try MediaBenchmark.LineReader(path: answers)
        let pc = try await WebRTCClient(engine: .native).createPeerConnection()
        let tx = try await pc.createDataChannel("bench")
        try await pc.setLocalDescription(try await pc.createOffer())
        try await pc.awaitIceGatheringComplete()
        try MediaBenchmark.writeLine(out, "\(total)")
        try MediaBenchmark.writeLine(out, try MediaBenchmark.encode(try require(await pc.localDescription, "local description")))
        guard let answer = await reader.next() else { throw MediaBenchmark.BenchError("the receiver closed before answering") }
        try await pc.setRemoteDescription(try MediaBenchmark.decode(answer))
        for await event in pc.dataChannelEvents { if case .open = event { break } }

        let payload = (0..<size).map { UInt8(truncatingIfNeeded: $0 % 251) }
        // The digest the receiver must report, computed before the clock starts (the payload is
        // the same every message), as in the Pion and aiortc benchmarks.
        var expected = SHA256()
        for _ in stride(from: 0, to: total, by: size) { expected.update(data: payload) }
        let cpu0 = MediaBenchmark.cpuSeconds()
        let start = ContinuousClock.now
        var sent = 0
        while sent < total {
            try await tx.send(payload)
            sent += size
        }
        guard let done = await reader.next() else { throw MediaBenchmark.BenchError("the receiver closed before it had everything") }
        let elapsed = Benchmark.milliseconds(.now - start) / 1000
        let cpu = MediaBenchmark.cpuSeconds() - cpu0
        let fields = done.split(separator: " ")
        guard fields.count == 3, fields[0] == "done", let receiverCPU = Double(fields[1]) else {
            throw MediaBenchmark.BenchError("unexpected line from the receiver: \(done)")
        }
        let ok = fields[2] == hex(expected.finalize())
        print(String(format: "swiftrtc two-process bulk %d KiB messages: %.1f Mbit/s, %.2f + %.2f CPU-s (sender + receiver) for %d MiB = %.2f CPU-s per GiB, sha256 %@",
                     size >> 10, Double(total) * 8 / elapsed / 1e6, cpu, receiverCPU, total >> 20,
                     (cpu + receiverCPU) * Double(1 << 30) / Double(total), ok ? "match" : "MISMATCH"))
        try out.close()
        await pc.close()
    }
}
