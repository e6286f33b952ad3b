import Foundation
import NIOCore
import RTCMedia
import RTCTestSupport
import SwiftRTC
import Testing

/// Audio and video between SwiftRTC and headless Chromium (fake camera and microphone), in
/// both offer/answer roles, with trickle ICE, over loopback in a private namespace
/// (scripts/interop/chromium_media_peer.py drives the page).
@Suite(.serialized) struct ChromiumMediaInteropTests {
    static func startPeer(_ role: String, params: String) throws -> PeerProcess {
        try InteropEnvironment.requirePrivateNamespace()
        _ = try InteropEnvironment.executable("chromium", installHint: "apt-get install chromium")
        let python = try InteropEnvironment.peerPython()
        let script = InteropEnvironment.repositoryRoot.appendingPathComponent("scripts/interop/chromium_media_peer.py").path
        return try PeerProcess("chromium-media", executable: python, arguments: ["-u", script, role, params])
    }

    /// One offer/answer exchange with trickle both ways; Swift offers when `swiftOffers`.
    static func connect(_ pc: PeerConnection, _ peer: PeerProcess, swiftOffers: Bool) async throws
        -> ChromiumTrickleInteropTests.RemoteCandidates {
        let forwarding = ChromiumTrickleInteropTests.forwardLocalCandidates(of: pc, to: peer)
        _ = forwarding
        let remote = ChromiumTrickleInteropTests.RemoteCandidates(from: peer, to: pc)
        if swiftOffers {
            let offer = try await pc.createOffer()
            try await pc.setLocalDescription(offer)
            try AiortcDataChannelInteropTests.write(peer, offer)
            try await pc.setRemoteDescription(try await AiortcDataChannelInteropTests.readDescription(peer, type: "answer"))
        } else {
            try await pc.setRemoteDescription(try await AiortcDataChannelInteropTests.readDescription(peer, type: "offer"))
            let answer = try await pc.createAnswer()
            try await pc.setLocalDescription(answer)
            try AiortcDataChannelInteropTests.write(peer, answer)
        }
        return remote
    }

    /// What Chromium's getStats said last, per kind of inbound-rtp.
    struct InboundStats: Decodable {
        var kind: String
        var framesDecoded: Int
        var frameWidth: Int
        var frameHeight: Int
        var totalSamplesReceived: Int
        var packetsReceived: Int?
        var codec: String?
    }
    struct StatsLine: Decodable {
        var event: String
        var inbound: [InboundStats]
    }

    static func lastInbound(_ peer: PeerProcess, kind: String) -> InboundStats? {
        for line in peer.output.reversed() where line.hasPrefix("{\"event\": \"stats\"") {
            if let stats = try? JSONDecoder().decode(StatsLine.self, from: Data(line.utf8)),
               let entry = stats.inbound.first(where: { $0.kind == kind }) { return entry }
        }
        return nil
    }

    // MARK: Chromium → Swift

    /// Reads a remote track for `seconds` from its first frame, writing it with `write`.
    static func consume(_ track: RemoteTrack, seconds: Double, write: @escaping @Sendable (ReceivedMediaFrame) throws -> Void) -> Task<Int, any Error> {
        Task {
            var count = 0
            var deadline: ContinuousClock.Instant?
            for try await frame in track {
                if deadline == nil { deadline = .now + .milliseconds(Int(seconds * 1000)) }
                try write(frame)
                count += 1
                if let deadline, ContinuousClock.now >= deadline { break }
            }
            return count
        }
    }

