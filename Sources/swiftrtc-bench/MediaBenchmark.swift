import Foundation
import NIOCore
import RTCMedia
import SwiftRTC

/// SwiftRTC media benchmark (issue 13 item 6), the SwiftRTC half of scripts/bench-media.sh: a
/// sender process plays an IVF (VP8) and an Ogg (Opus) file in real time into one video and one
/// audio track added to COUNT peer connections; a receiver process (this one, `media-recv`, for
/// both senders) offers COUNT receive-only connections and counts the RTP packets that arrive.
/// Signaling is one JSON `SessionDescription` per line through two named pipes: the receiver
/// writes its offers to OFFERS, the sender writes its answers and then `done` to ANSWERS.
///
///     swiftrtc-bench media-recv OFFERS ANSWERS COUNT
///     swiftrtc-bench media-send OFFERS ANSWERS COUNT VIDEO.ivf AUDIO.ogg SECONDS
///
/// The sender prints `media swiftrtc COUNT: S s, C CPU-s, V video frames, A audio frames` (its
/// own user+system CPU time, getrusage, over the playing window only; setup excluded); the
/// receiver prints `media-recv swiftrtc COUNT: P packets, L lost, B bytes, F frames` once it read `done`.
enum MediaBenchmark {
    /// A pipe read line by line off the cooperative pool (a blocking read must not hold one of its threads).
    final class LineReader: @unchecked Sendable {
        private let file: UnsafeMutablePointer<FILE>
        private let queue = DispatchQueue(label: "media-bench.read")

        init(path: String) throws {
            guard let f = fopen(path, "r") else { throw BenchError("cannot open \(path)") }
            file = f
        }

        func next() async -> String? {
            await withCheckedContinuation { continuation in
                queue.async {
                    var line: UnsafeMutablePointer<CChar>?
                    var capacity = 0
                    defer { free(line) }
                    guard getline(&line, &capacity, self.file) > 0, let line else { return continuation.resume(returning: nil) }
                    continuation.resume(returning: String(cString: line).trimmingCharacters(in: .newlines))
                }
            }
        }
    }

