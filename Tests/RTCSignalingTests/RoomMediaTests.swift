import Foundation
import NIOCore
import RTCSignaling
import RTCTestSupport
import SwiftRTC
import Testing

/// Rooms with media: a member that plays tracks to everyone and one that receives, whichever
/// joins first (docs/rooms.md: the later one offers — sendonly tracks, or recvonly sections —
/// and the other answers with what it has).
@Suite("Rooms with media", .serialized)
struct RoomMediaTests {
    @Test(arguments: [true, false])
    func aPlayerReachesAReceiverWhicheverJoinsFirst(playerFirst: Bool) async throws {
        try await withSignalingServer { _, port in
            let client = WebRTCClient(engine: .native)
            let video = try await client.createVideoTrack(source: .frames(codec: .vp8))
            let audio = try await client.createAudioTrack(source: .frames(codec: .opus))
            let player = RoomPeer(port: port, id: "player", room: "media") {
                $0.tracks = [video, audio]
                $0.channelLabel = nil
            }
            let recorder = RoomPeer(port: port, id: "recorder", room: "media") { $0.receivesMedia = true }
            let received = Task { () -> [RemoteTrack] in
                var tracks: [RemoteTrack] = []
                for await item in recorder.room.remoteTracks {
                    if item.peerID == "player", case .add(let t) = item.event { tracks.append(t) }
                    if tracks.count == 2 { break }
                }
                return tracks
            }
            if playerFirst {
                try await player.join()
                try await recorder.join()
            } else {
                try await recorder.join()
                try await player.join()
            }
            let tracks = try await withTimeout(20, "the player's tracks at the recorder") { await received.value }
            #expect(Set(tracks.map(\.kind)) == [.audio, .video])
            #expect(tracks.allSatisfy { $0.streamIDs == ["player"] })
            let pc = try #require(await player.room.connection(to: "recorder"))
            try await withTimeout(20, "connected") {
                for await state in pc.connectionStateUpdates where state == .connected { return }
            }
            try await Task.sleep(for: .milliseconds(300))
            let videoTrack = try #require(tracks.first { $0.kind == .video })
            let frames = Task { () -> Int in
                var n = 0
                for try await _ in videoTrack {
                    n += 1
                    if n == 30 { break }
                }
                return n
            }
            for i in 0..<30 {
                video.write(SwiftToSwiftMediaFrames.frame(i, key: i == 0), isKeyFrame: i == 0)
                audio.write(SwiftToSwiftMediaFrames.frame(i, key: true), isKeyFrame: true)
                try await Task.sleep(for: .milliseconds(33))
            }
            #expect(try await withTimeout(10, "30 frames at the recorder") { try await frames.value } == 30)
            // The player only sends; the recorder only receives.
            let sdp = try #require(await pc.localDescription?.sdp)
            #expect(sdp.contains("a=sendonly") && !sdp.contains("a=sendrecv") && !sdp.contains("a=recvonly"))
            await player.close()
            await recorder.close()
        }
    }
}

/// Frames that carry their index (VP8's key-frame bit first).
enum SwiftToSwiftMediaFrames {
    static func frame(_ index: Int, key: Bool) -> ByteBuffer {
        var bytes = [UInt8](repeating: 0x55, count: 1_000)
        bytes[0] = key ? 0x10 : 0x11
        bytes[1] = UInt8(truncatingIfNeeded: index)
        return ByteBuffer(bytes: bytes)
    }
}
