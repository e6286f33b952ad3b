import Foundation
import NIOCore
import RTCTestSupport
import SwiftRTC
import Testing

/// Files in and out through real sockets: a WebM file ffmpeg made is played by one SwiftRTC
/// peer (`createTracks(fromFile:)`), the other records what arrives with a `Recorder`, and
/// ffmpeg decodes the recording with the counts that arrived. Bad files fail track creation
/// with a typed error naming the file.
@Suite struct FilePlaybackAndRecordingTests {
    static func directory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("playback-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// Offer, answer, both gathered in full; returns once the offerer is connected.
    static func connect(_ offerer: PeerConnection, _ answerer: PeerConnection) async throws {
        try await offerer.setLocalDescription(try await offerer.createOffer())
        try await withTimeout(10, "gathering") { try await offerer.awaitIceGatheringComplete() }
        try await answerer.setRemoteDescription(try #require(await offerer.localDescription))
        try await answerer.setLocalDescription(try await answerer.createAnswer())
        try await withTimeout(10, "gathering") { try await answerer.awaitIceGatheringComplete() }
        try await offerer.setRemoteDescription(try #require(await answerer.localDescription))
        try await withTimeout(15, "connected") {
            for await state in offerer.connectionStateUpdates where state == .connected { return }
        }
    }

    @Test(arguments: [true, false])
    func aWebMFilePlayedByOnePeerIsRecordedByTheOther(playerOffers: Bool) async throws {
        try InteropEnvironment.requirePrivateNamespace()
        let dir = try Self.directory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let input = dir.appendingPathComponent("in.webm").path
        try await FFmpegTool.make(["-f", "lavfi", "-i", "testsrc=size=320x240:rate=30:duration=4",
                             "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000:duration=4",
                             "-c:v", "libvpx", "-b:v", "500k", "-g", "30", "-c:a", "libopus", "-ac", "2", input])
        let client = WebRTCClient(engine: .native)
        let tracks = try await client.createTracks(fromFile: input)
        #expect(tracks.map(\.kind) == [.video, .audio] && tracks.map(\.codec) == [.vp8, .opus])
        #expect(tracks.allSatisfy { $0.filePath == input })
        let player = try await client.createPeerConnection()
        let recorderPC = try await client.createPeerConnection()
        if playerOffers {
            for track in tracks { _ = try await player.addTrack(track, streamIDs: ["file"]) }
        } else {
            _ = try await recorderPC.addTransceiver(kind: .video, direction: .recvonly)
            _ = try await recorderPC.addTransceiver(kind: .audio, direction: .recvonly)
        }
        let remote = Task { () -> [RemoteTrack] in
            var found: [RemoteTrack] = []
            for await event in recorderPC.trackEvents {
                if case .add(let t) = event { found.append(t) }
                if found.count == 2 { break }
            }
            return found
        }
        if playerOffers {
            try await Self.connect(player, recorderPC)
        } else {
            try await recorderPC.setLocalDescription(try await recorderPC.createOffer())
            try await withTimeout(10, "gathering") { try await recorderPC.awaitIceGatheringComplete() }
            try await player.setRemoteDescription(try #require(await recorderPC.localDescription))
            for track in tracks { _ = try await player.addTrack(track, streamIDs: ["file"]) }
            try await player.setLocalDescription(try await player.createAnswer())
            try await withTimeout(10, "gathering") { try await player.awaitIceGatheringComplete() }
            try await recorderPC.setRemoteDescription(try #require(await player.localDescription))
        }
        let received = try await withTimeout(15, "the file's tracks") { await remote.value }
        let output = dir.appendingPathComponent("out.webm").path
        let recorder = try Recorder(path: output, video: received.first { $0.kind == .video }, audio: received.first { $0.kind == .audio })
        let recording = Task { try await recorder.run() }
        // The file is 4 s long and does not loop: its tracks end, then the call is hung up.
        // How long playback really took bounds the recording's duration (a starved player
        // moves its clock on rather than bursting, so on a busy machine it takes longer).
        let clock = ContinuousClock()
        let firstFrame = try await withTimeout(15, "the first frame") {
            while (received.first?.framesReceived ?? 0) + (received.last?.framesReceived ?? 0) == 0 {
                try await Task.sleep(for: .milliseconds(5))
            }
            return clock.now
        }
        try await withTimeout(30, "the file to end") {
            while !tracks.allSatisfy(\.isEnded) { try await Task.sleep(for: .milliseconds(20)) }
        }
        let played = clock.now - firstFrame
        try await Task.sleep(for: .milliseconds(500))
        let videoArrived = try #require(received.first { $0.kind == .video }).framesReceived
        let audioArrived = try #require(received.first { $0.kind == .audio }).framesReceived
        await player.close()
        await recorderPC.close()
        let progress = try await withTimeout(10, "the recording to finish") { try await recording.value }
        // Playback starts when the tracks are attached, so all 120 frames and 200 packets go out.
        #expect(videoArrived >= 114 && audioArrived >= 190, "\(videoArrived) video, \(audioArrived) audio arrived")
        #expect(progress.videoFrames + progress.skippedVideoFrames == videoArrived)
        #expect(progress.audioFrames == audioArrived)
        #expect(progress.bytesWritten == (try FileManager.default.attributesOfItem(atPath: output)[.size] as? Int))
        let decode = try await FFmpegTool.decode(output)
        #expect(decode.status == 0 && decode.standardError.isEmpty, "\(decode.standardError)")
        let video = try await FFmpegTool.probe(output, stream: "v:0")
        let audio = try await FFmpegTool.probe(output, stream: "a:0")
        #expect(video.codecName == "vp8" && video.width == 320 && video.height == 240)
        #expect(abs(video.frames - videoArrived) * 50 <= videoArrived, "within 2 %: \(video.frames) of \(videoArrived)")
        #expect(abs(audio.packets - audioArrived) * 50 <= audioArrived, "within 2 %: \(audio.packets) of \(audioArrived)")
        let seconds = try await FFmpegTool.formatDuration(output)
        let playedSeconds = Double(played.components.seconds) + Double(played.components.attoseconds) / 1e18
        // (`played` starts at the first frame seen here, a little after playback began.)
        #expect(seconds > 3.5 && seconds < max(4.6, playedSeconds + 0.5), "duration \(seconds) s; playback took \(playedSeconds) s")
    }

    /// A room broadcast: one file track on three connections is read and paced once — it
    /// writes the file's 450 frames once — and every peer receives them. The file lasts 15 s:
    /// the later pairs connect while it plays, which took over 6 s in a loaded CI run.
    @Test func oneFileTrackOnManyConnectionsIsReadOnce() async throws {
        try InteropEnvironment.requirePrivateNamespace()
        let dir = try Self.directory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let clip = dir.appendingPathComponent("clip.ivf").path
        try await FFmpegTool.make(["-f", "lavfi", "-i", "testsrc=size=160x120:rate=30:duration=15", "-c:v", "libvpx", "-g", "10", clip])
        let client = WebRTCClient(engine: .native)
        let track = try await client.createVideoTrack(source: .file(clip))
        var pairs: [(sender: PeerConnection, receiver: PeerConnection, frames: Task<Int, any Error>)] = []
        for _ in 0..<3 {
            let sender = try await client.createPeerConnection()
            let receiver = try await client.createPeerConnection()
            _ = try await sender.addTrack(track, streamIDs: ["room"])
            let frames = Task { () -> Int in
                for await event in receiver.trackEvents {
                    guard case .add(let remote) = event else { continue }
                    var count = 0
                    for try await _ in remote { count += 1 }
                    return count
                }
                return 0
            }
            try await Self.connect(sender, receiver)
            pairs.append((sender, receiver, frames))
        }
        _ = try await withTimeout(60, "the file to end") {
            while !track.isEnded { try await Task.sleep(for: .milliseconds(50)) }
        }
        #expect(track.framesWritten == 450, "the file was read once: \(track.framesWritten) frames written")
        try await Task.sleep(for: .milliseconds(500))
        for pair in pairs {
            await pair.sender.close()
            await pair.receiver.close()
        }
        // The first connection got the whole file; later ones joined it where it was, at a key frame.
        let tasks = pairs.map(\.frames)
        let counts = try await withTimeout(10, "the remote tracks to end") {
            var counts: [Int] = []
            for task in tasks { counts.append(try await task.value) }
            return counts
        }
        #expect(counts[0] >= 427, "first connection: \(counts)")
        #expect(counts.allSatisfy { $0 >= 10 }, "every connection received the playback: \(counts)")
    }

    @Test func aFileThatCannotBeATrackFailsWithATypedErrorNamingIt() async throws {
        let dir = try Self.directory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let client = WebRTCClient(engine: .native)
        let text = dir.appendingPathComponent("notes.txt").path
        try Data("not a video".utf8).write(to: URL(fileURLWithPath: text))
        let ogg = dir.appendingPathComponent("tone.ogg").path
        try await FFmpegTool.make(["-f", "lavfi", "-i", "sine=duration=1", "-c:a", "libopus", ogg])
        let missing = dir.appendingPathComponent("missing.ivf").path
        for (path, reason) in [(text, "not a media file"), (ogg, "no video track"), (missing, "cannot be read")] {
            do {
                _ = try await client.createVideoTrack(source: .file(path))
                Issue.record("\(path) was accepted")
            } catch WebRTCError.invalidMediaFile(let p, let r) {
                #expect(p == path && r.contains(reason), "\(r)")
                #expect("\(WebRTCError.invalidMediaFile(path: p, reason: r))".contains(path))
            }
        }
        // The Ogg file is a fine audio track.
        let tone = try await client.createAudioTrack(source: .file(ogg, loop: true))
        #expect(tone.codec == .opus && tone.kind == .audio && !tone.isEnded)
        #expect(throws: WebRTCError.self) { try Recorder(path: dir.appendingPathComponent("out.mp4").path) }
    }
}
