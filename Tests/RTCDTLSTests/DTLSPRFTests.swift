import Testing
@testable import RTCDTLS
import Crypto
import RTCCore

@Suite struct DTLSPRFTests {
    @Test func placeholderBuild() {
        let out = DTLSPRF.prf(SHA256.self, secret: [1, 2, 3], label: "x", seed: [4], length: 5)
        #expect(out.count == 5)
    }
}
