import NIOCore
import RTCCore
import RTCTestSupport
import Testing
@testable import RTCSCTP

/// RFC 9260 §6.3 (RTO), §7.2 (slow start, congestion avoidance, fast retransmit) and §6.1 (peer
/// receive window), driven by hand-made SACKs.
@Suite struct SCTPCongestionControlTests {
    static func established() -> SCTPPair {
        var pair = SCTPPair()
        _ = pair.connect()
        pair.run(for: .seconds(1))
        return pair
    }

    static func sack(_ a: SCTPAssociation, cum: UInt32, gaps: [(UInt16, UInt16)] = [], rwnd: UInt32 = 1 << 20) -> ByteBuffer {
        let chunk = SelectiveAckChunk(cumulativeTSNAck: cum, advertisedReceiverWindowCredit: rwnd,
                                      gapAckBlocks: gaps.map { .init(start: $0.0, end: $0.1) })
        return SCTPPacket(sourcePort: 5000, destinationPort: 5000, verificationTag: a.localTag, chunks: [.sack(chunk)]).serialized()
    }

    static func sentTSNs(_ a: inout SCTPAssociation) -> [UInt32] {
        var out: [UInt32] = []
        while let p = a.pollTransmit() {
            for c in (try? SCTPPacket.parse(p).chunks) ?? [] { if case .data(let d) = c { out.append(d.tsn) } }
        }
        return out
    }

    @Test func rtoFollowsRFC9260Section631OnAScriptedRTTSequence() {
        var config = SCTPConfiguration()
        config.rtoMin = .milliseconds(100)
        var a = SCTPAssociation(configuration: config, rng: SeededRandom(seed: 1))
        #expect(a.rto == .seconds(1)) // RTO.Initial
        a.updateRTO(measured: .milliseconds(200))
        #expect(a.srtt == .milliseconds(200) && a.rttvar == .milliseconds(100) && a.rto == .milliseconds(600))
        a.updateRTO(measured: .milliseconds(100))
        #expect(a.srtt == .microseconds(187_500) && a.rttvar == .milliseconds(100) && a.rto == .microseconds(587_500))
        a.updateRTO(measured: .milliseconds(300))
        #expect(a.rttvar == .microseconds(103_125) && a.srtt == .nanoseconds(201_562_500) && a.rto == .nanoseconds(614_062_500))
        for _ in 0..<50 { a.updateRTO(measured: .milliseconds(1)) }
        #expect(a.rto == .milliseconds(100)) // clamped to RTO.Min
        for _ in 0..<50 { a.updateRTO(measured: .seconds(100)) }
        #expect(a.rto == .seconds(60)) // clamped to RTO.Max
    }

    @Test func t3ExpiryDoublesRTOCollapsesCwndAndRetransmits() throws {
        var pair = Self.established()
        try pair.a.send(stream: 0, ppid: 53, payload: bytes(1100, seed: 1), now: pair.now)
        let sent = Self.sentTSNs(&pair.a)
        #expect(sent.count == 1)
        let before = pair.a.rto
        let deadline = try #require(pair.a.t3Deadline)
        pair.a.handleTimeout(now: deadline)
        #expect(pair.a.rto == before * 2)
        #expect(pair.a.congestionWindow == 1140)
        #expect(pair.a.slowStartThreshold == 4 * 1140)
        #expect(Self.sentTSNs(&pair.a) == sent)
    }

