import Crypto
import Foundation
import Logging
import RTCDTLS
import NIOPosix
import SwiftRTC

/// SwiftRTC data-channel benchmark: two peer connections in one process over UDP on loopback.
/// Prints offer→open time (p50/p95/max of N) and bulk throughput for 16 KiB and 64 KiB messages,
/// in the same format as scripts/bench/aiortc_datachannel.py. Run with scripts/bench.sh.
@main
struct Benchmark {
    /// Two connected peer connections with an open data channel between them.
    struct Pair {
        let a: PeerConnection
        let b: PeerConnection
        let tx: DataChannel
        let rx: DataChannel
        /// Offer→open in milliseconds.
        let ms: Double
        /// Milliseconds from the offer to each step (``phaseNames``), on the offerer's side.
        var phases: [Double] = []
        /// Milliseconds each API call of the offer/answer exchange took (``callNames``).
        var calls: [Double] = []

        func close() async {
            await a.close()
            await b.close()
        }
    }

    /// Connections opened and closed before the timed ones.
    static let warmUpConnections = 20

    /// The steps of opening a connection whose times `connect(client:phases:)` records.
    static let phaseNames = ["offerer gathered", "answerer gathered", "answer applied", "ICE connected",
                             "DTLS connected", "channel open"]

    /// The awaited API calls of `connect`, in order, whose times `phases` records.
    static let callNames = ["a.createDataChannel", "a.createOffer", "a.setLocalDescription", "a.awaitIceGatheringComplete",
                            "a.localDescription", "b.setRemoteDescription", "b.createAnswer", "b.setLocalDescription",
                            "b.awaitIceGatheringComplete", "b.localDescription", "a.setRemoteDescription"]

    /// One event loop for both connections of a pair (the open time without thread hand-offs
    /// between the two peers; the benchmark's own task still runs on Swift's global pool).
    static let oneLoop = WebRTCClient(engine: .native(eventLoopGroup: MultiThreadedEventLoopGroup(numberOfThreads: 1)))

    /// The offer->open times of `runs` connections, after ``warmUpConnections`` untimed ones
    /// (20 in Pion's and aiortc's benchmarks too): the first connections of a process pay
    /// one-time costs (type metadata, the allocator's and the event loops' first growth).
    static func timedOpens(_ runs: Int) async throws -> [Double] {
        guard runs > 0 else { return [] }
        for _ in 0..<warmUpConnections { await (try await connect()).close() }
        var times: [Double] = []
        for _ in 0..<runs {
            let pair = try await connect()
            times.append(pair.ms)
            await pair.close()
        }
        return times
    }

    static func milliseconds(_ d: Duration) -> Double {
        Double(d.components.seconds) * 1000 + Double(d.components.attoseconds) / 1e15
    }

