import Foundation
import NIOCore
import RTCCore
import RTCDTLS
import RTCRTP
import RTCSession
import RTCSFU
import SwiftRTC
import Synchronization

/// SFU forwarding over real sockets (issue 15 item 6), the SwiftRTC half of scripts/bench-sfu.sh:
/// three processes on loopback, of which only the server is measured.
///
///     swiftrtc-bench sfu-server PUB_OFFERS PUB_ANSWERS SUB_OFFERS SUB_ANSWERS COUNT
///     swiftrtc-bench sfu-publish PUB_OFFERS PUB_ANSWERS PPS SIZE
///     swiftrtc-bench sfu-subscribe SUB_OFFERS SUB_ANSWERS COUNT SERVER_PID SECONDS IMPL
///
/// - `sfu-server`: an `SFUEdge` on one UDP socket (127.0.0.1). It answers the publisher's offer
///   (one video track, published as VP8), then offers COUNT subscriber sessions one sending VP8
///   transceiver each, subscribed to that track, and serves until it is killed.
/// - `sfu-publish`: one PeerConnection offering one video track of RTP packets
///   (`MediaTrackSource.rtp`): PPS packets/s of SIZE-byte VP8-shaped payloads (30 frames/s, the
///   frame's packets in one burst, a key frame every 2 s or when the server asks for one).
/// - `sfu-subscribe`: COUNT receive-only PeerConnections answering the server's offers; each
///   drains its remote track. Once every track receives, after 2 s of warm-up, it counts the
///   RTP packets that arrive and those lost (`RemoteTrack.stats()`) over SECONDS and reads
///   the server's CPU time (utime + stime of `/proc/SERVER_PID/stat`) at both ends, and prints
///   `sfu IMPL COUNT: S s, C server CPU-s, P packets, L lost, B bytes, R subscriber CPU-s, T tracks`.
///
/// Signaling is one JSON `SessionDescription` per line through named pipes, each side opening
/// the publisher's pair first (offers, then answers), then the subscribers' pair likewise.
/// The Pion server of scripts/bench/pion-sfu speaks the same lines, so the publisher and the
/// subscribers (these, SwiftRTC) are the same for both servers.
enum SFUForwardingBenchmark {
    typealias BenchError = MediaBenchmark.BenchError

    static func run(_ args: [String]) async throws {
        do {
            switch args[1] {
            case "sfu-server":
                guard args.count >= 7, let count = Int(args[6]) else {
                    throw BenchError("usage: sfu-server PUB_OFFERS PUB_ANSWERS SUB_OFFERS SUB_ANSWERS COUNT")
                }
                try await serve(publisherOffers: args[2], publisherAnswers: args[3], subscriberOffers: args[4],
                                subscriberAnswers: args[5], count: count)
            case "sfu-publish":
                guard args.count >= 6, let pps = Int(args[4]), let size = Int(args[5]), pps > 0, size >= 2 else {
                    throw BenchError("usage: sfu-publish PUB_OFFERS PUB_ANSWERS PPS SIZE")
                }
                try await publish(offers: args[2], answers: args[3], pps: pps, size: size)
            default:
                guard args.count >= 8, let count = Int(args[4]), let pid = Int32(args[5]), let seconds = Double(args[6]) else {
                    throw BenchError("usage: sfu-subscribe SUB_OFFERS SUB_ANSWERS COUNT SERVER_PID SECONDS IMPL")
                }
                try await subscribe(offers: args[2], answers: args[3], count: count, serverPID: pid, seconds: seconds, impl: args[7])
            }
        } catch {
            FileHandle.standardError.write(Data("swiftrtc-bench \(args[1]): \(error)\n".utf8))
            exit(1)
        }
    }

    // MARK: Server

