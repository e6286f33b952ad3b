import Testing
@testable import RTCTURN

/// Time-limited REST credentials (coturn `use-auth-secret`): user name "<expiry>:<name>",
/// password base64(HMAC-SHA1(secret, username)).
@Suite struct TURNRESTCredentialsTests {
    @Test func matchesOpenSSLComputedHMAC() {
        // echo -n "1700000000:alice" | openssl dgst -sha1 -hmac s3cr3t -binary | base64
        let c = TURNRESTCredentials(secret: "s3cr3t", name: "alice", expiry: 1_700_000_000)
        #expect(c.username == "1700000000:alice")
        #expect(c.password == "81mjszbESz91Gv1n2xG/SVLX+uY=")
    }

    @Test func base64MatchesRFC4648Vectors() {
        // RFC 4648 §10.
        let vectors = ["": "", "f": "Zg==", "fo": "Zm8=", "foo": "Zm9v", "foob": "Zm9vYg==", "fooba": "Zm9vYmE=", "foobar": "Zm9vYmFy"]
        for (input, expected) in vectors {
            #expect(base64(Array(input.utf8)) == expected)
        }
    }
}
