import RTCSignaling
import Testing

@Suite("Signaling client reconnect back-off")
struct SignalingReconnectPolicyTests {
    @Test func delaysGrowExponentiallyUpToTheCap() {
        let policy = SignalingReconnectPolicy(initialDelay: .milliseconds(250), maxDelay: .seconds(2), multiplier: 2)
        #expect(policy.delay(attempt: 0) == .milliseconds(250))
        #expect(policy.delay(attempt: 1) == .milliseconds(500))
        #expect(policy.delay(attempt: 2) == .seconds(1))
        #expect(policy.delay(attempt: 3) == .seconds(2))
        #expect(policy.delay(attempt: 30) == .seconds(2))
        #expect(policy.delay(attempt: 10_000) == .seconds(2))
    }

    @Test func neverMeansNoAttempts() {
        #expect(SignalingReconnectPolicy.never.maxAttempts == 0)
        #expect(SignalingReconnectPolicy().maxAttempts == nil)
    }
}
