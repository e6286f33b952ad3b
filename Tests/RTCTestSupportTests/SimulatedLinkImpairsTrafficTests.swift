import Testing
import NIOCore
import RTCCore
import RTCTestSupport

/// The simulated link loses, duplicates, delays, reorders and drops oversize datagrams as
/// configured, reproducibly from its seed.
@Suite struct SimulatedLinkImpairsTrafficTests {
    @Test func lossAndDuplicationRatesAreNearTheirSettings() {
        var link = SimulatedLink<Int>(conditions: LinkConditions(loss: 0.2, duplicate: 0.1), seed: 7)
        let t0 = NIODeadline.virtualStart
        for i in 0..<10_000 { link.send(i, size: 100, from: .a, now: t0) }
        #expect((1700...2300).contains(link.dropped))
        #expect((600...1000).contains(link.duplicated))
        let out = link.deliver(upTo: t0 + .seconds(1))
        #expect(out.count == 10_000 - link.dropped + link.duplicated)
        #expect(out.allSatisfy { $0.to == .b })
        #expect(link.inFlightCount == 0)
    }

    @Test func holdsDatagramsUntilTheirDelayAndDropsOversize() {
        var link = SimulatedLink<String>(conditions: LinkConditions(delay: .milliseconds(30), mtu: 600))
        let t0 = NIODeadline.virtualStart
        link.send("small", size: 500, from: .b, now: t0)
        link.send("big", size: 601, from: .b, now: t0)
        #expect(link.droppedOversize == 1)
        #expect(link.deliver(upTo: t0 + .milliseconds(29)).isEmpty)
        #expect(link.nextDeliveryTime == t0 + .milliseconds(30))
        let out = link.deliver(upTo: t0 + .milliseconds(30))
        #expect(out.map(\.packet) == ["small"] && out[0].to == .a)
    }

    @Test func reorderingLetsLaterDatagramsOvertake() {
        var link = SimulatedLink<Int>(conditions: LinkConditions(reorder: 0.3), seed: 3)
        let t0 = NIODeadline.virtualStart
        for i in 0..<100 { link.send(i, size: 10, from: .a, now: t0 + .milliseconds(Int64(i))) }
        let order = link.deliver(upTo: t0 + .seconds(5)).map(\.packet)
        #expect(order.count == 100)
        #expect(order != order.sorted())
        #expect(link.reordered > 10)
    }
}