    @Test(arguments: [true, false])
    func chromiumCameraAndMicrophoneReachSwiftAndAreRecorded(swiftOffers: Bool) async throws {
        let params = #"{"send": ["video", "audio"], "recv": false, "codec": "VP8"}"#
        let peer = try Self.startPeer(swiftOffers ? "answer" : "offer", params: params)
        defer { peer.terminate() }
        let pc = try await WebRTCClient(engine: .native).createPeerConnection()
        if swiftOffers {
            _ = try await pc.addTransceiver(kind: .video, direction: .recvonly)
            _ = try await pc.addTransceiver(kind: .audio, direction: .recvonly)
        }
        let tracks = Task { () -> [RemoteTrack] in
            var found: [RemoteTrack] = []
            for await event in pc.trackEvents {
                if case .add(let track) = event { found.append(track) }
                if found.count == 2 { break }
            }
            return found
        }
        let remote = try await Self.connect(pc, peer, swiftOffers: swiftOffers)
        defer { remote.stop() }
        let added = try await withTimeout(20, "both remote tracks") { await tracks.value }
        let video = try #require(added.first { $0.kind == .video })
        let audio = try #require(added.first { $0.kind == .audio })

        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("chromium-media-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let ivfPath = directory.appendingPathComponent("camera.ivf").path
        let oggPath = directory.appendingPathComponent("microphone.ogg").path
        let videoFile = try RecordingFile(ivf: ivfPath)
        let audioFile = try RecordingFile(ogg: oggPath)
        let videoCount = Self.consume(video, seconds: 10) { try videoFile.write($0) }
        let audioCount = Self.consume(audio, seconds: 10) { try audioFile.write($0) }
        let frames = try await withTimeout(40, "ten seconds of media") { (try await videoCount.value, try await audioCount.value) }
        try videoFile.close()
        try audioFile.close()
        #expect(videoFile.repeatedTimestamps.isEmpty, "frames with the timestamp of the one before: \(videoFile.repeatedTimestamps)")
        #expect(frames.0 >= 250, "video frames in 10 s: \(frames.0)")
        #expect(frames.1 >= 450, "Opus frames in 10 s: \(frames.1)")
        #expect(video.codec == .vp8 && audio.codec == .opus)

        let decodedVideo = try FFmpegTool.decode(ivfPath)
        #expect(decodedVideo.status == 0 && decodedVideo.standardError.isEmpty, "\(decodedVideo.standardError)")
        let videoCounts = try FFmpegTool.probe(ivfPath)
        #expect(abs(videoCounts.frames - videoFile.framesWritten) <= videoFile.framesWritten / 50, "ffprobe \(videoCounts.frames) vs \(videoFile.framesWritten)")
        #expect(videoCounts.width == 640 || videoCounts.width ?? 0 > 0)
        let decodedAudio = try FFmpegTool.decode(oggPath)
        #expect(decodedAudio.status == 0 && decodedAudio.standardError.isEmpty, "\(decodedAudio.standardError)")
        let audioCounts = try FFmpegTool.probe(oggPath)
        #expect(abs(audioCounts.packets - audioFile.framesWritten) <= audioFile.framesWritten / 50, "ffprobe \(audioCounts.packets) vs \(audioFile.framesWritten)")
        let stats = try #require(await video.stats())
        #expect(stats.packetsReceived > 0 && stats.framesReceived >= frames.0)
        #expect(!peer.output.contains { $0.contains("\"event\": \"error\"") }, "\(peer.allOutput)")
        await pc.close()
    }

    // MARK: Swift → Chromium

    @Test(arguments: [true, false])
    func swiftFilesAreDecodedByChromium(swiftOffers: Bool) async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("swift-media-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let clip = directory.appendingPathComponent("clip.ivf").path
        let tone = directory.appendingPathComponent("tone.ogg").path
        try FFmpegTool.make(["-f", "lavfi", "-i", "testsrc=size=320x240:rate=30", "-t", "6", "-c:v", "libvpx", "-g", "30",
                             "-b:v", "600k", "-deadline", "realtime", clip])
        try FFmpegTool.make(["-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000", "-t", "6", "-c:a", "libopus", "-b:a", "48k", tone])

        let client = WebRTCClient(engine: .native)
        let pc = try await client.createPeerConnection()
        let videoTrack = try await client.createVideoTrack(source: .frames(codec: .vp8))
        let audioTrack = try await client.createAudioTrack(source: .frames(codec: .opus))
        let peer = try Self.startPeer(swiftOffers ? "answer" : "offer", params: #"{"send": [], "recv": true, "codec": "VP8"}"#)
        defer { peer.terminate() }
        if swiftOffers {
            _ = try await pc.addTrack(videoTrack, streamIDs: ["files"])
            _ = try await pc.addTrack(audioTrack, streamIDs: ["files"])
            let remote = try await Self.connect(pc, peer, swiftOffers: true)
            defer { remote.stop() }
            try await play(clip: clip, tone: tone, video: videoTrack, audio: audioTrack, pc: pc, peer: peer)
        } else {
            // Chromium offers recvonly audio and video; we attach our tracks to the transceivers
            // its offer created, then answer sendonly.
            let forwarding = ChromiumTrickleInteropTests.forwardLocalCandidates(of: pc, to: peer)
            _ = forwarding
            let remote = ChromiumTrickleInteropTests.RemoteCandidates(from: peer, to: pc)
            defer { remote.stop() }
            try await pc.setRemoteDescription(try await AiortcDataChannelInteropTests.readDescription(peer, type: "offer"))
            _ = try await pc.addTrack(videoTrack, streamIDs: ["files"])
            _ = try await pc.addTrack(audioTrack, streamIDs: ["files"])
            let answer = try await pc.createAnswer()
            #expect(answer.sdp.contains("a=sendonly"))
            try await pc.setLocalDescription(answer)
            try AiortcDataChannelInteropTests.write(peer, answer)
            try await play(clip: clip, tone: tone, video: videoTrack, audio: audioTrack, pc: pc, peer: peer)
        }
        await pc.close()
    }

    /// Plays the files in real time once connected and checks what Chromium decoded.
    func play(clip: String, tone: String, video: LocalMediaTrack, audio: LocalMediaTrack, pc: PeerConnection,
              peer: PeerProcess) async throws {
        try await withTimeout(20, "connected") {
            for await state in pc.connectionStateUpdates where state == .connected { return }
        }
        let sent = try await FilePlayback.play(ivf: clip, ogg: tone, video: video, audio: audio)
        try await Task.sleep(for: .seconds(1.5))
        let videoStats = try #require(Self.lastInbound(peer, kind: "video"), "\(peer.allOutput)")
        let audioStats = try #require(Self.lastInbound(peer, kind: "audio"), "\(peer.allOutput)")
        #expect(Double(videoStats.framesDecoded) >= Double(sent.video) * 0.95, "Chromium decoded \(videoStats.framesDecoded) of \(sent.video)")
        #expect(videoStats.frameWidth == 320 && videoStats.frameHeight == 240)
        #expect(audioStats.totalSamplesReceived >= 48_000 * 5, "samples: \(audioStats.totalSamplesReceived)")
        #expect(!peer.output.contains { $0.contains("\"event\": \"error\"") }, "\(peer.allOutput)")
    }
}

extension ChromiumMediaInteropTests {
    /// The seed's screen-share switch: `replaceTrack` to a track of another resolution while
    /// Chromium decodes; its decoded size changes, frames keep coming, nothing is renegotiated.
    @Test func replaceTrackSwitchesResolutionWithoutRenegotiation() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("replace-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let camera = directory.appendingPathComponent("camera.ivf").path
        let screen = directory.appendingPathComponent("screen.ivf").path
        try FFmpegTool.make(["-f", "lavfi", "-i", "testsrc=size=320x240:rate=30", "-t", "4", "-c:v", "libvpx", "-g", "30",
                             "-deadline", "realtime", camera])
        try FFmpegTool.make(["-f", "lavfi", "-i", "testsrc2=size=640x360:rate=30", "-t", "4", "-c:v", "libvpx", "-g", "30",
                             "-deadline", "realtime", screen])
        let client = WebRTCClient(engine: .native)
        let pc = try await client.createPeerConnection()
        let cameraTrack = try await client.createVideoTrack(source: .frames(codec: .vp8))
        let screenTrack = try await client.createVideoTrack(source: .frames(codec: .vp8))
        let peer = try Self.startPeer("answer", params: #"{"send": [], "recv": true}"#)
        defer { peer.terminate() }
        let sender = try await pc.addTrack(cameraTrack)
        let remote = try await Self.connect(pc, peer, swiftOffers: true)
        defer { remote.stop() }
        try await withTimeout(20, "connected") {
            for await state in pc.connectionStateUpdates where state == .connected { return }
        }
        let first = try await FilePlayback.play(ivf: camera, ogg: nil, video: cameraTrack, audio: nil)
        try await Task.sleep(for: .seconds(1))
        let before = try #require(Self.lastInbound(peer, kind: "video"), "\(peer.allOutput)")
        #expect(before.frameWidth == 320 && before.frameHeight == 240)
        #expect(Double(before.framesDecoded) >= Double(first.video) * 0.95)
        try await sender.replaceTrack(screenTrack)
        #expect(sender.track === screenTrack)
        let second = try await FilePlayback.play(ivf: screen, ogg: nil, video: screenTrack, audio: nil)
        try await Task.sleep(for: .seconds(1))
        let after = try #require(Self.lastInbound(peer, kind: "video"))
        #expect(after.frameWidth == 640 && after.frameHeight == 360, "decoded \(after.frameWidth)x\(after.frameHeight)")
        #expect(Double(after.framesDecoded - before.framesDecoded) >= Double(second.video) * 0.95,
                "decoded \(after.framesDecoded - before.framesDecoded) of \(second.video) after the switch")
        #expect(await pc.signalingState == .stable)
        #expect(peer.output.filter { $0.hasPrefix("{\"type\": ") }.count == 1, "one answer: no renegotiation")
        await pc.close()
    }
}

/// Writes received frames to an IVF or Ogg/Opus file (the recorder's job, kept small here).
final class RecordingFile: @unchecked Sendable {
    private let lock = NSLock()
    private let sink: MediaFileSink
    private var ivf: IVFWriter?
    private var ogg: OggOpusWriter?
    private var annexB: AnnexBWriter?
    private var first: UInt32?
    private var buffer = ByteBuffer()
    private(set) var framesWritten = 0
    private var last: ReceivedFrame?
    /// Frames that repeated the previous frame's RTP timestamp: (sequence range before, now).
    private(set) var repeatedTimestamps: [String] = []

    private var ivfPending = false

    init(ivf path: String) throws {
        sink = try MediaFileSink(path: path)
        ivfPending = true  // the writer is made at the first key frame, with its size
    }

    init(annexB path: String) throws {
        sink = try MediaFileSink(path: path)
        annexB = AnnexBWriter()
    }

    init(ogg path: String) throws {
        sink = try MediaFileSink(path: path)
        ogg = try OggOpusWriter(serialNumber: 0x5357_4654)
    }

    func write(_ frame: ReceivedMediaFrame) throws {
        try lock.withLock {
            if let last, last.rtpTimestamp == frame.frame.rtpTimestamp {
                repeatedTimestamps.append("\(last.firstSequenceNumber)...\(last.lastSequenceNumber) then \(frame.frame.firstSequenceNumber)...\(frame.frame.lastSequenceNumber) (\(last.data.readableBytes) then \(frame.frame.data.readableBytes) bytes)")
            }
            last = frame.frame
            if ivfPending {
                // A VP8 key frame: 3-byte tag, start code 9d 01 2a, then 14-bit width and height (RFC 6386 §9.1).
                let d = frame.frame.data
                guard frame.frame.isKeyFrame, d.readableBytes >= 10,
                      let w = d.getInteger(at: d.readerIndex + 6, endianness: .little, as: UInt16.self),
                      let h = d.getInteger(at: d.readerIndex + 8, endianness: .little, as: UInt16.self) else { return }
                ivf = IVFWriter(codec: .vp8, width: w & 0x3FFF, height: h & 0x3FFF, timebaseDenominator: 90_000)
                ivfPending = false
            }
            let start = first ?? frame.frame.rtpTimestamp
            first = start
            let elapsed = UInt64(frame.frame.rtpTimestamp &- start)
            if ivf != nil {
                try ivf!.write(frame: frame.frame.data, timestamp: elapsed, into: &buffer)
            } else if annexB != nil {
                guard try annexB!.write(accessUnit: frame.frame.data, into: &buffer) else { return }  // before the first IDR
            } else {
                try ogg!.write(packet: frame.frame.data, into: &buffer)
            }
            try sink.write(&buffer)
            framesWritten += 1
        }
    }

    func close() throws {
        try lock.withLock {
            if ivfPending { return }
            if ivf != nil { try sink.finish(&ivf!) } else if annexB != nil { try sink.finish(&annexB!) } else { try sink.finish(&ogg!) }
        }
    }
}

/// Plays an IVF and an Ogg/Opus file into two tracks in real time (frames at their timestamps).
enum FilePlayback {
    static func play(ivf: String, ogg: String?, video: LocalMediaTrack, audio: LocalMediaTrack?) async throws -> (video: Int, audio: Int) {
        var ivfReader = try IVFReader(ByteBuffer(bytes: try Data(contentsOf: URL(fileURLWithPath: ivf))))
        var frames: [(at: Int64, data: ByteBuffer, key: Bool, video: Bool)] = []
        let timebase = (Int64(ivfReader.header.timebaseNumerator), Int64(ivfReader.header.timebaseDenominator))
        while let frame = try ivfReader.nextFrame() {
            let nanos = Int64(frame.timestamp) * timebase.0 * 1_000_000_000 / timebase.1
            let key = (frame.data.getInteger(at: frame.data.readerIndex, as: UInt8.self) ?? 1) & 1 == 0
            frames.append((nanos, frame.data, key, true))
        }
        var oggReader = OggReader(ByteBuffer(bytes: try ogg.map { try Data(contentsOf: URL(fileURLWithPath: $0)) } ?? Data()))
        var index: Int64 = 0
        var headers = 0
        while ogg != nil, let (packet, _) = try oggReader.nextPacket() {
            if headers < 2 { headers += 1; continue }  // OpusHead, OpusTags
            frames.append((index * 20_000_000, packet, true, false))
            index += 1
        }
        frames.sort { $0.at < $1.at }
        let start = NIODeadline.now()
        var counts = (video: 0, audio: 0)
        for frame in frames {
            let due = start + .nanoseconds(frame.at)
            let wait = due - .now()
            if wait > .zero { try await Task.sleep(nanoseconds: UInt64(wait.nanoseconds)) }
            if frame.video {
                video.write(frame.data, isKeyFrame: frame.key, captureTime: due)
                counts.video += 1
            } else {
                audio?.write(frame.data, isKeyFrame: true, captureTime: due)
                counts.audio += 1
            }
        }
        return counts
    }
}
