import Foundation
import NIOCore
import RTCTestSupport
import SwiftRTC
import Testing

/// Two SwiftRTC peer connections over real sockets: audio, video and a data channel on one
/// BUNDLE transport, both ways, for a minute — no frame lost on loopback — in both roles, plus
/// `replaceTrack` without renegotiation and a track removed mid-call.
@Suite(.heavyPeers) struct SwiftToSwiftMediaTests {
    /// A frame whose bytes say which track and index it is (our stack never decodes).
    static func frame(_ tag: UInt8, _ index: Int, key: Bool, size: Int) -> ByteBuffer {
        var bytes = [UInt8](repeating: tag, count: size)
        bytes[0] = key ? 0x10 : 0x11  // VP8's P bit; Opus takes any first byte
        bytes[1] = tag
        bytes[2] = UInt8(truncatingIfNeeded: index >> 16)
        bytes[3] = UInt8(truncatingIfNeeded: index >> 8)
        bytes[4] = UInt8(truncatingIfNeeded: index)
        return ByteBuffer(bytes: bytes)
    }

    static func index(of frame: ReceivedMediaFrame) -> Int {
        let d = frame.frame.data
        return Int(d.getInteger(at: d.readerIndex + 2, as: UInt8.self)!) << 16
            | Int(d.getInteger(at: d.readerIndex + 3, as: UInt8.self)!) << 8 | Int(d.getInteger(at: d.readerIndex + 4, as: UInt8.self)!)
    }

    /// Reads a track until it has `count` frames; returns their indexes.
    static func collect(_ track: RemoteTrack, count: Int) -> Task<[Int], any Error> {
        Task {
            var indexes: [Int] = []
            for try await frame in track {
                indexes.append(index(of: frame))
                if indexes.count == count { break }
            }
            return indexes
        }
    }

    /// Plays `seconds` of 30 fps video (key frame every 2 s) and 50 fps audio into the tracks.
    static func play(video: LocalMediaTrack, audio: LocalMediaTrack, tag: UInt8, seconds: Int) async throws {
        let start = NIODeadline.now()
        var v = 0
        var a = 0
        while v < 30 * seconds || a < 50 * seconds {
            let nextVideo = start + .nanoseconds(Int64(v) * 1_000_000_000 / 30)
            let nextAudio = start + .milliseconds(Int64(a) * 20)
            let next = min(v < 30 * seconds ? nextVideo : .distantFuture, a < 50 * seconds ? nextAudio : .distantFuture)
            let wait = next - .now()
            if wait > .zero { try await Task.sleep(nanoseconds: UInt64(wait.nanoseconds)) }
            if v < 30 * seconds, next == nextVideo {
                video.write(frame(tag, v, key: v % 60 == 0, size: v % 60 == 0 ? 12_000 : 3_000), isKeyFrame: v % 60 == 0, captureTime: nextVideo)
                v += 1
            } else {
                audio.write(frame(tag, a, key: true, size: 80), isKeyFrame: true, captureTime: nextAudio)
                a += 1
            }
        }
    }

