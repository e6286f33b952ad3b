import NIOCore
import RTCCore
import RTCTestSupport
import Testing
@testable import RTCSCTP

@Suite struct SCTPDeliversUnderLossTests {
    static let hostile = LinkConditions(loss: 0.10, reorder: 0.05, duplicate: 0.05)

    @Test func twentyMiBOfMixedSizesArriveByteExactAndInOrder() throws {
        var pair = SCTPPair(conditions: Self.hostile, seed: 11)
        let connected = pair.connect()
        #expect(connected)
        // Mixed sizes (1 byte … 64 KiB), spread over three ordered streams.
        var sizes: [Int] = []
        var total = 0
        var x: UInt64 = 0x1234
        while total < 20 << 20 {
            x = x &* 6364136223846793005 &+ 1442695040888963407
            let pick = Int(x >> 33) % 100
            let size = pick < 50 ? 1 + Int(x >> 40) % 1200 : (pick < 85 ? 1200 + Int(x >> 40) % 8000 : 16_000 + Int(x >> 40) % 49_000)
            sizes.append(size)
            total += size
        }
        var received: [[Int]] = [[], [], []]
        var corrupt = 0
        var receivedBytes = 0
        var next = 0
        var sent: [[Int]] = [[], [], []]
        while next < sizes.count || receivedBytes < total {
            // Keep about 1 MiB queued, like an application writing under backpressure.
            while next < sizes.count && pair.a.totalBufferedAmount < 1 << 20 {
                let size = max(4, sizes[next])
                let stream = UInt16(next % 3)
                try pair.a.send(stream: stream, ppid: 53, payload: Self.payload(index: next, size: size), now: pair.now)
                sent[Int(stream)].append(next)
                if size != sizes[next] { total += size - sizes[next] }
                next += 1
            }
            // One step of the harness, then check (and forget) what B delivered.
            guard pair.nextWakeUp != nil else { break }
            pair.run(until: { _ in false }, for: .seconds(3600), maxSteps: 1)
            for m in pair.takeEventsB().messages {
                let index = Int(m.payload.getInteger(at: m.payload.readerIndex, as: UInt32.self) ?? 0)
                if Self.payload(index: index, size: m.payload.readableBytes) != m.payload { corrupt += 1 }
                received[Int(m.stream)].append(index)
                receivedBytes += m.payload.readableBytes
            }
            if pair.now > .virtualStart + .seconds(3600) { break }
        }
        #expect(corrupt == 0)
        #expect(received == sent)
        #expect(receivedBytes == total)
        #expect(pair.link.dropped > 1000)
        #expect(pair.link.duplicated > 500 && pair.link.reordered > 500)
        #expect(pair.a.state == .established && pair.b.state == .established)
    }

    static let pattern: ByteBuffer = bytes(70_000, seed: 99)

    /// Payload whose first four bytes are the message index, the rest a slice of a fixed
    /// pseudo-random pattern chosen by the index.
    static func payload(index: Int, size: Int) -> ByteBuffer {
        var b = ByteBuffer()
        b.reserveCapacity(size)
        b.writeInteger(UInt32(index))
        let count = max(0, size - 4)
        b.writeImmutableBuffer(pattern.getSlice(at: (index &* 7) % 1000, length: count)!)
        return b
    }

    @Test func oneMiBMessageReassemblesUnderLoss() throws {
        var config = SCTPConfiguration()
        config.maxInboundMessageSize = 1 << 20
        var pair = SCTPPair(configA: config, configB: config, conditions: Self.hostile, seed: 21)
        let connected = pair.connect()
        #expect(connected)
        let payload = bytes(1 << 20, seed: 77)
        try pair.a.send(stream: 4, ppid: 53, payload: payload, now: pair.now)
        pair.run(until: { !$0.eventsB.messages.isEmpty }, for: .seconds(600))
        #expect(pair.eventsB.messages.count == 1)
        #expect(pair.eventsB.messages.first?.payload == payload)
    }

