import NIOCore
import RTCCore
import RTCTestSupport
import Testing
@testable import RTCSCTP

@Suite struct SCTPHandshakeTests {
    @Test func fourWayHandshakeEstablishesBothSides() throws {
        let log = SCTPPacketLog()
        var pair = SCTPPair(log: log)
        let connected = pair.connect(); #expect(connected)
        #expect(pair.eventsA.first == .connected)
        #expect(pair.eventsB.first == .connected)
        // A sent INIT then COOKIE ECHO; B sent INIT ACK then COOKIE ACK.
        let a = try log.fromA.prefix(2).map { try SCTPPacket.parse($0).chunks.first!.type }
        let b = try log.fromB.prefix(2).map { try SCTPPacket.parse($0).chunks.first!.type }
        #expect(a == [SCTPChunkType.initiate, SCTPChunkType.cookieEcho])
        #expect(b == [SCTPChunkType.initiateAck, SCTPChunkType.cookieAck])
        let initPacket = try SCTPPacket.parse(log.fromA[0])
        #expect(initPacket.verificationTag == 0)
        #expect(initPacket.sourcePort == 5000 && initPacket.destinationPort == 5000)
        guard case .initiate(let initChunk) = initPacket.chunks[0] else { Issue.record("not INIT"); return }
        #expect(initChunk.supportsForwardTSN)
        #expect(initChunk.supportsReconfig)
        #expect(pair.a.outboundStreamCount == 65535)
    }

    @Test func simultaneousInitsFromBothSidesConverge() {
        var pair = SCTPPair()
        pair.withA { a, now in a.connect(now: now) }
        pair.withB { b, now in b.connect(now: now) }
        let ok = pair.run(until: { $0.a.state == .established && $0.b.state == .established }, for: .seconds(30))
        #expect(ok)
        #expect(pair.eventsA.filter { $0 == .connected }.count == 1)
        #expect(pair.eventsB.filter { $0 == .connected }.count == 1)
        // And data flows both ways afterwards.
        try? pair.a.send(stream: 1, ppid: 53, payload: ByteBuffer(string: "from a"), now: pair.now)
        try? pair.b.send(stream: 2, ppid: 53, payload: ByteBuffer(string: "from b"), now: pair.now)
        pair.run(until: { !$0.eventsA.messages.isEmpty && !$0.eventsB.messages.isEmpty }, for: .seconds(5))
        #expect(pair.eventsB.messages.map { String(buffer: $0.payload) } == ["from a"])
        #expect(pair.eventsA.messages.map { String(buffer: $0.payload) } == ["from b"])
    }

    @Test func handshakeSurvivesLostInitAndCookieEcho() {
        var pair = SCTPPair(conditions: LinkConditions(loss: 0.4), seed: 5)
        pair.withA { a, now in a.connect(now: now) }
        let connected = pair.run(until: { $0.a.state == .established && $0.b.state == .established }, for: .seconds(600))
        #expect(connected, "A \(pair.a.state) B \(pair.b.state) dropped \(pair.link.dropped) of \(pair.link.sent)")
    }

    @Test func initRetransmissionsGiveUpAfterMaxInitRetransmits() {
        var config = SCTPConfiguration()
        config.maxInitRetransmits = 3
        var pair = SCTPPair(configA: config, conditions: LinkConditions(loss: 1.0))
        pair.withA { a, now in a.connect(now: now) }
        pair.run(until: { $0.a.state == .closed }, for: .seconds(600))
        #expect(pair.eventsA == [.aborted(.retransmissionLimit)])
    }

    @Test func forgedCookieIsIgnored() throws {
        var b = SCTPAssociation(rng: SeededRandom(seed: 9))
        var cookie = ByteBuffer(repeating: 0x41, count: SCTPStateCookie.size)
        cookie.setInteger(UInt32(1234), at: 0)
        let packet = SCTPPacket(sourcePort: 5000, destinationPort: 5000, verificationTag: 1234,
                                chunks: [.cookieEcho(CookieEchoChunk(cookie: cookie))])
        b.handle(packet.serialized(), now: .virtualStart)
        #expect(b.state == .closed)
        let nothing = b.pollTransmit()
        #expect(nothing == nil)
        #expect(b.droppedPackets == 1)
    }

    @Test func staleCookieIsReportedNotAccepted() throws {
        var pair = SCTPPair()
        pair.withA { a, now in a.connect(now: now) }
        // Deliver INIT to B, take B's INIT ACK and hand it to A only after the cookie expired.
        let delivered = pair.link.deliver(upTo: pair.now + .seconds(1))
        guard case .fromA(let initPacket) = try #require(delivered.first).packet else { Issue.record("expected A's INIT"); return }
        pair.b.handle(initPacket, now: pair.now)
        let maybeAck = pair.b.pollTransmit()
        let initAck = try #require(maybeAck)
        let later = pair.now + .seconds(120)
        pair.a.handle(initAck, now: later)
        let maybeEcho = pair.a.pollTransmit()
        let echo = try #require(maybeEcho)
        pair.b.handle(echo, now: later)
        #expect(pair.b.state == .closed)
        let maybeReply = pair.b.pollTransmit()
        let reply = try SCTPPacket.parse(try #require(maybeReply))
        guard case .error(let err) = reply.chunks.first else { Issue.record("expected ERROR"); return }
        #expect(err.causes.first?.code == SCTPErrorCause.staleCookie)
    }
}
