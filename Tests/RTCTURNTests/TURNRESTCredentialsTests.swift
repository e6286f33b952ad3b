import RTCTURN
import Testing

/// Time-limited REST credentials (coturn `use-auth-secret`): user name "<expiry>:<name>",
/// password base64(HMAC-SHA1(secret, username)). (The base64 encoder's RFC 4648 vectors are in
/// RTCCoreTests' `Base64EncodingTests`.)
@Suite struct TURNRESTCredentialsTests {
    @Test func matchesOpenSSLComputedHMAC() {
        // echo -n "1700000000:alice" | openssl dgst -sha1 -hmac s3cr3t -binary | base64
        let c = TURNRESTCredentials(secret: "s3cr3t", name: "alice", expiry: 1_700_000_000)
        #expect(c.username == "1700000000:alice")
        #expect(c.password == "81mjszbESz91Gv1n2xG/SVLX+uY=")
    }

    @Test func anEmptyNameLeavesTheExpiryAlone() {
        #expect(TURNRESTCredentials(secret: "s3cr3t", name: "", expiry: 1_700_000_000).username == "1700000000")
    }
}
