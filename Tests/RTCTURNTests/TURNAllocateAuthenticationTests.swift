import NIOCore
import RTCCore
import RTCSTUN
import RTCTestSupport
import Testing
@testable import RTCTURN

/// Allocate with long-term credentials (RFC 8656 §7.1, RFC 8489 §9.2): 401 challenge, the
/// authenticated retry, 438 Stale Nonce, and what the allocation reports.
@Suite struct TURNAllocateAuthenticationTests {
    @Test func answersTheChallengeAndReportsRelayedAndReflexiveAddresses() throws {
        var h = TURNHarness()
        let allocation = try h.mustAllocate()
        #expect(allocation.relayedAddress == FakeTURNServer.relayedAddress)
        #expect(allocation.serverReflexiveAddress == FakeTURNServer.clientAddress)
        #expect(allocation.lifetime == .seconds(600))
        #expect(h.client.state == .allocated)
        #expect(h.client.allocation == allocation)
        let requests = h.server.requests(.allocate)
        #expect(requests.count == 2)
        // The first carries no credentials; the second USERNAME, REALM, NONCE and a valid MI.
        let first = requests[0], second = requests[1]
        #expect(!first.parsed.hasIntegrity && first.message.username == nil)
        #expect(first.message.attribute(.requestedTransport)?.value == [17, 0, 0, 0])
        #expect(second.message.username == "alice")
        #expect(second.message.realm == "fake.test")
        #expect(second.message.nonce == "nonce-1")
        #expect(second.parsed.verifyIntegrity(h.server.key))
        #expect(second.message.attribute(.requestedTransport)?.value == [17, 0, 0, 0])
        #expect(second.message.transactionID != first.message.transactionID)
        #expect(h.client.realm == "fake.test" && h.client.nonce == "nonce-1")
    }

    @Test func requestsTheConfiguredLifetime() throws {
        var h = TURNHarness(lifetime: 1200)
        h.server.lifetime = 1200
        let allocation = try h.mustAllocate()
        #expect(allocation.lifetime == .seconds(1200))
        #expect(h.server.requests(.allocate).last?.message.uint32(.lifetime) == 1200)
    }

    @Test func staleNonceIsRetriedWithTheFreshNonce() throws {
        var h = TURNHarness()
        h.server.staleNonces = 1
        try h.mustAllocate()
        let requests = h.server.requests(.allocate)
        #expect(requests.count == 3)
        #expect(requests[1].message.nonce == "nonce-1")
        #expect(requests[2].message.nonce == "nonce-2")
        #expect(h.client.nonce == "nonce-2")
    }

    @Test func staleNonceAfterAllocationIsRetriedForPermissions() throws {
        var h = TURNHarness()
        try h.mustAllocate()
        h.server.rotateNonce()
        let peer = IPAddress.v4(0x0A00_0063)
        try h.client.createPermission(for: peer, now: h.now)
        h.pump()
        #expect(h.events.contains(.permissionInstalled(peer)))
        let permissions = h.server.requests(.createPermission)
        #expect(permissions.map(\.message.nonce) == ["nonce-1", "nonce-2"])
    }

    @Test func repeatedStaleNoncesFailWithATypedError() throws {
        var h = TURNHarness(maxStaleNonceRetries: 2)
        h.server.staleNonces = 10
        let result = h.allocate()
        #expect(result == nil)
        #expect(h.client.state == .failed(.staleNonceRepeated))
        #expect(h.events == [.failed(.staleNonceRepeated)])
        #expect(h.server.requests(.allocate).count == 4) // unauthenticated + first + 2 retries
    }

    @Test func wrongPasswordIsAnUnauthenticatedError() {
        var h = TURNHarness(password: "not-the-password")
        let result = h.allocate()
        #expect(result == nil)
        guard case .failed(.unauthenticated(let code)) = h.client.state else {
            Issue.record("state \(h.client.state)")
            return
        }
        #expect(code.code == 401)
        #expect(h.server.requests(.allocate).count == 2)
    }

    @Test func challengeWithoutNonceFails() {
        var h = TURNHarness()
        h.client.allocate(now: h.now)
        let request = try! STUNParsedMessage(h.client.pollTransmit()!.payload).message
        let bare = STUNMessage(type: STUNMessageType(method: .allocate, messageClass: .errorResponse),
                               transactionID: request.transactionID, attributes: [.errorCode(.unauthenticated), .realm("r")])
        _ = h.receive(bare.encoded(), from: FakeTURNServer.address)
        #expect(h.client.state == .failed(.missingRealmOrNonce))
    }
}