    /// Connects a pair over loopback and opens a channel. With `phases`, the offerer's ICE and
    /// connection states are watched by two tasks that note when they reach `connected` (off
    /// the connection's path: they only read its state streams).
    static func connect(client: WebRTCClient = WebRTCClient(engine: .native), phases: Bool = false) async throws -> Pair {
        let a = try await client.createPeerConnection()
        let b = try await client.createPeerConnection()
        let start = ContinuousClock.now
        let iceWatch = phases ? Task { () -> Double? in
            for await state in a.iceConnectionStateUpdates where state == .connected { return milliseconds(.now - start) }
            return nil
        } : nil
        let dtlsWatch = phases ? Task { () -> Double? in
            for await state in a.connectionStateUpdates where state == .connected { return milliseconds(.now - start) }
            return nil
        } : nil
        var marks: [Double] = []
        var calls: [Double] = []
        var last = start
        /// Notes the time of the call that just returned (with `phases` only).
        func called() {
            guard phases else { return }
            let now = ContinuousClock.now
            calls.append(milliseconds(now - last))
            last = now
        }
        let channel = try await a.createDataChannel("bench"); called()
        let offer = try await a.createOffer(); called()
        try await a.setLocalDescription(offer); called()
        try await a.awaitIceGatheringComplete(); called()
        marks.append(milliseconds(.now - start))
        let offerWithCandidates = await a.localDescription!; called()
        try await b.setRemoteDescription(offerWithCandidates); called()
        let answer = try await b.createAnswer(); called()
        try await b.setLocalDescription(answer); called()
        try await b.awaitIceGatheringComplete(); called()
        marks.append(milliseconds(.now - start))
        let answerWithCandidates = await b.localDescription!; called()
        try await a.setRemoteDescription(answerWithCandidates); called()
        marks.append(milliseconds(.now - start))
        // Timed to the offerer's channel opening, as Pion's and aiortc's benchmarks time theirs
        // (the answerer's end opens when the OPEN arrives, half a round trip later).
        for await event in a.dataChannelEvents { if case .open = event { break } }
        let ms = milliseconds(.now - start)
        var remote: DataChannel?
        for await event in b.dataChannelEvents { if case .open(let c) = event { remote = c; break } }
        if let iceWatch, let dtlsWatch {
            marks.append(await iceWatch.value ?? .nan)
            marks.append(await dtlsWatch.value ?? .nan)
            marks.append(ms)
        }
        return Pair(a: a, b: b, tx: channel, rx: remote!, ms: ms, phases: phases ? marks : [], calls: calls)
    }