    static func serve(publisherOffers: String, publisherAnswers: String, subscriberOffers: String,
                      subscriberAnswers: String, count: Int) async throws {
        let (added, addedSink) = AsyncStream<(SFUSessionKey, SessionRemoteTrack)>.makeStream(bufferingPolicy: .unbounded)
        let edge = SFUEdge { event in
            if case .media(.trackAdded(let track)) = event.event { addedSink.yield((event.session, track)) }
        }
        guard await edge.bind(TransportAddress(ip: IPAddress("127.0.0.1")!, port: 0)) != nil else {
            throw BenchError("cannot bind 127.0.0.1")
        }
        let certificate = try DTLSCertificate.generateSelfSigned(now: Date())

        // The publisher: its offer in, our answer out, its video track published.
        let publisherIn = try MediaBenchmark.LineReader(path: publisherOffers)
        guard let publisherOut = FileHandle(forWritingAtPath: publisherAnswers) else { throw BenchError("cannot open \(publisherAnswers)") }
        guard let offerLine = await publisherIn.next() else { throw BenchError("the publisher closed before offering") }
        let offer = try MediaBenchmark.decode(offerLine)
        let publisher = await edge.addSession(RTCSession(certificate: certificate))
        let answer = try await edge.withSession(publisher) { s throws(SessionError) -> SessionDescription? in
            try s.setRemoteDescription(offer, now: .now())
            try s.setLocalDescription(try s.createAnswer(), now: .now())
            return s.localDescription
        }
        try MediaBenchmark.writeLine(publisherOut, try MediaBenchmark.encode(try require(answer ?? nil, "answer to the publisher")))
        var tracks = added.makeAsyncIterator()
        let (key, track) = try require(await tracks.next(), "the publisher's track")
        guard key == publisher, track.kind == .video else { throw BenchError("unexpected track \(track) from session \(key)") }
        let published = try await edge.publish(SFUTransceiver(session: publisher, handle: track.handle), codec: .vp8)

        // The subscribers: one session each, offered one sending VP8 transceiver, subscribed.
        guard let subscriberOut = FileHandle(forWritingAtPath: subscriberOffers) else { throw BenchError("cannot open \(subscriberOffers)") }
        let subscriberIn = try MediaBenchmark.LineReader(path: subscriberAnswers)
        for i in 0..<count {
            let member = await edge.addSession(RTCSession(certificate: certificate))
            let made = try await edge.withSession(member) { s throws(SessionError) -> (Int, SessionDescription?) in
                let handle = try s.addTransceiver(kind: .video, direction: .sendonly,
                                                  sender: SessionMediaSender(trackID: "video", streamIDs: ["bench"], codec: .vp8),
                                                  now: .now())
                try s.setLocalDescription(try s.createOffer(), now: .now())
                return (handle, s.localDescription)
            }
            let (handle, subscriberOffer) = try require(made, "subscriber session \(i)")
            try MediaBenchmark.writeLine(subscriberOut, try MediaBenchmark.encode(try require(subscriberOffer, "offer to subscriber \(i)")))
            guard let line = await subscriberIn.next() else { throw BenchError("the subscribers closed before answer \(i)") }
            let subscriberAnswer = try MediaBenchmark.decode(line)
            _ = try await edge.withSession(member) { s throws(SessionError) in try s.setRemoteDescription(subscriberAnswer, now: .now()) }
            try await edge.subscribe(SFUTransceiver(session: member, handle: handle), to: published)
        }
        FileHandle.standardError.write(Data("sfu-server: \(count) subscribers negotiated\n".utf8))
        // Serve until killed; the router's counters go to stderr now and then, for the log.
        while true {
            try await Task.sleep(for: .seconds(5))
            let statistics = await edge.routerStatistics
            let transport = await edge.withSession(publisher) { s in s.statisticsSnapshot.transport }
            let (drops, unwritable) = await (edge.drops, edge.datagramsDroppedUnwritable)
            FileHandle.standardError.write(Data(("sfu-server: \(statistics); from the publisher: \(transport?.packetsReceived ?? 0) "
                                                 + "datagrams; multiplexer drops \(drops); unwritable \(unwritable)\n").utf8))
        }
    }

    // MARK: Publisher

    final class Flag: Sendable {
        let value = Atomic<Bool>(false)
    }

