import NIOCore
import RTCCore
import RTCSTUN
import RTCTestSupport
import Testing
@testable import RTCTURN

/// The whole client life over a seeded lossy, duplicating, reordering link (virtual time):
/// retransmissions recover every lost request and response, duplicates are ignored.
@Suite struct TURNOverLossyLinkTests {
    @Test(arguments: [UInt64(1), 2, 3, 4, 5])
    func allocatesBindsRefreshesAndClosesDespiteLoss(seed: UInt64) throws {
        var link = SimulatedLink<ByteBuffer>(conditions: LinkConditions(loss: 0.3, reorder: 0.1, duplicate: 0.1, delay: .milliseconds(20)), seed: seed)
        var h = TURNHarness()
        let peer = TransportAddress(ip: .v4(0x0A00_0063), port: 5000)
        var events: [TURNEvent] = []

        func step(until end: NIODeadline, _ h: inout TURNHarness, _ link: inout SimulatedLink<ByteBuffer>) {
            var rounds = 0
            while true {
                rounds += 1
                precondition(rounds < 100_000)
                while let t = h.client.pollTransmit() { link.send(t.payload, size: t.payload.readableBytes, from: .a, now: h.now) }
                while let e = h.client.pollEvent() { events.append(e) }
                let next = [h.client.nextDeadline, link.nextDeliveryTime].compactMap { $0 }.min()
                guard let next, next <= end else { h.now = end; return }
                h.now = max(h.now, next)
                for (to, packet) in link.deliver(upTo: h.now) {
                    if to == .b {
                        if let answer = h.server.handle(packet, now: h.now) { link.send(answer, size: answer.readableBytes, from: .b, now: h.now) }
                    } else {
                        h.client.handle(ReceivedDatagram(source: FakeTURNServer.address, destination: FakeTURNServer.clientAddress, payload: packet), now: h.now)
                    }
                }
                if let d = h.client.nextDeadline, d <= h.now { h.client.handleTimeout(now: h.now) }
            }
        }

        h.client.allocate(now: h.now)
        step(until: h.now + .seconds(30), &h, &link)
        #expect(h.client.state == .allocated, "seed \(seed): \(h.client.state)")
        try h.client.createPermission(for: peer.ip, now: h.now)
        try h.client.bindChannel(to: peer, now: h.now)
        step(until: h.now + .seconds(30), &h, &link)
        #expect(events.contains(.permissionInstalled(peer.ip)))
        #expect(events.contains(.channelBound(channel: 0x4000, peer: peer)))
        // Ten minutes: the allocation, permission and channel are all refreshed in time.
        step(until: h.now + .seconds(600), &h, &link)
        #expect(h.client.state == .allocated, "seed \(seed): \(h.client.state)")
        #expect(events.contains { if case .refreshed = $0 { return true }; return false })
        #expect(!events.contains { if case .permissionFailed = $0 { return true }; return false })
        #expect(!events.contains { if case .channelBindFailed = $0 { return true }; return false })
        #expect(h.client.boundChannel(for: peer) == 0x4000)
        h.client.close(now: h.now)
        step(until: h.now + .seconds(60), &h, &link)
        #expect(h.client.state == .closed)
        #expect(events.filter { $0 == .closed }.count == 1)
        #expect(link.dropped > 0)
        #expect(h.client.statistics.retransmissions > 0)
    }
}
