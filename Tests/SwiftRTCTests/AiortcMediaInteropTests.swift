import Foundation
import NIOCore
import RTCMedia
import RTCTestSupport
import SwiftRTC
import Testing

/// Audio and video between SwiftRTC and aiortc (its MediaPlayer encodes a file; it decodes
/// what we send), in both offer/answer roles, VP8 and H.264 with Opus
/// (scripts/interop/aiortc_media_peer.py).
@Suite(.serialized, .heavyPeers) struct AiortcMediaInteropTests {
    static func startPeer(_ role: String, params: String) throws -> PeerProcess {
        try InteropEnvironment.requirePrivateNamespace()
        let python = try InteropEnvironment.peerPython()
        let script = InteropEnvironment.repositoryRoot.appendingPathComponent("scripts/interop/aiortc_media_peer.py").path
        return try PeerProcess("aiortc-media", executable: python, arguments: ["-u", script, role, params])
    }

    struct Frames: Decodable {
        var video: Int
        var audio: Int
        var width: Int
        var height: Int
        var codec: String?
    }

    static func lastFrames(_ peer: PeerProcess) -> Frames? {
        for line in peer.output.reversed() where line.hasPrefix("{\"event\": \"frames\"") {
            if let f = try? JSONDecoder().decode(Frames.self, from: Data(line.utf8)) { return f }
        }
        return nil
    }

