import NIOCore
import RTCCore
import RTCTestSupport
import Testing
@testable import RTCSCTP

@Suite struct SCTPHandshakeTests {
    @Test func fourWayHandshakeEstablishesBothSides() throws {
        var pair = SCTPPair()
        pair.recordPackets = true
        let connected = pair.connect(); #expect(connected)
        #expect(pair.eventsA.first == .connected)
        #expect(pair.eventsB.first == .connected)
        // A sent INIT then COOKIE ECHO; B sent INIT ACK then COOKIE ACK.
        let a = try pair.sentByA.prefix(2).map { try SCTPPacket.parse($0).chunks.first!.type }
        let b = try pair.sentByB.prefix(2).map { try SCTPPacket.parse($0).chunks.first!.type }
        #expect(a == [SCTPChunkType.initiate, SCTPChunkType.cookieEcho])
        #expect(b == [SCTPChunkType.initiateAck, SCTPChunkType.cookieAck])
        let initPacket = try SCTPPacket.parse(pair.sentByA[0])
        #expect(initPacket.verificationTag == 0)
        #expect(initPacket.sourcePort == 5000 && initPacket.destinationPort == 5000)
        guard case .initiate(let initChunk) = initPacket.chunks[0] else { Issue.record("not INIT"); return }
        #expect(initChunk.supportsForwardTSN)
        #expect(initChunk.supportsReconfig)
        #expect(pair.a.outboundStreamCount == 65535)
    }

    @Test func simultaneousInitsFromBothSidesConverge() {
        var pair = SCTPPair()
        pair.a.connect(now: pair.now)
        pair.b.connect(now: pair.now)
        let ok = pair.run(for: .seconds(30)) { $0.a.state == .established && $0.b.state == .established }
        #expect(ok)
        #expect(pair.eventsA.filter { $0 == .connected }.count == 1)
        #expect(pair.eventsB.filter { $0 == .connected }.count == 1)
        // And data flows both ways afterwards.
        try? pair.a.send(stream: 1, ppid: 53, payload: ByteBuffer(string: "from a"), now: pair.now)
        try? pair.b.send(stream: 2, ppid: 53, payload: ByteBuffer(string: "from b"), now: pair.now)
        pair.run(for: .seconds(5)) { !$0.eventsA.messages.isEmpty && !$0.eventsB.messages.isEmpty }
        #expect(pair.eventsB.messages.map { String(buffer: $0.payload) } == ["from a"])
        #expect(pair.eventsA.messages.map { String(buffer: $0.payload) } == ["from b"])
    }

    @Test func handshakeSurvivesLostInitAndCookieEcho() {
        var pair = SCTPPair(conditions: LinkConditions(loss: 0.4), seed: 5)
        pair.a.connect(now: pair.now)
        let connected = pair.run(for: .seconds(600)) { $0.a.state == .established && $0.b.state == .established }
        #expect(connected, "A \(pair.a.state) B \(pair.b.state) dropped \(pair.link.dropped) of \(pair.link.sent)")
    }

    @Test func initRetransmissionsGiveUpAfterMaxInitRetransmits() {
        var config = SCTPConfiguration()
        config.maxInitRetransmits = 3
        var pair = SCTPPair(configA: config, conditions: LinkConditions(loss: 1.0))
        pair.a.connect(now: pair.now)
        pair.run(for: .seconds(600)) { $0.a.state == .closed }
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
        pair.recordPackets = true
        pair.a.connect(now: pair.now)
        pair.flush()
        // Deliver INIT to B, take B's INIT ACK and hand it to A only after the cookie expired.
        let initPacket = pair.link.deliver(upTo: pair.now + .seconds(1))
        pair.b.handle(initPacket[0].packet, now: pair.now)
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
