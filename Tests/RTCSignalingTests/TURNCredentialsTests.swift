import Crypto
import Foundation
import RTCSignaling
import RTCSignalingServer
import RTCTURN
import Testing

@Suite("TURN REST credentials")
struct TURNCredentialsTests {
    @Test func coturnCompatibleUsernameAndPassword() {
        let c = TURNCredentials.make(secret: "s3cret", user: "alice", ttl: 600, uris: ["turn:127.0.0.1:3478"], unixTime: 1_000)
        #expect(c.username == "1600:alice")
        #expect(c.ttl == 600)
        #expect(c.uris == ["turn:127.0.0.1:3478"])
        // Independent computation: base64(HMAC-SHA1(secret, username)), 20 bytes → 28 base64 chars.
        let mac = HMAC<Insecure.SHA1>.authenticationCode(for: Data("1600:alice".utf8), using: SymmetricKey(data: Data("s3cret".utf8)))
        #expect(c.password == Data(mac).base64EncodedString())
        #expect(c.password.count == 28)
        #expect(TURNCredentials.make(secret: "other", user: "alice", ttl: 600, uris: [], unixTime: 1_000).password != c.password)
    }

    @Test func jsonShape() throws {
        let c = TURNCredentials(username: "1:a", password: "p", ttl: 1, uris: ["turn:x"])
        let object = try JSONSerialization.jsonObject(with: JSONEncoder().encode(c)) as? [String: Any]
        #expect(Set(object?.keys.map { $0 } ?? []) == ["username", "password", "ttl", "uris"])
    }

    @Test func theHandoutIsRTCTURNsComputation() {
        // The server's JSON and the TURN client's credentials are one derivation: same inputs,
        // same user name and password.
        for (secret, user, ttl, now) in [("s3cr3t", "alice", 1_000, Int64(1_699_999_000)), ("", "b", 1, 0), ("k", "ü:x", 86_400, 1_700_000_000)] {
            let handout = TURNCredentials.make(secret: secret, user: user, ttl: ttl, uris: [], unixTime: now)
            let client = TURNRESTCredentials(secret: secret, name: user, expiry: UInt64(now) + UInt64(ttl))
            #expect(handout.username == client.username)
            #expect(handout.password == client.password)
        }
        #expect(TURNCredentials.make(secret: "s3cr3t", user: "alice", ttl: 1_000, uris: [], unixTime: 1_699_999_000).password
            == "81mjszbESz91Gv1n2xG/SVLX+uY=")
    }
}