    static func publish(offers: String, answers: String, pps: Int, size: Int) async throws {
        let client = WebRTCClient(engine: .native)
        let video = try await client.createVideoTrack(source: .rtp(codec: .vp8))
        guard let out = FileHandle(forWritingAtPath: offers) else { throw BenchError("cannot open \(offers)") }
        let reader = try MediaBenchmark.LineReader(path: answers)
        let pc = try await client.createPeerConnection()
        _ = try await pc.addTrack(video, streamIDs: ["bench"])
        let connection = Task { await MediaBenchmark.connected(pc) }
        try await pc.setLocalDescription(try await pc.createOffer())
        try await pc.awaitIceGatheringComplete()
        try MediaBenchmark.writeLine(out, try MediaBenchmark.encode(try require(await pc.localDescription, "local description")))
        guard let line = await reader.next() else { throw BenchError("the server closed before answering") }
        try await pc.setRemoteDescription(try MediaBenchmark.decode(line))
        await connection.value
        try await Task.sleep(for: .milliseconds(500))  // DTLS done on both sides, SRTP keys in place

        // The server's key-frame requests (PLI/FIR) make the next frame a key frame.
        let keyFrameWanted = Flag()
        let requests = Task {
            for await _ in video.keyFrameRequests { keyFrameWanted.value.store(true, ordering: .relaxed) }
        }
        defer { requests.cancel() }
        // VP8-shaped payloads (RFC 7741): a payload descriptor byte with S set on a frame's
        // first packet, then the VP8 payload header, whose P bit is 0 on a key frame.
        func payload(first: Bool, key: Bool, fill: UInt8) -> ByteBuffer {
            var bytes = [UInt8](repeating: fill, count: size)
            bytes[0] = first ? 0x10 : 0x00
            if first { bytes[1] = key ? 0x10 : 0x11 }
            return ByteBuffer(bytes: bytes)
        }
        let filler = (0..<64).map { payload(first: false, key: false, fill: UInt8($0)) }
        let keyStart = payload(first: true, key: true, fill: 0x9d)
        let deltaStart = payload(first: true, key: false, fill: 0x9d)

        let frameRate = 30
        let start = NIODeadline.now()
        var sequenceNumber: UInt16 = 0
        var sent = 0
        var frame = 0
        while !Task.isCancelled {
            let due = start + .nanoseconds(Int64(frame) * 1_000_000_000 / Int64(frameRate))
            let wait = due - .now()
            if wait > .zero { try await Task.sleep(nanoseconds: UInt64(wait.nanoseconds)) }
            // As many packets as keep the total at PPS × elapsed frames (at least one per frame).
            let packets = max((frame + 1) * pps / frameRate - sent, 1)
            let key = frame % (2 * frameRate) == 0 || keyFrameWanted.value.exchange(false, ordering: .relaxed)
            let timestamp = UInt32(truncatingIfNeeded: frame * 90_000 / frameRate)
            for n in 0..<packets {
                let header = RTPHeader(marker: n == packets - 1, payloadType: 96, sequenceNumber: sequenceNumber,
                                       timestamp: timestamp, ssrc: 0)
                let body = n == 0 ? (key ? keyStart : deltaStart) : filler[(sent + n) % filler.count]
                video.writeRTP(RTPPacket(header: header, payload: body))
                sequenceNumber &+= 1
            }
            sent += packets
            frame += 1
            if frame % (5 * frameRate) == 0 {  // for the log: packets written and how late the loop runs
                let late = Double((NIODeadline.now() - due).nanoseconds) / 1e6
                let report = await pc.statistics()
                let rtp = report.entries(ofType: .outboundRTP).compactMap(\.packetsSent).reduce(0, +)
                FileHandle.standardError.write(Data(String(format: "sfu-publish: %d frames, %d packets written, %d RTP packets sent, %d datagrams sent, %.1f ms behind\n",
                                                           frame, sent, rtp, report.transport?.packetsSent ?? -1, late).utf8))
            }
        }
        await pc.close()
    }

