import NIOCore
import RTCCore
import RTCTestSupport
import Testing

/// A driver's socket queues at most `maximumPendingWriteBytes` in the process: a burst larger
/// than that, written in one pump, is cut there — the rest dropped and counted, not queued —
/// and what was queued arrives; the next burst is written again once the queue drained.
@Suite struct UDPDriverBoundsItsWriteQueueTests {
    @Test func aBurstBeyondTheBoundIsDroppedAndCounted() async throws {
        let a = DriverHost(maximumPendingWriteBytes: 16 * 1024), b = DriverHost()
        _ = await a.bind([UDPDriverTests.loopback])
        let bLocal = try #require(await b.bind([UDPDriverTests.loopback]).first)
        let padding = String(repeating: "x", count: 1000)
        await a.send((0..<100).map { "burst1 \($0) \(padding)" }, to: bLocal)
        let dropped = await a.droppedUnwritable
        #expect(dropped > 70 && dropped < 90, "about 16 KiB of 100 × 1 KB queued: \(dropped) dropped")
        try await waitUntil(5, "the queued part of the burst") { b.recorder.events.count >= 100 - dropped }
        // The queue drained: a second, small burst goes out whole.
        await a.send((0..<5).map { "burst2 \($0)" }, to: bLocal)
        try await waitUntil(5, "the second burst") { b.recorder.events.count >= 105 - dropped }
        #expect(await a.droppedUnwritable == dropped)
        let received = b.recorder.events.compactMap { if case .received(let t, _, _) = $0 { t } else { nil } }
        #expect(received.filter { $0.hasPrefix("burst1") }.count == 100 - dropped)
        #expect(received.filter { $0.hasPrefix("burst2") }.count == 5)
        await a.close()
        await b.close()
    }
}
