import ArgumentParser
import Foundation
import NIOConcurrencyHelpers
import RTCSignaling
import SwiftRTC

/// `swiftrtc record --out DIR`: joins a room, receives every member's audio and video and
/// writes each member's to `DIR/<peer>.webm`, with progress on standard error, until
/// SIGINT/SIGTERM (or `--duration`), then finishes every file so it is complete.
struct RecordCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "record",
        abstract: "Record every member's audio and video in a room to DIR/<peer>.webm.",
        discussion: """
            Joining after others, it offers recvonly audio and video; joining first, it answers \
            each member's offer by receiving what it sends (docs/rooms.md). A member that sends \
            again after its tracks ended gets DIR/<peer>-2.webm, and so on. WebM holds VP8/VP9 \
            and Opus.
            """
    )

    @Option(help: "The directory to write the recordings to (created if missing).")
    var out: String

    @Option(help: "Stop after this many seconds (0: until interrupted).")
    var duration: Double = 0

    @OptionGroup var options: RoomOptions

    func run() async throws {
        CommandLogging.bootstrap(level: options.logLevel)
        do {
            try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        } catch {
            throw CommandFailure("cannot create \(out): \(error.localizedDescription)")
        }
        let room = options.makeRoom(command: "record") { configuration in
            configuration.receivesMedia = true
        }
        let session = RecordingSession(directory: out)
        let stop = Once()
        let finish: @Sendable () -> Void = {
            guard stop.first() else { return }
            Task {
                await session.stopAll()
                await room.close()
            }
        }
        let signals = Console.onTerminationSignal(finish)
        defer { signals.forEach { $0.cancel() } }
        do {
            try await room.join()
        } catch {
            await room.close()
            throw CommandFailure("\(error)")
        }
        Console.line("record: joined room \(room.roomID) as \(room.localPeerID); recording to \(out)")
        if duration > 0 {
            let seconds = duration
            Task {
                try? await Task.sleep(for: .milliseconds(Int(seconds * 1000)))
                finish()
            }
        }
        let progress = Task {
            while !Task.isCancelled {
                try? await Task.sleep(for: .seconds(1))
                let line = await session.progressLine()
                if !line.isEmpty { Console.error("\r\(line)\u{1B}[K") }
            }
        }
        for await item in room.remoteTracks {
            if case .add(let track) = item.event { await session.add(track, of: item.peerID) }
        }
        progress.cancel()
        await session.stopAll()
        for line in await session.summary() { Console.line(line) }
        Console.line("record: closed")
    }
}

/// The recordings of one `record` run: per member, the tracks that arrived close together go
/// into one file (video and audio of one stream), started once both are there or 500 ms after
/// the first — frames are kept unread meanwhile, nothing is lost.
actor RecordingSession {
    let directory: String
    private struct Pending {
        var video: RemoteTrack?
        var audio: RemoteTrack?
    }
    private var pending: [String: Pending] = [:]
    private var recordings: [(peer: String, recorder: Recorder, run: Task<Recorder.Progress?, Never>)] = []
    private var fileCount: [String: Int] = [:]
    private var stopped = false

    init(directory: String) {
        self.directory = directory
    }

    func add(_ track: RemoteTrack, of peer: String) {
        guard !stopped else { return }
        var entry = pending[peer] ?? Pending()
        let isFirst = entry.video == nil && entry.audio == nil
        if track.kind == .video {
            if entry.video != nil { start(peer) ; entry = Pending() }
            entry.video = track
        } else {
            if entry.audio != nil { start(peer) ; entry = Pending() }
            entry.audio = track
        }
        pending[peer] = entry
        if entry.video != nil && entry.audio != nil {
            start(peer)
        } else if isFirst {
            Task {
                try? await Task.sleep(for: .milliseconds(500))
                self.start(peer)
            }
        }
    }

    /// Starts the recording of what `peer` has pending.
    private func start(_ peer: String) {
        guard let entry = pending.removeValue(forKey: peer), entry.video != nil || entry.audio != nil else { return }
        let count = fileCount[peer, default: 0] + 1
        fileCount[peer] = count
        let name = Self.fileName(peer) + (count == 1 ? "" : "-\(count)") + ".webm"
        let path = (directory as NSString).appendingPathComponent(name)
        do {
            let recorder = try Recorder(path: path, video: entry.video, audio: entry.audio,
                                        logger: CommandLogging.logger("swiftrtc.record", level: .warning))
            let kinds = [entry.video.map { _ in "video" }, entry.audio.map { _ in "audio" }].compactMap { $0 }.joined(separator: "+")
            Console.error("\n")
            Console.line("record: \(peer) → \(path) (\(kinds))")
            let run = Task { () -> Recorder.Progress? in
                do {
                    let progress = try await recorder.run()
                    Console.error("\n")
                    Console.line("record: \(path) finished: \(progress)")
                    return progress
                } catch {
                    Console.error("\n")
                    Console.line("record: \(path) stopped: \(error)")
                    return nil
                }
            }
            recordings.append((peer, recorder, run))
        } catch {
            Console.line("record: cannot record \(peer): \(error)")
        }
    }

    /// A file name for a peer id: letters, digits, `-`, `_` and `.` kept, the rest `_`.
    static func fileName(_ peer: String) -> String {
        let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.")
        let name = String(peer.map { allowed.contains($0) ? $0 : "_" })
        return name.hasPrefix(".") ? "_" + name.dropFirst() : name
    }

    /// `alice: video 120 frames, audio 200 frames, 1.1 MB, 4.0 s, 2200 kbit/s | bob: …`.
    func progressLine() -> String {
        recordings.map { "\($0.peer): \($0.recorder.progress)" }.joined(separator: " | ")
    }

    /// Stops every recording and waits for its file to be finished.
    func stopAll() async {
        stopped = true
        for peer in Array(pending.keys) { pending[peer] = nil }
        for recording in recordings { recording.recorder.stop() }
        for recording in recordings { _ = await recording.run.value }
    }

    /// One line per file.
    func summary() -> [String] {
        recordings.map { "record: \($0.recorder.path): \($0.recorder.progress)" }
    }
}
