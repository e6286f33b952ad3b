import NIOCore
import RTCCore
import RTCTestSupport
import Testing
@testable import RTCSCTP

@Suite struct SCTPDataTransferTests {
    @Test func smallMessagesArriveInOrderOnAPerfectLink() throws {
        var pair = SCTPPair()
        let connected = pair.connect(); #expect(connected)
        for i in 0..<100 {
            try pair.a.send(stream: 3, ppid: 51, payload: ByteBuffer(string: "message \(i)"), now: pair.now)
        }
        pair.run(until: { $0.eventsB.messages.count == 100 }, for: .seconds(10))
        let got = pair.eventsB.messages
        #expect(got.map { String(buffer: $0.payload) } == (0..<100).map { "message \($0)" })
        #expect(got.allSatisfy { $0.stream == 3 && $0.ppid == 51 && !$0.unordered })
        pair.run(for: .seconds(1))
        #expect(pair.a.flightSize == 0)
        #expect(pair.a.totalBufferedAmount == 0)
    }

    @Test func packetsNeverExceedTheConfiguredSizeAndBundleChunks() throws {
        let log = SCTPPacketLog()
        var pair = SCTPPair(log: log)
        let connected = pair.connect(); #expect(connected)
        log.fromA.removeAll()
        for i in 0..<40 { try pair.a.send(stream: 0, ppid: 53, payload: bytes(100, seed: i), now: pair.now) }
        pair.run(until: { $0.eventsB.messages.count == 40 }, for: .seconds(5))
        #expect(pair.eventsB.messages.count == 40)
        let parsed = try log.fromA.map { try SCTPPacket.parse($0) }
        #expect(!log.fromA.isEmpty && log.fromA.allSatisfy { $0.readableBytes <= 1140 })
        let maxData = parsed.map { $0.chunks.filter { $0.type == SCTPChunkType.data }.count }.max() ?? 0
        #expect(maxData >= 8)
    }

    @Test func largeMessageIsFragmentedAndReassembled() throws {
        var config = SCTPConfiguration()
        config.maxInboundMessageSize = 1 << 20
        var pair = SCTPPair(configA: config, configB: config)
        let connected = pair.connect(); #expect(connected)
        let payload = bytes(1 << 20, seed: 42)
        try pair.a.send(stream: 0, ppid: 53, payload: payload, now: pair.now)
        #expect(pair.a.bufferedAmount(stream: 0) == 1 << 20)
        pair.run(until: { !$0.eventsB.messages.isEmpty }, for: .seconds(60))
        #expect(pair.eventsB.messages.first?.payload == payload)
        #expect(pair.a.bufferedAmount(stream: 0) == 0)
    }

    @Test func unorderedMessagesAllArrive() throws {
        var pair = SCTPPair(conditions: LinkConditions(loss: 0.1, reorder: 0.1, duplicate: 0.05), seed: 3)
        let connected = pair.connect(); #expect(connected)
        for i in 0..<300 {
            try pair.a.send(stream: 1, ppid: 53, unordered: true, payload: bytes(50 + i * 7, seed: i), now: pair.now)
        }
        pair.run(until: { $0.eventsB.messages.count >= 300 }, for: .seconds(300))
        let got = pair.eventsB.messages
        #expect(got.count == 300)
        #expect(got.allSatisfy { $0.unordered })
        let sizes = Set(got.map { $0.payload.readableBytes })
        #expect(sizes == Set((0..<300).map { 50 + $0 * 7 }))
        for m in got {
            let i = (m.payload.readableBytes - 50) / 7
            #expect(m.payload == bytes(50 + i * 7, seed: i))
        }
    }

    /// `pollTransmit()` takes no time of its own: what it sends is stamped with the `now` of the
    /// last call (here `send`), not an older one.
    @Test func pollTransmitStampsOutputWithTheTimeOfTheLastCall() throws {
        var pair = SCTPPair()
        let connected = pair.connect(); #expect(connected)
        #expect(pair.a.t3Deadline == nil)  // nothing outstanding yet; the heartbeat is 30 s away
        let later = pair.now + .seconds(7)
        try pair.a.send(stream: 0, ppid: 53, payload: bytes(100, seed: 1), now: later)
        let sent = pair.a.pollTransmit()
        let packet = try #require(sent)
        #expect(pair.a.t3Deadline == later + pair.a.rto)
        #expect(pair.a.rttMeasurement?.sentAt == later)
        #expect(pair.a.nextDeadline == later + pair.a.rto)
        // B gets it 20 ms later and SACKs after its 200 ms delay; A receives the SACK 240 ms
        // after `later`, which is its first RTT sample.
        pair.b.handle(packet, now: later + .milliseconds(20))
        pair.b.handleTimeout(now: later + .milliseconds(220))
        let reply = pair.b.pollTransmit()
        let sack = try #require(reply)
        #expect(pair.a.srtt == nil)
        pair.a.handle(sack, now: later + .milliseconds(240))
        #expect(pair.a.rttMeasurement == nil)
        #expect(pair.a.srtt == .milliseconds(240))
    }

    @Test func sendingBeforeEstablishedOrOnBadStreamFails() throws {
        var a = SCTPAssociation(rng: SeededRandom(seed: 1))
        #expect(throws: SCTPSendError.notEstablished) {
            try a.send(stream: 0, ppid: 53, payload: ByteBuffer(string: "x"), now: .virtualStart)
        }
        var config = SCTPConfiguration()
        config.inboundStreams = 10
        var pair = SCTPPair(configB: config)
        let connected = pair.connect(); #expect(connected)
        #expect(pair.a.outboundStreamCount == 10)
        #expect(throws: SCTPSendError.invalidStream(10)) {
            try pair.a.send(stream: 10, ppid: 53, payload: ByteBuffer(string: "x"), now: pair.now)
        }
        #expect(throws: SCTPSendError.emptyMessage) {
            try pair.a.send(stream: 1, ppid: 53, payload: ByteBuffer(), now: pair.now)
        }
    }
}
