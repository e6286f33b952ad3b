import Foundation
import NIOCore
import RTCCore
import RTCSTUN
import RTCTestSupport
import Testing
@testable import RTCTURN

/// The TURN client against a real coturn on 127.0.0.1 over real UDP (private network
/// namespace): allocate, permissions, Send indications and ChannelData both ways through the
/// relay to a plain UDP peer, refresh, stale nonce, deallocation, REST credentials, errors.
@Suite(.serialized) struct TURNCoturnInteropTests {
    static func configuration(port: UInt16, username: String, password: String) -> TURNClientConfiguration {
        TURNClientConfiguration(server: TransportAddress(ip: .loopbackV4, port: port), username: username, password: password)
    }

    @Test func relaysBothWaysThroughSendIndicationsAndChannelsThenDeallocates() async throws {
        try InteropEnvironment.requirePrivateNamespace()
        let server = try CoturnServer(CoturnConfiguration(authentication: .longTerm(username: "alice", password: "wonderland"), verbose: true))
        defer { server.stop() }
        let driver = try await TURNUDPDriver(configuration: Self.configuration(port: server.port, username: "alice", password: "wonderland"))
        let peer = try await TURNTestSocket()

        driver.with { c, now in c.allocate(now: now) }
        guard case .allocated(let allocation) = try await driver.waitFor("allocation", { if case .allocated = $0 { return true }; return false }) else { return }
        #expect(allocation.relayedAddress.ip == .loopbackV4)
        #expect(allocation.relayedAddress.port >= 40000 && allocation.relayedAddress.port <= 49999)
        #expect(allocation.serverReflexiveAddress == driver.socket.localAddress)
        #expect(allocation.lifetime > .zero)

        // Permission, then a Send indication: the peer sees it coming from the relayed address.
        try driver.with { c, now in try c.createPermission(for: peer.localAddress.ip, now: now) }
        try await driver.waitFor("permission") { $0 == .permissionInstalled(peer.localAddress.ip) }
        try driver.send(Array("via send indication".utf8), to: peer.localAddress)
        let (from1, data1) = try await peer.receive()
        #expect(from1 == allocation.relayedAddress)
        #expect(String(buffer: data1) == "via send indication")

        // The peer answers the relayed address: a Data indication brings it to us.
        peer.send(ByteBuffer(string: "reply one"), to: allocation.relayedAddress)
        try await driver.run(until: "data indication") { !$0.received.isEmpty }
        #expect(driver.received.first?.peer == peer.localAddress)
        #expect(driver.received.first?.channel == nil)
        #expect(driver.received.first.map { String(buffer: $0.payload) } == "reply one")
        driver.received.removeAll()

        // Bind a channel: sends become ChannelData, and so do the peer's replies.
        let number = try driver.with { c, now in try c.bindChannel(to: peer.localAddress, now: now) }
        #expect(number == 0x4000)
        try await driver.waitFor("channel bound") { $0 == .channelBound(channel: 0x4000, peer: peer.localAddress) }
        try driver.send(Array("via channel".utf8), to: peer.localAddress)
        #expect(driver.sentPayloads.last?.getInteger(at: 0, as: UInt16.self) == 0x4000)
        let (from2, data2) = try await peer.receive()
        #expect(from2 == allocation.relayedAddress)
        #expect(String(buffer: data2) == "via channel")
        peer.send(ByteBuffer(string: "reply two"), to: allocation.relayedAddress)
        try await driver.run(until: "channel data") { !$0.received.isEmpty }
        #expect(driver.received.first?.peer == peer.localAddress)
        #expect(driver.received.first?.channel == 0x4000)
        #expect(driver.received.first.map { String(buffer: $0.payload) } == "reply two")

        // Refresh, then deallocate with LIFETIME 0.
        driver.with { c, now in c.refresh(now: now) }
        try await driver.waitFor("refresh") { if case .refreshed(let l) = $0 { return l > .zero }; return false }
        driver.with { c, now in c.close(now: now) }
        try await driver.waitFor("closed") { $0 == .closed }
        #expect(driver.client.state == .closed)
        #expect(driver.client.statistics.unauthenticatedResponses == 0)
        // coturn accepted the deallocation (its verbose log; it deletes the session a moment
        // later, so an immediate re-Allocate on this 5-tuple would still get 437). Its log line
        // can trail our receipt of the response: wait for it (bounded).
        let logged = try? await server.process.waitForLine(timeout: 10) { $0.contains("refreshed") && $0.contains("lifetime=0") }
        #expect(logged != nil, "coturn did not log a Refresh to lifetime 0")
        await peer.close()
        await driver.socket.close()
    }