    @Test(arguments: [true, false])
    func audioVideoAndDataForAMinuteLoseNothing(aOffers: Bool) async throws {
        try InteropEnvironment.requirePrivateNamespace()
        let seconds = 60
        let client = WebRTCClient(engine: .native)
        let a = try await client.createPeerConnection()
        let b = try await client.createPeerConnection()
        let aVideo = try await client.createVideoTrack(source: .frames(codec: .vp8))
        let aAudio = try await client.createAudioTrack(source: .frames(codec: .opus))
        let bVideo = try await client.createVideoTrack(source: .frames(codec: .vp8))
        let bAudio = try await client.createAudioTrack(source: .frames(codec: .opus))
        let (offerer, answerer) = aOffers ? (a, b) : (b, a)
        _ = try await a.addTrack(aVideo, streamIDs: ["a"])
        _ = try await a.addTrack(aAudio, streamIDs: ["a"])
        let chat = try await offerer.createDataChannel("chat")
        func tracks(_ pc: PeerConnection) -> Task<[RemoteTrack], Never> {
            Task {
                var found: [RemoteTrack] = []
                for await event in pc.trackEvents {
                    if case .add(let t) = event { found.append(t) }
                    if found.count == 2 { break }
                }
                return found
            }
        }
        let atA = tracks(a)
        let atB = tracks(b)
        // B attaches its tracks before its offer, or, answering, between A's offer and its
        // answer (reusing the transceivers the offer created).
        if !aOffers {
            _ = try await b.addTrack(bVideo, streamIDs: ["b"])
            _ = try await b.addTrack(bAudio, streamIDs: ["b"])
        }
        try await offerer.setLocalDescription(try await offerer.createOffer())
        try await withTimeout(10, "gathering") { try await offerer.awaitIceGatheringComplete() }
        try await answerer.setRemoteDescription(try #require(await offerer.localDescription))
        if aOffers {
            _ = try await b.addTrack(bVideo, streamIDs: ["b"])
            _ = try await b.addTrack(bAudio, streamIDs: ["b"])
            #expect(await b.transceivers.count == 2, "B reused the transceivers A's offer created")
        }
        try await answerer.setLocalDescription(try await answerer.createAnswer())
        try await withTimeout(10, "gathering") { try await answerer.awaitIceGatheringComplete() }
        try await offerer.setRemoteDescription(try #require(await answerer.localDescription))
        let remoteAtA = try await withTimeout(15, "B's tracks at A") { await atA.value }
        let remoteAtB = try await withTimeout(15, "A's tracks at B") { await atB.value }
        #expect(Set(remoteAtA.flatMap(\.streamIDs)) == ["b"] && Set(remoteAtB.flatMap(\.streamIDs)) == ["a"])
        try await withTimeout(15, "connected") {
            for await state in a.connectionStateUpdates where state == .connected { return }
        }
        try await Task.sleep(for: .milliseconds(300))  // both sides' negotiation settled
        let videoAtB = Self.collect(try #require(remoteAtB.first { $0.kind == .video }), count: 30 * seconds)
        let audioAtB = Self.collect(try #require(remoteAtB.first { $0.kind == .audio }), count: 50 * seconds)
        let videoAtA = Self.collect(try #require(remoteAtA.first { $0.kind == .video }), count: 30 * seconds)
        let audioAtA = Self.collect(try #require(remoteAtA.first { $0.kind == .audio }), count: 50 * seconds)
        let chatAtAnswerer = try await SwiftToSwiftDataChannelTests.opened(answerer, label: "chat")
        let chatMessages = Task {
            var received: [String] = []
            for try await message in chatAtAnswerer {
                if case .text(let text) = message { received.append(text) }
                if received.count == seconds { break }
            }
            return received
        }
        let chatting = Task {
            for i in 0..<seconds {
                try await chat.send("tick \(i)")
                try await Task.sleep(for: .seconds(1))
            }
        }
        async let playA: Void = Self.play(video: aVideo, audio: aAudio, tag: 0xA, seconds: seconds)
        async let playB: Void = Self.play(video: bVideo, audio: bAudio, tag: 0xB, seconds: seconds)
        try await playA
        try await playB
        for (task, count, what) in [(videoAtB, 30 * seconds, "video at B"), (audioAtB, 50 * seconds, "audio at B"),
                                    (videoAtA, 30 * seconds, "video at A"), (audioAtA, 50 * seconds, "audio at A")] {
            let indexes = try await withTimeout(10, what) { try await task.value }
            #expect(indexes == Array(0..<count), "\(what): \(indexes.count) frames")
        }
        try await chatting.value
        let texts = try await withTimeout(10, "chat") { try await chatMessages.value }
        #expect(texts == (0..<seconds).map { "tick \($0)" })
        await a.close()
        await b.close()
    }
}