    @Test func threeMissIndicationsTriggerFastRetransmit() throws {
        var pair = Self.established()
        for i in 0..<30 { try pair.a.send(stream: 0, ppid: 53, payload: bytes(1100, seed: i), now: pair.now) }
        let first = Self.sentTSNs(&pair.a)
        #expect(first.count == 4) // initial cwnd 4380 = min(4·MTU, max(2·MTU, 4380)); 1100-byte chunks
        let t0 = first[0]
        pair.a.handle(Self.sack(pair.a, cum: t0, gaps: [(2, 2)]), now: pair.now)
        #expect(!Self.sentTSNs(&pair.a).contains(t0 &+ 1))
        pair.a.handle(Self.sack(pair.a, cum: t0, gaps: [(2, 3)]), now: pair.now)
        #expect(!Self.sentTSNs(&pair.a).contains(t0 &+ 1))
        let cwndBefore = pair.a.congestionWindow
        pair.a.handle(Self.sack(pair.a, cum: t0, gaps: [(2, 4)]), now: pair.now)
        #expect(pair.a.inFastRecovery)
        #expect(pair.a.slowStartThreshold == max(cwndBefore / 2, 4 * 1140))
        #expect(pair.a.congestionWindow == pair.a.slowStartThreshold)
        #expect(Self.sentTSNs(&pair.a).first == t0 &+ 1)
    }

    @Test func cwndGrowsPerMTUInSlowStartButOnlyPerWindowInCongestionAvoidance() throws {
        var pair = Self.established()
        for i in 0..<40 { try pair.a.send(stream: 0, ppid: 53, payload: bytes(1100, seed: i), now: pair.now) }
        let first = Self.sentTSNs(&pair.a)
        let t0 = first[0]
        let initial = pair.a.congestionWindow
        #expect(initial == 4380)
        pair.a.handle(Self.sack(pair.a, cum: t0 &+ 1), now: pair.now) // 2200 bytes acked
        #expect(pair.a.congestionWindow == initial + 1140) // slow start: += min(acked, MTU)
        _ = Self.sentTSNs(&pair.a)
        pair.a.slowStartThreshold = 1000 // force congestion avoidance
        let caStart = pair.a.congestionWindow
        pair.a.handle(Self.sack(pair.a, cum: t0 &+ 3), now: pair.now)
        #expect(pair.a.congestionWindow == caStart) // partial_bytes_acked below cwnd
        #expect(pair.a.partialBytesAcked == 2200)
        _ = Self.sentTSNs(&pair.a)
        pair.a.handle(Self.sack(pair.a, cum: t0 &+ 8), now: pair.now) // 5500 more: pba 7700 ≥ cwnd
        #expect(pair.a.congestionWindow == caStart + 1140)
        #expect(pair.a.partialBytesAcked == 7700 - caStart)
    }

    @Test func peerReceiveWindowLimitsNewDataAndAllowsOneZeroWindowProbe() throws {
        var pair = Self.established()
        pair.a.handle(Self.sack(pair.a, cum: pair.a.cumAckPoint, rwnd: 3300), now: pair.now)
        #expect(pair.a.peerReceiveWindow == 3300)
        for i in 0..<10 { try pair.a.send(stream: 0, ppid: 53, payload: bytes(1100, seed: i), now: pair.now) }
        let first = Self.sentTSNs(&pair.a)
        #expect(first.count == 3)
        pair.a.handle(Self.sack(pair.a, cum: first.last!, rwnd: 0), now: pair.now)
        #expect(pair.a.peerReceiveWindow == 0)
        #expect(Self.sentTSNs(&pair.a).count == 1) // the probe
        #expect(Self.sentTSNs(&pair.a).isEmpty)
    }

    @Test func sackIsDelayedForASinglePacketAndImmediateForTheSecond() throws {
        var pair = Self.established()
        try pair.a.send(stream: 0, ppid: 53, payload: bytes(100, seed: 1), now: pair.now)
        let first = pair.a.pollTransmit()
        pair.b.handle(try #require(first), now: pair.now)
        let none = pair.b.pollTransmit()
        #expect(none == nil)
        #expect(pair.b.nextDeadline == pair.now + .milliseconds(200))
        try pair.a.send(stream: 0, ppid: 53, payload: bytes(100, seed: 2), now: pair.now)
        let second = pair.a.pollTransmit()
        pair.b.handle(try #require(second), now: pair.now)
        let sack = pair.b.pollTransmit()
        #expect(try SCTPPacket.parse(try #require(sack)).chunks.first?.type == SCTPChunkType.sack)
    }
}
