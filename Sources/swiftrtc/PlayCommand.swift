import ArgumentParser
import Foundation
import RTCSignaling
import SwiftRTC

/// `swiftrtc play FILE… [--loop]`: joins a room and sends the files' tracks to every member,
/// read and paced once for all of them. Members that join later get the tracks from where the
/// playback is. Ends when the files end (never with `--loop`) or on SIGINT/SIGTERM.
struct PlayCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "play",
        abstract: "Send media files (IVF, Ogg/Opus, WebM, H.264 Annex B) to every member of a room.",
        discussion: """
            Each file gives its tracks: a WebM file its video and Opus audio, an IVF file VP8/VP9/AV1 \
            video, an Ogg file Opus audio, an .h264 file H.264 video at --frame-rate. Tracks are \
            offered sendonly to members already in the room and attached to the offers of members \
            that join later (docs/rooms.md).
            """
    )

    @Argument(help: "The media files to play.")
    var files: [String]

    @Flag(help: "Start the files over when they end, until interrupted.")
    var loop = false

    @Option(help: "Frames per second of H.264 Annex B files, which carry no timestamps.")
    var frameRate: Double = 30

    @OptionGroup var options: RoomOptions

    func validate() throws {
        guard !files.isEmpty else { throw ValidationError("give at least one media file") }
        guard frameRate > 0, frameRate <= 1_000 else { throw ValidationError("--frame-rate must be above 0 and at most 1000") }
    }

    func run() async throws {
        CommandLogging.bootstrap(level: options.logLevel)
        let client = WebRTCClient(engine: .native)
        var opened: [LocalMediaTrack] = []
        for file in files {
            do {
                opened += try await client.createTracks(fromFile: file, loop: loop, frameRate: frameRate)
            } catch let error as WebRTCError {
                throw CommandFailure("\(error)")
            }
        }
        let tracks = opened
        let room = options.makeRoom(command: "play") { configuration in
            configuration.tracks = tracks
        }
        let signals = Console.onTerminationSignal {
            for track in tracks { track.stop() }
        }
        defer { signals.forEach { $0.cancel() } }
        let members: [String]
        do {
            members = try await room.join()
        } catch {
            await room.close()
            throw CommandFailure("\(error)")
        }
        let what = tracks.map { "\($0.kind.rawValue) \($0.codec)" }.joined(separator: ", ")
        Console.line("play: joined room \(room.roomID) as \(room.localPeerID); sending \(what)"
                     + (members.isEmpty ? "" : "; members: \(members.joined(separator: ", "))"))
        let memberTask = Task {
            for await event in room.memberEvents {
                switch event {
                case .joined(let id): Console.line("play: \(id) joined")
                case .left(let id): Console.line("play: \(id) left")
                }
            }
        }
        while !tracks.allSatisfy(\.isEnded) {
            try? await Task.sleep(for: .milliseconds(100))
        }
        // Let the last frames leave before hanging up.
        try? await Task.sleep(for: .milliseconds(300))
        let sent = tracks.map { "\($0.kind.rawValue) \($0.framesWritten) frames" }.joined(separator: ", ")
        await room.close()
        memberTask.cancel()
        Console.line("play: done (\(sent))")
    }
}