    struct BenchError: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = description }
    }

    static func cpuSeconds() -> Double {
        var usage = rusage()
        getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
        return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec)
            + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
    }

    static func writeLine(_ handle: FileHandle, _ text: String) throws {
        try handle.write(contentsOf: Data((text + "\n").utf8))
    }

    static func encode(_ description: SessionDescription) throws -> String {
        String(decoding: try JSONEncoder().encode(description), as: UTF8.self)
    }

    static func decode(_ line: String) throws -> SessionDescription {
        try JSONDecoder().decode(SessionDescription.self, from: Data(line.utf8))
    }

    static func connected(_ pc: PeerConnection) async {
        for await state in pc.connectionStateUpdates where state == .connected { return }
    }

    static func run(_ args: [String]) async throws {
        do {
            guard args.count >= 5, let count = Int(args[4]) else { throw BenchError("usage: media-recv|media-send OFFERS ANSWERS COUNT ...") }
            if args[1] == "media-recv" {
                try await receive(offers: args[2], answers: args[3], count: count)
            } else {
                guard args.count >= 8, let seconds = Double(args[7]) else { throw BenchError("usage: media-send OFFERS ANSWERS COUNT VIDEO.ivf AUDIO.ogg SECONDS") }
                try await send(offers: args[2], answers: args[3], count: count, ivf: args[5], ogg: args[6], seconds: seconds)
            }
        } catch {
            FileHandle.standardError.write(Data("swiftrtc-bench \(args[1]): \(error)\n".utf8))
            exit(1)
        }
    }

    // MARK: Receiver

    static func receive(offers: String, answers: String, count: Int) async throws {
        let client = WebRTCClient(engine: .native)
        // Both pipes open in the same order on both sides (offers, then answers), before any
        // line is written: a pipe's buffer holds fewer than 50 offers.
        guard let out = FileHandle(forWritingAtPath: offers) else { throw BenchError("cannot open \(offers)") }
        let reader = try LineReader(path: answers)
        var pcs: [PeerConnection] = []
        var collectors: [Task<[RemoteTrack], Never>] = []
        for _ in 0..<count {
            let pc = try await client.createPeerConnection()
            _ = try await pc.addTransceiver(kind: .video, direction: .recvonly)
            _ = try await pc.addTransceiver(kind: .audio, direction: .recvonly)
            // Each remote track is drained (frames assembled and dropped) like a real consumer would.
            collectors.append(Task {
                var found: [RemoteTrack] = []
                for await event in pc.trackEvents {
                    guard case .add(let track) = event else { continue }
                    found.append(track)
                    Task { for try await _ in track {} }
                    if found.count == 2 { break }
                }
                return found
            })
            // One offer/answer at a time: a connection whose answer waited behind 49 offers
            // would fail its connectivity checks at the sender meanwhile.
            try await pc.setLocalDescription(try await pc.createOffer())
            try await pc.awaitIceGatheringComplete()
            try writeLine(out, try encode(try require(await pc.localDescription, "local description")))
            guard let line = await reader.next() else { throw BenchError("the sender closed before answering") }
            try await pc.setRemoteDescription(try decode(line))
            pcs.append(pc)
        }
        while let line = await reader.next(), line != "done" {}
        try await Task.sleep(for: .seconds(1))  // the last packets in flight
        var packets = 0, lost = 0, bytes = 0, frames = 0, tracks = 0
        for collector in collectors {
            // Tracks that never arrived count as nothing (the sender's figures still print).
            let found = await withTaskGroup(of: [RemoteTrack]?.self) { group in
                group.addTask { await collector.value }
                group.addTask { try? await Task.sleep(for: .seconds(1)); return nil }
                let first = await group.next()!
                group.cancelAll()
                return first ?? []
            }
            for track in found {
                guard let stats = await track.stats() else { continue }
                tracks += 1
                packets += stats.packetsReceived
                lost += stats.packetsLost
                bytes += stats.bytesReceived
                frames += stats.framesReceived
            }
        }
        print("media-recv swiftrtc \(count): \(packets) packets, \(lost) lost, \(bytes) bytes, \(frames) frames, \(tracks) tracks")
        try out.close()  // the sender waits for this end of the pipe before it closes its connections
        for pc in pcs { await pc.close() }
    }

    // MARK: Sender

    /// The files' frames in playing order: nanoseconds from the start, bytes, key frame, video.
    static func load(ivf: String, ogg: String) throws -> [(at: Int64, data: ByteBuffer, key: Bool, video: Bool)] {
        var frames: [(at: Int64, data: ByteBuffer, key: Bool, video: Bool)] = []
        var ivfReader = try IVFReader(ByteBuffer(bytes: try Data(contentsOf: URL(fileURLWithPath: ivf))))
        let timebase = (Int64(ivfReader.header.timebaseNumerator), Int64(ivfReader.header.timebaseDenominator))
        while let frame = try ivfReader.nextFrame() {
            // VP8 payload header: bit 0 of the first byte is 0 on a key frame (RFC 6386 §9.1).
            let key = (frame.data.getInteger(at: frame.data.readerIndex, as: UInt8.self) ?? 1) & 1 == 0
            frames.append((Int64(frame.timestamp) * timebase.0 * 1_000_000_000 / timebase.1, frame.data, key, true))
        }
        var oggReader = OggReader(ByteBuffer(bytes: try Data(contentsOf: URL(fileURLWithPath: ogg))))
        var index: Int64 = 0
        var headers = 0
        while let (packet, _) = try oggReader.nextPacket() {
            if headers < 2 { headers += 1; continue }  // OpusHead, OpusTags
            frames.append((index * 20_000_000, packet, true, false))  // libopus' default 20 ms frames
            index += 1
        }
        frames.sort { $0.at < $1.at }
        return frames
    }

    static func send(offers: String, answers: String, count: Int, ivf: String, ogg: String, seconds: Double) async throws {
        let frames = try load(ivf: ivf, ogg: ogg).filter { Double($0.at) < seconds * 1e9 }
        let client = WebRTCClient(engine: .native)
        let video = try await client.createVideoTrack(source: .frames(codec: .vp8))
        let audio = try await client.createAudioTrack(source: .frames(codec: .opus))
        let reader = try LineReader(path: offers)
        guard let out = FileHandle(forWritingAtPath: answers) else { throw BenchError("cannot open \(answers)") }
        var pcs: [PeerConnection] = []
        var connections: [Task<Void, Never>] = []
        for _ in 0..<count {
            guard let line = await reader.next() else { throw BenchError("the receiver closed before offering") }
            let pc = try await client.createPeerConnection()
            connections.append(Task { await connected(pc) })
            try await pc.setRemoteDescription(try decode(line))
            _ = try await pc.addTrack(video, streamIDs: ["bench"])
            _ = try await pc.addTrack(audio, streamIDs: ["bench"])
            try await pc.setLocalDescription(try await pc.createAnswer())
            try await pc.awaitIceGatheringComplete()
            try writeLine(out, try encode(try require(await pc.localDescription, "local description")))
            pcs.append(pc)
        }
        let watchdog = Task {
            try await Task.sleep(for: .seconds(60))
            for connection in connections { connection.cancel() }  // ends their state loops
        }
        for connection in connections { await connection.value }
        watchdog.cancel()
        var up = 0
        for pc in pcs where await pc.connectionState == .connected { up += 1 }
        guard up == count else { throw BenchError("\(count - up) of \(count) connections did not connect in 60 s") }
        try await Task.sleep(for: .seconds(1))  // DTLS done on both sides, SRTP keys in place
        let cpu0 = cpuSeconds()
        let start = NIODeadline.now()
        var sent = (video: 0, audio: 0)
        for frame in frames {
            let due = start + .nanoseconds(frame.at)
            let wait = due - .now()
            if wait > .zero { try await Task.sleep(nanoseconds: UInt64(wait.nanoseconds)) }
            if frame.video {
                video.write(frame.data, isKeyFrame: frame.key, captureTime: due)
                sent.video += 1
            } else {
                audio.write(frame.data, isKeyFrame: true, captureTime: due)
                sent.audio += 1
            }
        }
        let elapsed = Double((NIODeadline.now() - start).nanoseconds) / 1e9
        let cpu = cpuSeconds() - cpu0
        try writeLine(out, "done")
        print(String(format: "media swiftrtc %d: %.2f s, %.3f CPU-s, %d video frames, %d audio frames",
                     count, elapsed, cpu, sent.video, sent.audio))
        while await reader.next() != nil {}  // the receiver read its counters (it closed the offers pipe)
        for pc in pcs { await pc.close() }
    }
}

/// `#require` for a benchmark: the value, or an error naming what was missing.
func require<T>(_ value: T?, _ what: String = "value") throws -> T {
    guard let value else { throw MediaBenchmark.BenchError("missing \(what)") }
    return value
}
