import NIOCore
import RTCCore
import RTCTestSupport
import Testing
@testable import RTCDTLS

@Suite struct DTLSHandshakeTests {
    @Test func completesOverPerfectLinkAndAgreesOnKeys() throws {
        var pair = DTLSPair()
        let ok = pair.handshake()
        #expect(ok)
        #expect(pair.client.state == .connected)
        #expect(pair.server.state == .connected)
        guard case .handshakeCompleted(let ci)? = pair.clientEvents.first, case .handshakeCompleted(let si)? = pair.serverEvents.first else {
            Issue.record("no handshakeCompleted: \(pair.clientEvents) \(pair.serverEvents)")
            return
        }
        #expect(ci.remoteFingerprint == TestIdentities.server.fingerprint)
        #expect(si.remoteFingerprint == TestIdentities.client.fingerprint)
        #expect(ci.cipherSuite == .ecdheECDSAWithAES128GCMSHA256)
        #expect(ci.srtpProfile == .aeadAes128Gcm)
        #expect(ci.extendedMasterSecret && si.extendedMasterSecret)
        let a = try pair.client.exportKeyingMaterial(label: "EXTRACTOR-dtls_srtp", length: 60)
        let b = try pair.server.exportKeyingMaterial(label: "EXTRACTOR-dtls_srtp", length: 60)
        #expect(a == b)
        let ck = try pair.client.srtpKeyingMaterial(), sk = try pair.server.srtpKeyingMaterial()
        #expect(ck.localKey == sk.remoteKey && ck.remoteSalt == sk.localSalt)
    }
}
