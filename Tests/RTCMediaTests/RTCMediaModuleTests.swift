import RTCMedia
import Testing

@Suite struct RTCMediaModuleTests {
    @Test func moduleNamespaceExists() {
        #expect(String(describing: RTCMedia.self) == "RTCMedia")
    }
}