    @Test func maxRetransmitsZeroAbandonsLostMessagesWithoutStallingOthers() throws {
        var pair = SCTPPair(conditions: Self.hostile, seed: 31)
        let connected = pair.connect()
        #expect(connected)
        for i in 0..<400 {
            try pair.a.send(stream: 1, ppid: 53, reliability: .maxRetransmits(0),
                            payload: ByteBuffer(string: "lossy \(i)"), now: pair.now)
            try pair.a.send(stream: 2, ppid: 53, payload: ByteBuffer(string: "reliable \(i)"), now: pair.now)
        }
        pair.run(until: { $0.eventsB.messages.filter { $0.stream == 2 }.count == 400 && $0.a.cumAckPoint == $0.a.nextTSN &- 1 }, for: .seconds(300))
        let lossy = pair.eventsB.messages.filter { $0.stream == 1 }.map { String(buffer: $0.payload) }
        let reliable = pair.eventsB.messages.filter { $0.stream == 2 }.map { String(buffer: $0.payload) }
        #expect(reliable == (0..<400).map { "reliable \($0)" })
        // Some lossy messages were abandoned, the rest arrived in order without duplicates.
        #expect(lossy.count < 400 && lossy.count > 200, "\(lossy.count) lossy messages arrived")
        let indices = lossy.map { Int($0.split(separator: " ")[1])! }
        #expect(indices == indices.sorted() && Set(indices).count == indices.count)
        // The sender moved past the abandoned TSNs with FORWARD TSN.
        #expect(pair.a.cumAckPoint == pair.a.nextTSN &- 1)
        #expect(pair.b.cumReceived == pair.a.nextTSN &- 1)
        // And the stream still works afterwards.
        try pair.a.send(stream: 1, ppid: 53, reliability: .maxRetransmits(0), payload: ByteBuffer(string: "after"), now: pair.now)
        pair.link.conditions = .perfect
        pair.run(for: .seconds(5))
        #expect(pair.eventsB.messages.last.map { String(buffer: $0.payload) } == "after")
    }

    @Test func expiredLifetimeMessagesAreAbandoned() throws {
        var pair = SCTPPair(conditions: LinkConditions(loss: 0.3), seed: 41)
        let connected = pair.connect()
        #expect(connected)
        for i in 0..<200 {
            try pair.a.send(stream: 0, ppid: 53, unordered: true, reliability: .maxLifetime(.milliseconds(50)),
                            payload: ByteBuffer(string: "timed \(i)"), now: pair.now)
        }
        pair.run(until: { $0.a.flightSize == 0 && $0.a.totalBufferedAmount == 0 && $0.a.cumAckPoint == $0.a.nextTSN &- 1 }, for: .seconds(120))
        let got = pair.eventsB.messages.count
        #expect(got < 200 && got > 50)
        #expect(pair.b.cumReceived == pair.a.nextTSN &- 1)
    }

    @Test func idleAssociationSurvivesFiveMinutesWithHeartbeats() throws {
        let log = SCTPPacketLog()
        var pair = SCTPPair(seed: 51, log: log)
        let connected = pair.connect()
        #expect(connected)
        log.fromA.removeAll()
        pair.run(for: .seconds(300))
        #expect(pair.a.state == .established && pair.b.state == .established)
        let heartbeats = try log.fromA.filter { try SCTPPacket.parse($0).chunks.first?.type == SCTPChunkType.heartbeat }
        #expect(heartbeats.count >= 5)
        try pair.a.send(stream: 0, ppid: 51, payload: ByteBuffer(string: "still alive"), now: pair.now)
        pair.run(for: .seconds(2))
        #expect(pair.eventsB.messages.last.map { String(buffer: $0.payload) } == "still alive")
    }

    @Test func deadPeerIsDetectedByUnansweredHeartbeats() {
        var pair = SCTPPair(seed: 52)
        let connected = pair.connect()
        #expect(connected)
        pair.link.conditions = LinkConditions(loss: 1.0)
        pair.run(until: { $0.a.state == .closed }, for: .seconds(3600))
        #expect(pair.eventsA.contains(.aborted(.retransmissionLimit)))
    }
}
