import Foundation
import NIOConcurrencyHelpers
import RTCSignaling
import RTCSignalingServer
import RTCTestSupport
import SwiftRTC
import Testing

/// `swiftrtc play --sfu` and `swiftrtc record --sfu` in SFU rooms of a signaling server running
/// its SFU: ten Swift `RoomClient` subscribers (one connection each, to the server) receive a
/// `play` publisher's video and audio; `record` records every publisher of the room, each to
/// its own file, through its one connection.
@Suite("SFU rooms with swiftrtc play, record and RoomClient", .serialized, .heavyPeers)
struct SFURoomCommandLineTests {
    /// A 320×240 VP8 + Opus clip of `seconds`.
    static func makeClip(in directory: URL, seconds: Int = 3) async throws -> String {
        let clip = directory.appendingPathComponent("clip.webm").path
        try await FFmpegTool.make(["-f", "lavfi", "-i", "testsrc=size=320x240:rate=30", "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000",
                             "-t", "\(seconds)", "-c:v", "libvpx", "-b:v", "300k", "-g", "30", "-deadline", "realtime", "-c:a", "libopus", clip])
        return clip
    }

    static func sfuRoomArguments(port: Int, room: String, peer: String) -> [String] {
        RoomCommandLineTests.roomArguments(port: port, room: room, peer: peer) + ["--sfu"]
    }

    @Test func tenRoomClientSubscribersReceiveAPlayPublisher() async throws {
        try InteropEnvironment.requirePrivateNamespace()
        let binary = try swiftrtcExecutable()
        let tmp = FileManager.default.temporaryDirectory.appendingPathComponent("swiftrtc-sfu-play-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: tmp, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: tmp) }
        let clip = try await Self.makeClip(in: tmp)
        try await withSignalingServer({ $0.sfu = SignalingSFUConfiguration() }) { _, port in
            let player = try PeerProcess("swiftrtc play", executable: binary, arguments:
                ["play", clip, "--loop"] + Self.sfuRoomArguments(port: port, room: "sfu-play", peer: "player"))
            defer { player.terminate() }
            try await player.waitForLine(timeout: 30) { $0.contains("joined room sfu-play") }

            let webRTC = WebRTCClient(engine: .native)
            let received = NIOLockedValueBox<[String: [RemoteTrack]]>([:])
            var rooms: [RoomClient] = []
            var readers: [Task<Void, Never>] = []
            for n in 1...10 {
                let signaling = SignalingClient(url: "ws://127.0.0.1:\(port)/ws", peerID: "sub\(n)", roomID: "sfu-play",
                                                reconnectPolicy: .never, mode: .sfu)
                let room = RoomClient(webRTC: webRTC, signaling: signaling)
                #expect(room.isSFU)
                readers.append(Task {
                    for await item in room.remoteTracks {
                        if case .add(let track) = item.event { received.withLockedValue { $0["sub\(n)/\(item.peerID)", default: []].append(track) } }
                    }
                })
                rooms.append(room)
            }
            for room in rooms {
                let members = try await withTimeout(15, "\(room.localPeerID) joining") { try await room.join() }
                #expect(members.first == "player", "\(room.localPeerID) sees the publisher in the room: \(members)")
            }
            let context = { "play:\n\(player.allOutput.suffix(1500))\nreceived: \(received.withLockedValue { $0.mapValues { $0.map { "\($0.kind) \($0.framesReceived)" } } })" }
            // Each subscriber's one connection, to the server, carries the player's video and audio
            // (under the player's peer id), and frames keep arriving on both.
            try await waitUntil(60, "ten subscribers receiving the player's video and audio\n\(context())", every: .milliseconds(100)) {
                (1...10).allSatisfy { n in
                    let tracks = received.withLockedValue { $0["sub\(n)/player"] ?? [] }
                    return tracks.contains { $0.kind == .video && $0.framesReceived >= 30 }
                        && tracks.contains { $0.kind == .audio && $0.framesReceived >= 50 }
                }
            }
            for room in rooms {
                #expect(await room.connection(to: SignalingClient.server) != nil)
                #expect(await room.members.first == "player")
            }
            #expect(received.withLockedValue { $0.keys.allSatisfy { $0.hasSuffix("/player") } }, "only the publisher's tracks: \(context())")
            for room in rooms { await room.close() }
            for reader in readers { await reader.value }
            player.interrupt()
            #expect(try await player.waitForExit(timeout: 20) == 0, "\(context())")
        }
    }

    /// Two `play --sfu` publishers and `record --sfu`: one connection to the server gives
    /// `record` both publishers' tracks, each recorded to `<peer>.webm`, which ffmpeg decodes.
    @Test func recordThroughTheSFURecordsEveryPublisher() async throws {
        try InteropEnvironment.requirePrivateNamespace()
        let binary = try swiftrtcExecutable()
        let tmp = FileManager.default.temporaryDirectory.appendingPathComponent("swiftrtc-sfu-record-\(UUID().uuidString)")
        let out = tmp.appendingPathComponent("recordings")
        try FileManager.default.createDirectory(at: tmp, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: tmp) }
        let clip = try await Self.makeClip(in: tmp, seconds: 2)
        try await withSignalingServer({ $0.sfu = SignalingSFUConfiguration() }) { _, port in
            let recorder = try PeerProcess("swiftrtc record", executable: binary, arguments:
                ["record", "--out", out.path] + Self.sfuRoomArguments(port: port, room: "sfu-record", peer: "recorder"))
            defer { recorder.terminate() }
            try await recorder.waitForLine(timeout: 30) { $0.contains("joined room sfu-record") }
            var players: [PeerProcess] = []
            defer { for player in players { player.terminate() } }
            for name in ["alice", "bob"] {
                players.append(try PeerProcess("swiftrtc play \(name)", executable: binary, arguments:
                    ["play", clip, "--loop"] + Self.sfuRoomArguments(port: port, room: "sfu-record", peer: name)))
            }
            let paths = ["alice", "bob"].map { out.appendingPathComponent("\($0).webm").path }
            for path in paths {
                _ = try await recorder.waitForLine(timeout: 40) { $0.contains("→ \(path)") }
            }
            try await Task.sleep(for: .seconds(3))
            recorder.interrupt()
            let context = "record:\n\(recorder.allOutput.suffix(3000))"
            #expect(try await recorder.waitForExit(timeout: 20) == 0, "\(context)")
            for path in paths {
                let decoded = try await FFmpegTool.decode(path)
                #expect(decoded.status == 0 && decoded.standardError.isEmpty, "\(path): \(decoded.standardError)\n\(context)")
                let video = try await FFmpegTool.probe(path, stream: "v:0")
                let audio = try await FFmpegTool.probe(path, stream: "a:0")
                #expect(video.codecName == "vp8" && video.frames >= 30, "\(path): video frames \(video.frames)\n\(context)")
                #expect(audio.codecName == "opus" && audio.packets >= 50, "\(path): audio packets \(audio.packets)\n\(context)")
            }
            for player in players {
                player.interrupt()
                #expect(try await player.waitForExit(timeout: 20) == 0, "\(player.allOutput.suffix(1500))")
            }
        }
    }
}
