import Foundation
import NIOConcurrencyHelpers
import NIOCore
import RTCSignaling
import RTCSignalingServer
import RTCTestSupport
import SwiftRTC
import Testing

/// A Swift member of an SFU room that writes audio frames with their levels (RFC 6464, through
/// `LocalMediaTrack.write(_:isKeyFrame:captureTime:audioLevel:)`) becomes the room's speaker for
/// another member's `RoomClient`, and stops being it when its frames turn silent.
@Suite("SFU rooms: the speaker from a Swift member's audio levels", .serialized)
struct SFURoomSpeakerFromSwiftAudioLevelsTests {
    @Test func aSwiftMemberSpeaksThenFallsSilent() async throws {
        try await withSignalingServer({ $0.sfu = SignalingSFUConfiguration() }) { _, port in
            let webRTC = WebRTCClient(engine: .native)
            let microphone = try await webRTC.createAudioTrack(source: .frames(codec: .opus))
            func member(_ id: String, tracks: [LocalMediaTrack]) -> RoomClient {
                var configuration = RoomClient.Configuration()
                configuration.tracks = tracks
                return RoomClient(webRTC: webRTC, signaling: SignalingClient(url: "ws://127.0.0.1:\(port)/ws", peerID: id, roomID: "speakers",
                                                                             reconnectPolicy: .never, mode: .sfu),
                                  configuration: configuration)
            }
            let speaker = member("speaker", tracks: [microphone])
            let listener = member("listener", tracks: [])
            let heard = NIOLockedValueBox<[String?]>([])
            let listening = Task { for await id in listener.speakerEvents { heard.withLockedValue { $0.append(id) } } }
            defer { listening.cancel() }
            _ = try await withTimeout(15, "the speaker joining") { try await speaker.join() }
            _ = try await withTimeout(15, "the listener joining") { try await listener.join() }

            // 20 ms Opus frames (their bytes do not matter to the SFU), written in real time.
            let frame = ByteBuffer(bytes: [0xFC, 0xFF, 0xFE])
            func talk(_ level: RTPAudioLevel, until what: String, _ done: @escaping @Sendable ([String?]) -> Bool) async throws {
                try await withTimeout(20, what) {
                    while !done(heard.withLockedValue { $0 }) {
                        microphone.write(frame, isKeyFrame: true, audioLevel: level)
                        try await Task.sleep(for: .milliseconds(20))
                    }
                }
            }
            let voice = RTPAudioLevel(pcm: (0..<960).map { $0 % 2 == 0 ? Int16(3276) : Int16(-3276) })
            #expect(voice == RTPAudioLevel(level: 20, voiceActivity: true))
            try await talk(voice, until: "the listener hearing the speaker") { $0.last == "speaker" }
            try await talk(.silence, until: "the room falling silent") { $0.last == .some(nil) }
            #expect(heard.withLockedValue { $0 } == ["speaker", nil])

            await listener.close()
            await speaker.close()
        }
    }
}