    /// Complete descriptions both ways (aiortc does not trickle): Swift waits for gathering.
    static func exchange(_ pc: PeerConnection, _ peer: PeerProcess, swiftOffers: Bool, beforeAnswer: () async throws -> Void = {}) async throws {
        if swiftOffers {
            try await pc.setLocalDescription(try await pc.createOffer())
            try await pc.awaitIceGatheringComplete()
            try AiortcDataChannelInteropTests.write(peer, try #require(await pc.localDescription))
            try await pc.setRemoteDescription(try await AiortcDataChannelInteropTests.readDescription(peer, type: "answer"))
        } else {
            try await pc.setRemoteDescription(try await AiortcDataChannelInteropTests.readDescription(peer, type: "offer"))
            try await beforeAnswer()
            try await pc.setLocalDescription(try await pc.createAnswer())
            try await pc.awaitIceGatheringComplete()
            try AiortcDataChannelInteropTests.write(peer, try #require(await pc.localDescription))
        }
    }

    @Test(arguments: [(true, "VP8"), (false, "VP8"), (true, "H264"), (false, "H264")])
    func aiortcPlaysAFileToSwift(swiftOffers: Bool, codec: String) async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("aiortc-media-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let source = directory.appendingPathComponent("source.mkv").path
        try await FFmpegTool.make(["-f", "lavfi", "-i", "testsrc=size=320x240:rate=30", "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000",
                             "-t", "8", "-c:v", "libvpx", "-b:v", "800k", "-c:a", "libopus", source])
        let params = "{\"play\": \"\(source)\", \"recv\": false, \"codec\": \"\(codec)\"}"
        let peer = try Self.startPeer(swiftOffers ? "answer" : "offer", params: params)
        defer { peer.terminate() }
        let pc = try await WebRTCClient(engine: .native).createPeerConnection()
        if swiftOffers {
            _ = try await pc.addTransceiver(kind: .audio, direction: .recvonly)
            let video = try await pc.addTransceiver(kind: .video, direction: .recvonly)
            try await video.setCodecPreferences(codec == "H264" ? [.h264] : [.vp8])
        }
        let tracks = Task { () -> [RemoteTrack] in
            var found: [RemoteTrack] = []
            for await event in pc.trackEvents {
                if case .add(let track) = event { found.append(track) }
                if found.count == 2 { break }
            }
            return found
        }
        try await Self.exchange(pc, peer, swiftOffers: swiftOffers)
        let added = try await withTimeout(20, "both tracks") { await tracks.value }
        let video = try #require(added.first { $0.kind == .video })
        let audio = try #require(added.first { $0.kind == .audio })
        let expected: RTPCodec = codec == "H264" ? .h264 : .vp8
        let videoPath = directory.appendingPathComponent(codec == "H264" ? "video.h264" : "video.ivf").path
        let audioPath = directory.appendingPathComponent("audio.ogg").path
        let recorded = try await MediaFiles.record([try Recorder(path: videoPath, video: video), try Recorder(path: audioPath, audio: audio)],
                                                   seconds: 5)
        #expect(video.codec == expected, "negotiated \(String(describing: video.codec))")
        #expect(recorded[0].videoArrived >= 100, "video frames from aiortc in 5 s: \(recorded[0].videoArrived)")
        #expect(recorded[1].audioArrived >= 200, "Opus frames from aiortc in 5 s: \(recorded[1].audioArrived)")
        let decodedAudio = try await FFmpegTool.decode(audioPath)
        #expect(decodedAudio.status == 0 && decodedAudio.standardError.isEmpty, "\(decodedAudio.standardError)")
        #expect(abs(try await FFmpegTool.probe(audioPath, stream: "a:0").packets - recorded[1].audioArrived) * 50 <= recorded[1].audioArrived)
        let decoded = try await FFmpegTool.decode(videoPath)
        #expect(decoded.status == 0 && decoded.standardError.isEmpty, "\(decoded.standardError)")
        let probe = try await FFmpegTool.probe(videoPath)
        let written = recorded[0].progress.videoFrames
        #expect(abs(probe.frames - written) <= max(2, written / 50), "ffprobe \(probe.frames) vs \(written) written")
        #expect(written + recorded[0].progress.skippedVideoFrames >= recorded[0].videoArrived - 1)
        #expect(probe.width == 320 && probe.height == 240)
        await pc.close()
    }

    @Test(arguments: [(true, "VP8"), (false, "VP8"), (true, "H264"), (false, "H264")])
    func swiftPlaysFilesToAiortc(swiftOffers: Bool, codec: String) async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("swift-aiortc-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let clip = directory.appendingPathComponent(codec == "H264" ? "clip.h264" : "clip.ivf").path
        let tone = directory.appendingPathComponent("tone.ogg").path
        try await FFmpegTool.make(MediaFiles.video(codec, seconds: 5) + [clip])
        try await FFmpegTool.make(MediaFiles.tone(seconds: 5) + [tone])
        let client = WebRTCClient(engine: .native)
        let pc = try await client.createPeerConnection()
        let videoTrack = try await client.createVideoTrack(source: .file(clip))
        let audioTrack = try await client.createAudioTrack(source: .file(tone))
        // aiortc counts what it decodes and its MediaRecorder writes it to a Matroska file.
        let recording = directory.appendingPathComponent("aiortc.mkv").path
        let peer = try Self.startPeer(swiftOffers ? "answer" : "offer",
                                      params: "{\"recv\": true, \"codec\": \"\(codec)\", \"record\": \"\(recording)\"}")
        defer { peer.terminate() }
        if swiftOffers {
            _ = try await pc.addTrack(audioTrack)
            _ = try await pc.addTrack(videoTrack)
        }
        try await Self.exchange(pc, peer, swiftOffers: swiftOffers) {
            _ = try await pc.addTrack(audioTrack)
            _ = try await pc.addTrack(videoTrack)
        }
        try await withTimeout(20, "connected") {
            for await state in pc.connectionStateUpdates where state == .connected { return }
        }
        let played = try await MediaFiles.played([videoTrack, audioTrack], within: 20)
        let sent = (video: played[0], audio: played[1])
        try await Task.sleep(for: .seconds(1.5))
        let frames = try #require(Self.lastFrames(peer), "\(peer.allOutput)")
        #expect(Double(frames.video) >= Double(sent.video) * 0.95, "aiortc decoded \(frames.video) of \(sent.video) video frames")
        #expect(frames.width == 320 && frames.height == 240)
        #expect(frames.codec?.lowercased() == "video/\(codec.lowercased())", "aiortc's codec: \(frames.codec ?? "none")")
        #expect(frames.audio >= sent.audio / 2, "aiortc decoded \(frames.audio) audio frames of \(sent.audio) sent")
        peer.closeInput()
        _ = try await peer.waitForLine(timeout: 20) { $0.contains("\"recorded\"") }
        let recordedVideo = try await FFmpegTool.probe(recording, stream: "v:0")
        #expect(Double(recordedVideo.frames) >= Double(sent.video) * 0.9, "aiortc's MediaRecorder wrote \(recordedVideo.frames) of \(sent.video) frames")
        #expect(try await FFmpegTool.probe(recording, stream: "a:0").packets > 0, "aiortc's MediaRecorder wrote audio")
        await pc.close()
    }
}