    // MARK: Subscribers

    /// A process's user + system CPU seconds from `/proc/PID/stat` (fields 14 and 15, in clock ticks).
    static func processCPUSeconds(_ pid: Int32) throws -> Double {
        let stat = try String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)
        // The command name (field 2) is in parentheses and may hold spaces: count after its end.
        guard let close = stat.lastIndex(of: ")") else { throw BenchError("cannot parse /proc/\(pid)/stat") }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else {
            throw BenchError("cannot parse /proc/\(pid)/stat")
        }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    struct Counts {
        var packets = 0, lost = 0, bytes = 0, receiving = 0
    }

    static func counts(_ tracks: [RemoteTrack]) async -> Counts {
        var c = Counts()
        for track in tracks {
            guard let stats = await track.stats() else { continue }
            c.packets += stats.packetsReceived
            c.lost += stats.packetsLost
            c.bytes += stats.bytesReceived
            if stats.packetsReceived > 0 { c.receiving += 1 }
        }
        return c
    }

    static func subscribe(offers: String, answers: String, count: Int, serverPID: Int32, seconds: Double, impl: String) async throws {
        let client = WebRTCClient(engine: .native)
        let reader = try MediaBenchmark.LineReader(path: offers)
        guard let out = FileHandle(forWritingAtPath: answers) else { throw BenchError("cannot open \(answers)") }
        var pcs: [PeerConnection] = []
        var arriving: [Task<RemoteTrack?, Never>] = []
        for i in 0..<count {
            guard let line = await reader.next() else { throw BenchError("the server closed before offer \(i)") }
            let pc = try await client.createPeerConnection()
            // The track is drained (frames assembled and dropped), as a real consumer would.
            arriving.append(Task {
                for await event in pc.trackEvents {
                    guard case .add(let track) = event else { continue }
                    Task { for try await _ in track {} }
                    return track
                }
                return nil
            })
            try await pc.setRemoteDescription(try MediaBenchmark.decode(line))
            try await pc.setLocalDescription(try await pc.createAnswer())
            try await pc.awaitIceGatheringComplete()
            try MediaBenchmark.writeLine(out, try MediaBenchmark.encode(try require(await pc.localDescription, "local description")))
            pcs.append(pc)
        }
        var tracks: [RemoteTrack] = []
        for task in arriving {
            let track = await withTaskGroup(of: RemoteTrack?.self) { group in
                group.addTask { await task.value }
                group.addTask { try? await Task.sleep(for: .seconds(30)); return nil }
                let first = await group.next()!
                group.cancelAll()
                return first
            }
            if let track { tracks.append(track) }
        }
        // Every track receiving (up to 60 s: a subscriber starts at the publisher's next key frame).
        let deadline = NIODeadline.now() + .seconds(60)
        while await counts(tracks).receiving < count, NIODeadline.now() < deadline {
            try await Task.sleep(for: .milliseconds(200))
        }
        try await Task.sleep(for: .seconds(2))  // warm-up

        let before = await counts(tracks)
        let serverCPU0 = try processCPUSeconds(serverPID)
        let ownCPU0 = MediaBenchmark.cpuSeconds()
        let start = NIODeadline.now()
        try await Task.sleep(for: .milliseconds(Int64(seconds * 1000)))
        let after = await counts(tracks)
        let serverCPU = try processCPUSeconds(serverPID) - serverCPU0
        let ownCPU = MediaBenchmark.cpuSeconds() - ownCPU0
        let elapsed = Double((NIODeadline.now() - start).nanoseconds) / 1e9
        print(String(format: "sfu %@ %d: %.2f s, %.2f server CPU-s, %d packets, %d lost, %d bytes, %.2f subscriber CPU-s, %d tracks",
                     impl, count, elapsed, serverCPU, after.packets - before.packets, after.lost - before.lost,
                     after.bytes - before.bytes, ownCPU, after.receiving))
        for pc in pcs { await pc.close() }
    }
}
