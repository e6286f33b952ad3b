import NIOCore
import RTCCore
import RTCSTUN
import RTCTestSupport
import Testing
@testable import RTCTURN

/// The allocation, permissions and channels are refreshed before they expire
/// (RFC 8656 §7.2: lifetime; §9: permissions last 300 s; §12: channels last 600 s).
@Suite struct TURNRefreshTimingTests {
    @Test func allocationIsRefreshedAMinuteBeforeItsLifetimeEnds() throws {
        var h = TURNHarness()
        try h.mustAllocate()
        h.advance(by: .seconds(539))
        #expect(h.server.requests(.refresh).isEmpty)
        h.server.lifetime = 300
        h.advance(by: .seconds(1))
        let refreshes = h.server.requests(.refresh)
        #expect(refreshes.map { h.elapsed($0.time) } == [540_000])
        #expect(refreshes.first?.message.uint32(.lifetime) == 600)
        #expect(refreshes.first?.parsed.verifyIntegrity(h.server.key) == true)
        #expect(h.events.last == .refreshed(lifetime: .seconds(300)))
        #expect(h.client.allocation?.lifetime == .seconds(300))
        // The next refresh follows the new lifetime: 300 s − 60 s later.
        h.advance(by: .seconds(240))
        #expect(h.server.requests(.refresh).map { h.elapsed($0.time) } == [540_000, 780_000])
        #expect(h.client.state == .allocated)
    }

    @Test func shortLifetimeIsRefreshedAtHalfTime() throws {
        var h = TURNHarness()
        h.server.lifetime = 60
        try h.mustAllocate()
        h.advance(by: .seconds(100))
        #expect(h.server.requests(.refresh).map { h.elapsed($0.time) } == [30_000, 60_000, 90_000])
    }

    @Test func refreshThatNeverAnswersFailsBeforeTheAllocationExpires() throws {
        var h = TURNHarness()
        try h.mustAllocate()
        h.server.dropNext = 1000
        h.advance(by: .seconds(600))
        #expect(h.client.state == .failed(.timedOut(method: .refresh)))
        #expect(h.events.last == .failed(.timedOut(method: .refresh)))
        #expect(h.server.requests(.refresh).count == 7)
    }

    @Test func refreshAnsweredWithAllocationMismatchFails() throws {
        var h = TURNHarness()
        try h.mustAllocate()
        h.server.errors[.refresh] = STUNErrorCode(code: 437, reason: "Allocation Mismatch")
        h.client.refresh(now: h.now)
        h.pump()
        #expect(h.client.state == .failed(.allocationMismatch))
    }

    @Test func permissionsAreRefreshedEveryFourMinutes() throws {
        var h = TURNHarness()
        try h.mustAllocate()
        let peer = IPAddress.v4(0x0A00_0063)
        try h.client.createPermission(for: peer, now: h.now)
        h.pump()
        #expect(h.events.contains(.permissionInstalled(peer)))
        #expect(h.client.installedPermissions == [peer])
        let request = try #require(h.server.requests(.createPermission).first)
        #expect(try request.message.xorAddress(.xorPeerAddress)?.ip == peer)
        h.advance(by: .seconds(500))
        #expect(h.server.requests(.createPermission).map { h.elapsed($0.time) } == [0, 240_000, 480_000])
        // Installed once, refreshed silently.
        #expect(h.events.filter { $0 == .permissionInstalled(peer) }.count == 1)
        // Asking again for the same IP sends nothing.
        try h.client.createPermission(for: peer, now: h.now)
        #expect(h.client.pollTransmit() == nil)
    }

    @Test func channelsAreNumberedFrom0x4000AndRefreshedBeforeTenMinutes() throws {
        var h = TURNHarness()
        try h.mustAllocate()
        let peerA = TransportAddress(ip: .v4(0x0A00_0063), port: 5000)
        let peerB = TransportAddress(ip: .v4(0x0A00_0064), port: 6000)
        #expect(try h.client.bindChannel(to: peerA, now: h.now) == 0x4000)
        #expect(try h.client.bindChannel(to: peerB, now: h.now) == 0x4001)
        #expect(try h.client.bindChannel(to: peerA, now: h.now) == 0x4000)
        h.pump()
        #expect(h.events.contains(.channelBound(channel: 0x4000, peer: peerA)))
        #expect(h.events.contains(.channelBound(channel: 0x4001, peer: peerB)))
        #expect(h.client.boundChannel(for: peerA) == 0x4000)
        let bind = try #require(h.server.requests(.channelBind).first)
        #expect(bind.message.channelNumber == 0x4000)
        #expect(try bind.message.xorAddress(.xorPeerAddress) == peerA)
        // Binding also asked for the peers' permissions.
        #expect(h.client.installedPermissions == [peerA.ip, peerB.ip])
        h.advance(by: .seconds(600))
        let aBinds = h.server.requests(.channelBind).filter { $0.message.channelNumber == 0x4000 }
        #expect(aBinds.map { h.elapsed($0.time) } == [0, 540_000])
    }

    @Test func failedChannelBindFallsBackToSendIndications() throws {
        var h = TURNHarness()
        try h.mustAllocate()
        let peer = TransportAddress(ip: .v4(0x0A00_0063), port: 5000)
        h.server.errors[.channelBind] = STUNErrorCode(code: 403, reason: "Forbidden")
        try h.client.bindChannel(to: peer, now: h.now)
        h.pump()
        #expect(h.events.contains(.channelBindFailed(peer: peer, .forbidden(STUNErrorCode(code: 403, reason: "Forbidden")))))
        #expect(h.client.boundChannel(for: peer) == nil)
        let t = try h.client.send(ByteBuffer(bytes: [1, 2, 3]), to: peer, now: h.now)
        #expect(try STUNParsedMessage(t.payload).message.type == STUNMessageType(method: .send, messageClass: .indication))
        // The number the server never bound is free again; a bound one is not reused.
        h.server.errors[.channelBind] = nil
        let other = TransportAddress(ip: .v4(0x0A00_0064), port: 6000)
        #expect(try h.client.bindChannel(to: other, now: h.now) == 0x4000)
        h.pump()
        #expect(h.client.boundChannel(for: other) == 0x4000)
        #expect(try h.client.bindChannel(to: peer, now: h.now) == 0x4001)
    }
}