    @Test func staleNonceFromCoturnIsRetried() async throws {
        try InteropEnvironment.requirePrivateNamespace()
        // Nonces expire after 2 s, so a refresh 3 s later is answered 438 first.
        let server = try CoturnServer(CoturnConfiguration(authentication: .longTerm(username: "alice", password: "wonderland"),
                                                          extraArguments: ["--stale-nonce=2"]))
        defer { server.stop() }
        let driver = try await TURNUDPDriver(configuration: Self.configuration(port: server.port, username: "alice", password: "wonderland"))
        driver.with { c, now in c.allocate(now: now) }
        try await driver.waitFor("allocation") { if case .allocated = $0 { return true }; return false }
        let firstNonce = driver.client.nonce
        try await Task.sleep(nanoseconds: 3_000_000_000)
        driver.with { c, now in c.refresh(now: now) }
        try await driver.waitFor("refresh after stale nonce") { if case .refreshed = $0 { return true }; return false }
        #expect(driver.client.nonce != firstNonce)
        #expect(driver.client.state == .allocated)
        driver.with { c, now in c.close(now: now) }
        try await driver.waitFor("closed") { $0 == .closed }
        await driver.socket.close()
    }

    @Test func restCredentialsAreAcceptedAndExpiredOnesRefused() async throws {
        try InteropEnvironment.requirePrivateNamespace()
        let secret = "rest-secret-\(UInt32.random(in: 0...UInt32.max))"
        let server = try CoturnServer(CoturnConfiguration(authentication: .restSecret(secret)))
        defer { server.stop() }
        let now = UInt64(Date().timeIntervalSince1970)
        let valid = TURNRESTCredentials(secret: secret, name: "bob", expiry: now + 3600)
        let driver = try await TURNUDPDriver(configuration: Self.configuration(port: server.port, username: valid.username, password: valid.password))
        driver.with { c, now in c.allocate(now: now) }
        try await driver.waitFor("allocation with REST credentials") { if case .allocated = $0 { return true }; return false }
        driver.with { c, now in c.close(now: now) }
        try await driver.waitFor("closed") { $0 == .closed }
        await driver.socket.close()

        let expired = TURNRESTCredentials(secret: secret, name: "bob", expiry: now - 60)
        let refused = try await TURNUDPDriver(configuration: Self.configuration(port: server.port, username: expired.username, password: expired.password))
        refused.with { c, now in c.allocate(now: now) }
        try await refused.run(until: "refusal") { if case .failed = $0.client.state { return true }; return false }
        guard case .failed(.unauthenticated(let code)) = refused.client.state else {
            Issue.record("expected 401, got \(refused.client.state)")
            return
        }
        #expect(code.code == 401)
        await refused.socket.close()
    }

    @Test func wrongPasswordIsATypedUnauthenticatedError() async throws {
        try InteropEnvironment.requirePrivateNamespace()
        let server = try CoturnServer(CoturnConfiguration(authentication: .longTerm(username: "alice", password: "wonderland")))
        defer { server.stop() }
        let driver = try await TURNUDPDriver(configuration: Self.configuration(port: server.port, username: "alice", password: "wrong"))
        driver.with { c, now in c.allocate(now: now) }
        try await driver.run(until: "refusal") { if case .failed = $0.client.state { return true }; return false }
        guard case .failed(.unauthenticated(let code)) = driver.client.state else {
            Issue.record("expected 401, got \(driver.client.state)")
            return
        }
        #expect(code.code == 401)
        #expect(driver.events == [.failed(.unauthenticated(code))])
        await driver.socket.close()
    }

    @Test func secondAllocationOnTheSameSocketIsAnAllocationMismatch() async throws {
        try InteropEnvironment.requirePrivateNamespace()
        let server = try CoturnServer(CoturnConfiguration(authentication: .longTerm(username: "alice", password: "wonderland")))
        defer { server.stop() }
        let driver = try await TURNUDPDriver(configuration: Self.configuration(port: server.port, username: "alice", password: "wonderland"))
        driver.with { c, now in c.allocate(now: now) }
        try await driver.waitFor("allocation") { if case .allocated = $0 { return true }; return false }
        // A second client on the same 5-tuple asks again (RFC 8656 §7.2: 437).
        let second = TURNClient(configuration: Self.configuration(port: server.port, username: "alice", password: "wonderland"), rng: SystemRandomNumberGenerator())
        driver.client = second
        driver.with { c, now in c.allocate(now: now) }
        try await driver.run(until: "437") { if case .failed = $0.client.state { return true }; return false }
        #expect(driver.client.state == .failed(.allocationMismatch))
        await driver.socket.close()
    }
}