    /// What a connection costs before the offer (not in offer->open): its DTLS certificate
    /// (ECDSA P-256 key, self-signed X.509) unless one is shared, and `createPeerConnection`.
    static func printSetUpCosts(runs: Int) async throws {
        var generate: [Double] = []
        for _ in 0..<runs {
            let start = ContinuousClock.now
            _ = try DTLSCertificate.generateSelfSigned(now: Date())
            generate.append(milliseconds(.now - start))
        }
        let shared = try DTLSCertificate.generateSelfSigned(now: Date())
        var fresh: [Double] = [], reused: [Double] = []
        for reuse in [false, true] {
            let client = WebRTCClient(engine: .native) { if reuse { $0.defaultConnectionConfiguration.certificate = shared } }
            for _ in 0..<runs {
                let start = ContinuousClock.now
                let pc = try await client.createPeerConnection()
                let ms = milliseconds(.now - start)
                if reuse { reused.append(ms) } else { fresh.append(ms) }
                await pc.close()
            }
        }
        func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }
        print(String(format: "swiftrtc set-up before the offer (median of %d): certificate generation %.2f ms; createPeerConnection %.2f ms, %.2f ms with a certificate shared by the client (ConnectionConfiguration.certificate)",
                     runs, median(generate), median(fresh), median(reused)))
        let (x25519, p256) = ecdheCosts(runs: max(runs, 200))
        let (sign, verify) = try signatureCosts(runs: max(runs, 200))
        print(String(format: "swiftrtc handshake crypto, each side (median of %d): ECDHE key share (key pair + shared secret) X25519 %.3f ms (used), P-256 %.3f ms; ECDSA P-256 sign %.3f ms, verify with the key read from DER %.3f ms",
                     max(runs, 200), x25519, p256, sign, verify))
    }

    /// One ECDSA P-256 signature as the handshake makes it (ServerKeyExchange or
    /// CertificateVerify) and one verification with the public key taken from DER, as the peer's
    /// certificate gives it.
    static func signatureCosts(runs: Int) throws -> (sign: Double, verify: Double) {
        let key = P256.Signing.PrivateKey()
        let der = key.publicKey.derRepresentation
        let data = [UInt8](repeating: 7, count: 180)
        var s: [Double] = [], v: [Double] = []
        for _ in 0..<runs {
            var start = ContinuousClock.now
            let signature = try key.signature(for: data)
            s.append(milliseconds(.now - start))
            start = ContinuousClock.now
            let publicKey = try P256.Signing.PublicKey(derRepresentation: der)
            guard publicKey.isValidSignature(signature, for: data) else {
                throw MediaBenchmark.BenchError("a P-256 signature did not verify with its own key")
            }
            v.append(milliseconds(.now - start))
        }
        return (s.sorted()[runs / 2], v.sorted()[runs / 2])
    }

    /// What one side's ECDHE costs with each group swift-crypto offers the handshake: a key
    /// pair, and the shared secret with the peer's public key (the other side's work is the same).
    static func ecdheCosts(runs: Int) -> (x25519: Double, p256: Double) {
        let peerX = Curve25519.KeyAgreement.PrivateKey().publicKey
        let peerP = P256.KeyAgreement.PrivateKey().publicKey
        var x: [Double] = [], p: [Double] = []
        for _ in 0..<runs {
            var start = ContinuousClock.now
            let kx = Curve25519.KeyAgreement.PrivateKey()
            _ = kx.publicKey.rawRepresentation
            _ = try? kx.sharedSecretFromKeyAgreement(with: peerX)
            x.append(milliseconds(.now - start))
            start = ContinuousClock.now
            let kp = P256.KeyAgreement.PrivateKey(compactRepresentable: false)
            _ = kp.publicKey.x963Representation
            _ = try? kp.sharedSecretFromKeyAgreement(with: peerP)
            p.append(milliseconds(.now - start))
        }
        return (x.sorted()[runs / 2], p.sorted()[runs / 2])
    }

    static func bulk(messageSize: Int, total: Int) async throws -> (mbit: Double, cpu: Double, ok: Bool) {
        let pair = try await connect()
        let (tx, rx) = (pair.tx, pair.rx)
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
        // The digest the receiver must report, computed before the clock starts (the payload is
        // the same every message), as in the Pion and aiortc benchmarks.
        var expected = SHA256()
        for _ in stride(from: 0, to: total, by: messageSize) { expected.update(data: payload) }
        let cpu0 = clock()
        let start = ContinuousClock.now
        var sent = 0
        while sent < total {
            try await tx.send(payload)
            sent += messageSize
        }
        let (digest, _) = try await receiver.value
        let elapsed = ContinuousClock.now - start
        let cpu = Double(clock() - cpu0) / Double(CLOCKS_PER_SEC)
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        await pair.close()
        let ok = digest == expected.finalize().map { String(format: "%02x", $0) }.joined()
        return (Double(total) * 8 / seconds / 1e6, cpu, ok)
    }

    static func main() async throws {
        // Connections log state changes at info (a few lines per connection); the benchmark
        // shows warnings only, as Pion and aiortc log nothing by default.
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = .warning
            return handler
        }
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
        // `swiftrtc-bench dc-core [SIZE] [TOTAL]`: two sessions' data-channel path in memory (for callgrind).
        if args.count > 1, args[1] == "dc-core" {
            try DataChannelCoreBenchmark.run(size: args.count > 2 ? Int(args[2]) ?? 16384 : 16384,
                                             total: args.count > 3 ? Int(args[3]) ?? (64 << 20) : (64 << 20))
            return
        }
        // `swiftrtc-bench open-core [RUNS]`: the protocol cores' CPU cost of one offer->open.
        if args.count > 1, args[1] == "open-core" {
            try OpenCoreBenchmark.run(runs: args.count > 2 ? Int(args[2]) ?? 200 : 200)
            return
        }
        // `swiftrtc-bench jsep-core [RUNS]`: each JSEP call's CPU cost, two sessions in memory.
        if args.count > 1, args[1] == "jsep-core" {
            try JSEPCoreBenchmark.run(runs: args.count > 2 ? Int(args[2]) ?? 500 : 500)
            return
        }
        // `swiftrtc-bench media-recv|media-send …`: the media benchmark (scripts/bench-media.sh).
        if args.count > 1, args[1] == "media-recv" || args[1] == "media-send" {
            try await MediaBenchmark.run(args)
            return
        }
        // `swiftrtc-bench sfu-server|sfu-publish|sfu-subscribe …`: SFU forwarding over loopback (scripts/bench-sfu.sh).
        if args.count > 1, ["sfu-server", "sfu-publish", "sfu-subscribe"].contains(args[1]) {
            try await SFUForwardingBenchmark.run(args)
            return
        }
        // `swiftrtc-bench dc-recv|dc-send …`: bulk between two processes (scripts/bench.sh two-process).
        if args.count > 1, args[1] == "dc-recv" || args[1] == "dc-send" {
            try await TwoProcessBenchmark.run(args)
            return
        }
        // `swiftrtc-bench memory [PAIRS] [CYCLES] [IDLE_SECONDS]`: RSS per idle connection and over connect/close cycles.
        if args.count > 1, args[1] == "memory" {
            try await MemoryBenchmark.run(pairs: args.count > 2 ? Int(args[2]) ?? 1000 : 1000,
                                          cycles: args.count > 3 ? Int(args[3]) ?? 1000 : 1000,
                                          idleSeconds: args.count > 4 ? Int(args[4]) ?? 2 : 2)
            return
        }
        // `swiftrtc-bench open-samples RUNS`: offer->open of RUNS connections after the warm-up,
        // every time printed (scripts/bench.sh runs it in rounds alternating with Pion's).
        if args.count > 1, args[1] == "open-samples" {
            let samples = try await timedOpens(args.count > 2 ? Int(args[2]) ?? 25 : 25)
            print("swiftrtc offer->open samples (ms): " + samples.map { String(format: "%.3f", $0) }.joined(separator: " "))
            return
        }
        let runs = args.count > 1 ? Int(args[1]) ?? 20 : 20
        let total = args.count > 2 ? Int(args[2]) ?? (50 << 20) : (50 << 20)
        // An optional third argument runs one part only (for profiling): open, bulk16 or bulk64.
        let only = args.count > 3 ? args[3] : nil
        // Offer->open, then the same again with the steps timed (watching the states costs two
        // tasks per connection, so the headline figure is taken without them).
        let openRuns = only == nil || only == "open" ? runs : 0
        var times = try await timedOpens(openRuns)
        var phases: [[Double]] = []
        var calls: [[Double]] = []
        var sharedLoop: [Double] = []
        for _ in 0..<openRuns {
            let pair = try await connect(phases: true)
            phases.append(pair.phases)
            calls.append(pair.calls)
            await pair.close()
        }
        for _ in 0..<openRuns {
            let pair = try await connect(client: oneLoop)
            sharedLoop.append(pair.ms)
            await pair.close()
        }
        times.sort()
        if !times.isEmpty {
            print(String(format: "swiftrtc offer->open: median %.1f ms over %d connections, p95 %.1f ms, max %.1f ms",
                         times[times.count / 2], runs, times[(times.count * 95 + 99) / 100 - 1], times.last!))
            let medians = phaseNames.indices.map { i in phases.map { $0[i] }.sorted()[phases.count / 2] }
            print("swiftrtc offer->open steps (median ms from the offer, \(runs) more connections): "
                  + zip(phaseNames, medians).map { String(format: "%@ %.2f", $0, $1) }.joined(separator: ", "))
            let callMedians = callNames.indices.map { i in calls.map { $0[i] }.sorted()[calls.count / 2] }
            print("swiftrtc offer->open API calls (median ms each, with the hop to the connection's event loop and back): "
                  + zip(callNames, callMedians).map { String(format: "%@ %.3f", $0, $1) }.joined(separator: ", "))
            sharedLoop.sort()
            print(String(format: "swiftrtc offer->open with both connections on one event loop: median %.1f ms, p95 %.1f ms",
                         sharedLoop[sharedLoop.count / 2], sharedLoop[(sharedLoop.count * 95 + 99) / 100 - 1]))
            try await printSetUpCosts(runs: runs)
        }
        for size in [16 << 10, 64 << 10] where only == nil || only == "bulk\(size >> 10)" {
            let r = try await bulk(messageSize: size, total: total)
            print(String(format: "swiftrtc bulk %d KiB messages: %.1f Mbit/s, %.2f CPU-s for %d MiB, sha256 %@",
                         size >> 10, r.mbit, r.cpu, total >> 20, r.ok ? "match" : "MISMATCH"))
        }
    }
}
