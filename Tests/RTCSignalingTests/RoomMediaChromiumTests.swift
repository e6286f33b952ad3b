import Foundation
import RTCSignaling
import RTCTestSupport
import Testing

/// `swiftrtc play` and `swiftrtc record` in a room with the demo page in headless Chromium:
/// the page decodes and plays what `play` sends, and `record` writes the page's fake camera
/// and microphone to a WebM file that ffmpeg decodes (`DemoPageMediaScenarios`, which
/// `RoomFirefoxTests` runs with Firefox).
@Suite("swiftrtc play and record with the demo page in Chromium", .serialized, .heavyPeers)
struct RoomMediaChromiumTests {
    /// The page joins first; `play` joins later and offers its file's tracks sendonly.
    @Test func theDemoPageDecodesWhatPlaySends() async throws {
        try await DemoPageMediaScenarios.pageDecodesWhatPlaySends(.chromium, room: "play-page")
    }

    /// `record` joins first; the page offers, then starts its camera and renegotiates:
    /// `record` writes `browser.webm`, complete after SIGINT (about 5 s of the fake camera at
    /// its default 20 fps: at least 75 frames).
    @Test func recordWritesTheDemoPagesCamera() async throws {
        try await DemoPageMediaScenarios.recordWritesThePagesCamera(.chromium, room: "record-page", recordingTimeout: 40, minimumFrames: 75)
    }
}
