import NIOCore
import RTCCore
import RTCTestSupport
import Testing
@testable import RTCDTLS

/// Deterministic handshakes on virtual time over a lossy, reordering, small-MTU link.
@Suite struct DTLSHandshakeUnderLossTests {
    static func expectAgreement(_ pair: DTLSPair) throws {
        #expect(pair.client.state == .connected)
        #expect(pair.server.state == .connected)
        let a = try pair.client.exportKeyingMaterial(label: "EXTRACTOR-dtls_srtp", length: 60)
        let b = try pair.server.exportKeyingMaterial(label: "EXTRACTOR-dtls_srtp", length: 60)
        #expect(a == b)
    }

    @Test(arguments: [1, 2, 3, 4, 5, 6, 7, 8] as [UInt64])
    func completesOverThirtyPercentLoss(seed: UInt64) throws {
        var pair = DTLSPair(conditions: LinkConditions(loss: 0.3), seed: seed)
        let ok = pair.handshake(limit: .seconds(60))
        #expect(ok)
        try Self.expectAgreement(pair)
    }

    @Test func lossForcesRetransmissions() throws {
        // Seed chosen so that the first flights are lost; retransmission must recover.
        var found = false
        var dropped = 0
        for seed: UInt64 in 1...20 {
            var pair = DTLSPair(conditions: LinkConditions(loss: 0.3), seed: seed)
            _ = pair.handshake(limit: .seconds(60))
            try Self.expectAgreement(pair)
            dropped += pair.link.dropped
            if pair.client.statistics.timeoutRetransmissions + pair.server.statistics.timeoutRetransmissions > 0 { found = true }
        }
        #expect(found)
        #expect(dropped >= 10)
    }

    @Test func completesOverMTU600AndNeverExceedsIt() throws {
        var pair = DTLSPair(conditions: LinkConditions(mtu: 600), clientConfig: { $0.mtu = 600 }, serverConfig: { $0.mtu = 600 })
        var largest = 0
        pair.tamper = { _, d in largest = max(largest, d.readableBytes); return d }
        let ok = pair.handshake()
        #expect(ok)
        #expect(pair.link.droppedOversize == 0)
        #expect(largest <= 600)
        #expect(largest > 300)
        try Self.expectAgreement(pair)
    }

    @Test func tinyMTUFragmentsEveryMessage() throws {
        var pair = DTLSPair(conditions: LinkConditions(loss: 0.1, mtu: 200), seed: 3,
                            clientConfig: { $0.mtu = 200 }, serverConfig: { $0.mtu = 200 })
        let ok = pair.handshake()
        #expect(ok)
        #expect(pair.link.droppedOversize == 0)
        try Self.expectAgreement(pair)
    }

    @Test(arguments: [11, 12, 13, 14] as [UInt64])
    func completesOverReorderingAndDuplication(seed: UInt64) throws {
        var pair = DTLSPair(conditions: LinkConditions(loss: 0.05, reorder: 0.3, duplicate: 0.3), seed: seed,
                            clientConfig: { $0.mtu = 400 }, serverConfig: { $0.mtu = 400 })
        let ok = pair.handshake()
        #expect(ok)
        #expect(pair.link.duplicated > 0)
        try Self.expectAgreement(pair)
    }

    @Test func completesWithoutCookieExchange() throws {
        var pair = DTLSPair(serverConfig: { $0.cookieExchange = false })
        let ok = pair.handshake()
        #expect(ok)
        try Self.expectAgreement(pair)
    }

    @Test(arguments: DTLSCipherSuite.allCases)
    func negotiatesEachSuiteAndGroup(suite: DTLSCipherSuite) throws {
        for group in DTLSNamedGroup.allCases {
            var pair = DTLSPair(clientConfig: { $0.cipherSuites = [suite]; $0.groups = [group] })
            let ok = pair.handshake()
            #expect(ok)
            #expect(pair.client.handshakeInfo?.cipherSuite == suite)
            #expect(pair.client.handshakeInfo?.group == group)
            try Self.expectAgreement(pair)
            try pair.client.send(applicationData: ByteBuffer(string: "ping"), now: pair.now)
            pair.drain()
            pair.run { $0.serverEvents.contains(.applicationData(ByteBuffer(string: "ping"))) }
            #expect(pair.serverEvents.contains(.applicationData(ByteBuffer(string: "ping"))))
        }
    }

    @Test func noSharedCipherSuiteFails() {
        var pair = DTLSPair(clientConfig: { $0.cipherSuites = [.ecdheECDSAWithChaCha20Poly1305SHA256] },
                            serverConfig: { $0.cipherSuites = [.ecdheECDSAWithAES128GCMSHA256] })
        _ = pair.handshake()
        #expect(pair.serverEvents.contains(.failed(.noSharedCipherSuite)))
        #expect(pair.clientEvents.contains(.failed(.alertReceived(level: DTLSAlert.fatal, description: DTLSAlert.handshakeFailure))))
    }

    @Test func srtpNotNegotiatedWhenDisabled() throws {
        var pair = DTLSPair(clientConfig: { $0.srtpProfiles = [] })
        let ok = pair.handshake()
        #expect(ok)
        #expect(pair.server.handshakeInfo?.srtpProfile == nil)
        #expect(throws: DTLSError.notConnected) { _ = try pair.client.srtpKeyingMaterial() }
    }
}
