import ArgumentParser
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOWebSocket

/// `swiftrtc-loadgen`: load for the signaling server (`swiftrtc serve`) from many WebSocket
/// clients on a few NIO event loops. Clients join rooms in pairs; each sends relayed messages
/// to its room peer with a send timestamp inside, so the receiver measures relay latency.
/// Prints one `RESULT key=value …` line per run (read by `scripts/bench-signaling.sh`).
@main
struct LoadGenerator: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "swiftrtc-loadgen",
        abstract: "Load generator for the SwiftRTC signaling server (loopback only)."
    )

    enum Phase: String, ExpressibleByArgument {
        /// Closed loop (`--window` messages in flight per client): the most the server relays.
        case max
        /// Open loop at `--rate` messages/s: latency at a given load.
        case rate
        /// Connect `--clients` idle clients and report the server's RSS per client.
        case idle
    }

    @Option(help: "Server host (loopback only).") var host = "127.0.0.1"
    @Option(help: "Server port.") var port: Int = 8080
    @Option(help: "Ports of several servers of one cluster, comma-separated (e.g. 18090,18091,18092): the two members of each room connect to different servers, so every message crosses instances. Overrides --port.")
    var ports: String?
    @Option(help: "max | rate | idle.") var phase: Phase = .max
    @Option(help: "Client connections (an even number: rooms of two).") var clients = 1000
    @Option(help: "Event loops (threads).") var threads = 1
    @Option(help: "Messages in flight per client (max phase).") var window = 4
    @Option(help: "Offered messages/s in total (rate phase).") var rate: Double = 50_000
    @Option(help: "Seconds measured.") var duration: Double = 5
    @Option(help: "Seconds of load before measuring.") var warmup: Double = 1
    @Option(help: "ice (≈260-byte ice_candidate) | offer (≈2.7 KB offer).") var message = "ice"
    @Option(help: "Connections being set up at once.") var connectConcurrency = 256
    @Option(help: "Server pid, to read its VmRSS from /proc (idle phase).") var serverPID: Int?

    func validate() throws {
        guard ["127.0.0.1", "::1", "localhost"].contains(host) else { throw ValidationError("loopback servers only") }
        guard clients >= 2, clients % 2 == 0 else { throw ValidationError("--clients must be even and at least 2") }
        guard LoadMessages.Kind(rawValue: message) != nil else { throw ValidationError("--message is ice or offer") }
        if let ports, ports.split(separator: ",").contains(where: { Int($0) == nil }) || ports.split(separator: ",").count < 2 {
            throw ValidationError("--ports takes two or more comma-separated port numbers")
        }
    }

    func run() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: threads)
        let kind = LoadMessages.Kind(rawValue: message)!
        var loops: [any EventLoop] = []
        for loop in group.makeIterator() { loops.append(loop) }
        let workers = loops.enumerated().map { LoadWorker(loop: $1, kind: kind, seed: UInt64($0 + 1) &* 0x9E37_79B9_7F4A_7C15) }

        switch phase {
        case .idle:
            try await runIdle(workers)
        case .max, .rate:
            try await connect(clients, workers: workers, prefix: "c")
            try await Task.sleep(for: .milliseconds(300))  // peer_joined notifications land
            let mode: LoadWorker.Mode = phase == .max ? .echo : .rate(perSecond: rate / Double(workers.count))
            try await measure(workers, mode: mode)
        }
        try await group.shutdownGracefully()
    }

    /// Connects `count` clients (pairs on the same loop, in rooms `<prefix>r<k>`) and waits until each joined.
    private func connect(_ count: Int, workers: [LoadWorker], prefix: String) async throws {
        let started = ContinuousClock.now
        let servers = ports.map { $0.split(separator: ",").compactMap { Int($0) } } ?? [port]
        try await withThrowingTaskGroup(of: Void.self) { group in
            var pair = 0
            var inFlight = 0
            while pair * 2 < count {
                if inFlight >= connectConcurrency / 2 {
                    try await group.next()
                    inFlight -= 1
                }
                let worker = workers[pair % workers.count]
                let k = pair
                group.addTask {
                    let a = "\(prefix)\(k)a", b = "\(prefix)\(k)b", room = "\(prefix)r\(k)"
                    try await openClient(peer: a, room: room, target: b, worker: worker, port: servers[k % servers.count]).get()
                    try await openClient(peer: b, room: room, target: a, worker: worker, port: servers[(k + 1) % servers.count]).get()
                }
                inFlight += 1
                pair += 1
            }
            try await group.waitForAll()
        }
        let seconds = (ContinuousClock.now - started).seconds
        print("connected and joined \(count) clients in \(String(format: "%.2f", seconds)) s on \(workers.count) event loop(s)")
    }

    /// One WebSocket client on `worker`'s loop; the future completes when it has joined.
    private func openClient(peer: String, room: String, target: String, worker: LoadWorker,
                            port: Int) async throws -> EventLoopFuture<Void> {
        let host = self.host
        let upgraded: EventLoopFuture<EventLoopFuture<Void>?> = try await ClientBootstrap(group: worker.loop)
            .channelOption(.socketOption(.so_reuseaddr), value: 1)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .connect(host: host, port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    let upgrader = NIOTypedWebSocketClientUpgrader<NIOLoopBound<LoadConnection>?>(
                        maxFrameSize: 1 << 20,
                        upgradePipelineHandler: { channel, _ in
                            channel.eventLoop.makeCompletedFuture {
                                let joined = channel.eventLoop.makePromise(of: Void.self)
                                let handler = LoadConnection(peer: peer, room: room, target: target, worker: worker, joined: joined)
                                try channel.pipeline.syncOperations.addHandler(handler)
                                return NIOLoopBound(handler, eventLoop: channel.eventLoop)
                            }
                        }
                    )
                    var headers = HTTPHeaders()
                    headers.add(name: "Host", value: "\(host):\(port)")
                    let head = HTTPRequestHead(version: .http1_1, method: .GET, uri: "/ws", headers: headers)
                    let configuration = NIOTypedHTTPClientUpgradeConfiguration<NIOLoopBound<LoadConnection>?>(
                        upgradeRequestHead: head, upgraders: [upgrader],
                        notUpgradingCompletionHandler: { channel in channel.eventLoop.makeSucceededFuture(nil) }
                    )
                    return try channel.pipeline.syncOperations.configureUpgradableHTTPClientPipeline(
                        configuration: .init(upgradeConfiguration: configuration)
                    ).map { bound -> EventLoopFuture<Void>? in
                        guard let connection = bound?.value else { return nil }
                        connection.start()
                        return connection.joined.futureResult
                    }
                }
            }
        guard let joined = try await upgraded.get() else { throw ValidationError("the server refused the WebSocket upgrade") }
        return joined
    }

    private func measure(_ workers: [LoadWorker], mode: LoadWorker.Mode) async throws {
        for worker in workers { try await worker.loop.submit { worker.start(mode, window: window) }.get() }
        try await Task.sleep(for: .seconds(warmup))
        for worker in workers { _ = try await worker.loop.submit { worker.takeSnapshot() }.get() }
        let started = ContinuousClock.now
        let cpuBefore = Self.cpuSeconds()
        try await Task.sleep(for: .seconds(duration))
        let cpu = Self.cpuSeconds() - cpuBefore
        var total = LoadWorker.Snapshot()
        for worker in workers {
            let s = try await worker.loop.submit { worker.takeSnapshot() }.get()
            total.sent += s.sent
            total.received += s.received
            total.latenciesMicros += s.latenciesMicros
            total.errors.merge(s.errors, uniquingKeysWith: +)
            total.serverCloses += s.serverCloses
            total.lost += s.lost
        }
        let seconds = (ContinuousClock.now - started).seconds
        for worker in workers { try await worker.loop.submit { worker.closeAll() }.get() }
        let latencies = total.latenciesMicros.sorted()
        func ms(_ q: Double) -> String {
            guard !latencies.isEmpty else { return "nan" }
            let i = min(latencies.count - 1, Int((q * Double(latencies.count - 1)).rounded()))
            return String(format: "%.2f", Double(latencies[i]) / 1000)
        }
        let errors = total.errors.map { "\($0.key):\($0.value)" }.sorted().joined(separator: ",")
        let label = phase == .max ? "max window=\(window)" : "rate offered=\(Int(rate))/s"
        print(String(format: "%@: %d clients, %@ messages: relayed %.0f msg/s (sent %.0f/s), latency p50 %@ ms p95 %@ ms p99 %@ ms max %@ ms",
                     label, clients, message, Double(total.received) / seconds, Double(total.sent) / seconds,
                     ms(0.5), ms(0.95), ms(0.99), ms(1.0)))
        if !errors.isEmpty || total.serverCloses > 0 || total.lost > 0 {
            print("errors: \(errors.isEmpty ? "none" : errors); server closes \(total.serverCloses); connections lost \(total.lost)")
        }
        print("RESULT phase=\(phase.rawValue) clients=\(clients) threads=\(threads) message=\(message) window=\(window) offered=\(phase == .rate ? Int(rate) : 0)"
              + String(format: " relayed_per_s=%.0f sent_per_s=%.0f", Double(total.received) / seconds, Double(total.sent) / seconds)
              + " p50_ms=\(ms(0.5)) p95_ms=\(ms(0.95)) p99_ms=\(ms(0.99)) max_ms=\(ms(1.0)) errors=\(errors.isEmpty ? "0" : errors) lost=\(total.lost)"
              + String(format: " loadgen_cpu=%.2f", cpu / seconds))
    }

    private func runIdle(_ workers: [LoadWorker]) async throws {
        guard let pid = serverPID else { throw ValidationError("--server-pid is needed for the idle phase") }
        // Warm up: the first connections pay for one-time allocations; connect and close some.
        try await connect(200, workers: workers, prefix: "w")
        for worker in workers { try await worker.loop.submit { worker.closeAll() }.get() }
        try await Task.sleep(for: .seconds(1))
        let before = try Self.rssKiB(pid)
        try await connect(clients, workers: workers, prefix: "i")
        try await Task.sleep(for: .seconds(2))
        let after = try Self.rssKiB(pid)
        var open = 0
        for worker in workers { open += try await worker.loop.submit { worker.openCount }.get() }
        let perClient = Double(after - before) / Double(clients)
        print(String(format: "idle: %d clients joined (%d still open): server RSS %.1f MiB before, %.1f MiB after: %.1f KiB per idle client",
                     clients, open, Double(before) / 1024, Double(after) / 1024, perClient))
        print(String(format: "RESULT phase=idle clients=%d open=%d rss_before_kib=%d rss_after_kib=%d kib_per_client=%.1f",
                     clients, open, before, after, perClient))
    }

    /// CPU seconds (user + system) this process has used.
    static func cpuSeconds() -> Double {
        var usage = rusage()
        #if os(Linux)
        getrusage(RUSAGE_SELF.rawValue, &usage)
        #else
        getrusage(RUSAGE_SELF, &usage)
        #endif
        return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
    }

    /// VmRSS of `pid` in KiB.
    static func rssKiB(_ pid: Int) throws -> Int {
        let status = try String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)
        for line in status.split(separator: "\n") where line.hasPrefix("VmRSS:") {
            return Int(line.split(separator: " ", omittingEmptySubsequences: true)[1]) ?? 0
        }
        throw ValidationError("no VmRSS for pid \(pid)")
    }
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
