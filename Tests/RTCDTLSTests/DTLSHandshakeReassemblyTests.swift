import NIOCore
import RTCCore
import RTCTestSupport
import Testing
@testable import RTCDTLS

/// The handshake inbox (RFC 6347 §4.2.2–4.2.3) and the flight buffer's retransmission rules
/// (§4.2.4), each alone.
@Suite struct DTLSHandshakeReassemblyTests {
    static func fragments(of body: [UInt8], type: UInt8 = 11, seq: UInt16, sizes: [Int]) -> [DTLSHandshakeFragment] {
        var offset = 0
        return sizes.map { n in
            defer { offset += n }
            return DTLSHandshakeFragment(messageType: type, length: body.count, messageSeq: seq, fragmentOffset: offset,
                                         body: Array(body[offset..<(offset + n)]))
        }
    }

    @Test func reassemblesOutOfOrderFragmentsAndDeliversMessagesInSequence() {
        var inbox = DTLSHandshakeInbox()
        let first = (0..<100).map { UInt8($0) }
        let second: [UInt8] = [9, 8, 7]
        // Message 1 arrives whole before message 0's fragments, which arrive in reverse.
        do { let r = inbox.add(DTLSHandshakeFragment(messageType: 12, length: 3, messageSeq: 1, fragmentOffset: 0, body: second), epoch: 0); #expect(r == .accepted) }
        do { let r = inbox.nextMessage(); #expect(r == nil) }
        for f in Self.fragments(of: first, seq: 0, sizes: [40, 30, 30]).reversed() {
            do { let r = inbox.add(f, epoch: 0); #expect(r == .accepted) }
        }
        let m0 = inbox.nextMessage()
        #expect(m0?.seq == 0 && m0?.type == 11 && m0?.body == first)
        let m1 = inbox.nextMessage()
        #expect(m1?.seq == 1 && m1?.body == second)
        do { let r = inbox.nextMessage(); #expect(r == nil) }
        #expect(inbox.nextReceiveSeq == 2)
    }

    @Test func overlappingFragmentsAreMergedAndAnIncompleteMessageWaits() {
        var inbox = DTLSHandshakeInbox()
        let body = (0..<50).map { UInt8($0 ^ 0x5A) }
        do { let r = inbox.add(DTLSHandshakeFragment(messageType: 2, length: 50, messageSeq: 0, fragmentOffset: 0, body: Array(body[0..<30])), epoch: 0); #expect(r == .accepted) }
        do { let r = inbox.nextMessage(); #expect(r == nil) }
        do { let r = inbox.add(DTLSHandshakeFragment(messageType: 2, length: 50, messageSeq: 0, fragmentOffset: 20, body: Array(body[20..<50])), epoch: 0); #expect(r == .accepted) }
        do { let r = inbox.nextMessage(); #expect(r?.body == body) }
    }

    @Test func classifiesOldFarAndInconsistentFragments() {
        var inbox = DTLSHandshakeInbox()
        inbox.expect(5)
        let whole = DTLSHandshakeFragment(messageType: 1, length: 1, messageSeq: 4, fragmentOffset: 0, body: [0])
        do { let r = inbox.add(whole, epoch: 0); #expect(r == .old) }
        var far = whole
        far.messageSeq = 5 + 16
        do { let r = inbox.add(far, epoch: 0); #expect(r == .unexpected) }
        let part = DTLSHandshakeFragment(messageType: 1, length: 4, messageSeq: 5, fragmentOffset: 0, body: [1, 2])
        do { let r = inbox.add(part, epoch: 0); #expect(r == .accepted) }
        var otherType = part
        otherType.messageType = 2
        do { let r = inbox.add(otherType, epoch: 0); #expect(r == .malformed) }
        do { let r = inbox.add(part, epoch: 1); #expect(r == .malformed) }   // same message, another epoch
        inbox.restart(at: 0)
        #expect(inbox.nextReceiveSeq == 0)
        do { let r = inbox.add(DTLSHandshakeFragment(messageType: 1, length: 4, messageSeq: 5, fragmentOffset: 2, body: [3, 4]), epoch: 0); #expect(r == .accepted) }
        do { let r = inbox.nextMessage(); #expect(r == nil) }   // message 0 is expected first
    }

    @Test func thePeerRepeatingItsPreviousFlightTriggersOneRetransmissionPerDatagram() {
        let config = DTLSConfiguration(certificate: TestIdentities.client, verification: .acceptAny)
        var flights = DTLSFlightRetransmission(configuration: config)
        do { let r = flights.peerRepeated(seq: 0); #expect(!r) }   // nothing sent yet
        flights.start([.changeCipherSpec], peerNextSeq: 3, expectsReply: false, now: .virtualStart)
        #expect(flights.nextDeadline == nil)
        flights.datagramArrived()
        do { let r = flights.peerRepeated(seq: 3); #expect(!r) }   // the peer's newer flight, not the one we answered
        do { let r = flights.peerRepeated(seq: 2); #expect(r) }
        do { let r = flights.peerRepeated(seq: 1); #expect(!r) }   // once per datagram
        flights.datagramArrived()
        do { let r = flights.peerRepeated(seq: 0); #expect(r) }
    }

    @Test func theHandshakeDeadlineBoundsTheRetransmissionTimer() {
        var config = DTLSConfiguration(certificate: TestIdentities.client, verification: .acceptAny)
        config.initialRetransmitTimeout = .seconds(2)
        config.handshakeTimeout = .seconds(5)
        var flights = DTLSFlightRetransmission(configuration: config)
        let t0 = NIODeadline.virtualStart
        flights.handshakeStarted(now: t0)
        flights.start([.changeCipherSpec], peerNextSeq: 0, expectsReply: true, now: t0)
        #expect(flights.nextDeadline == t0 + .seconds(2))
        do { let r = flights.timeout(now: t0 + .seconds(1)); #expect(r == .none) }
        do { let r = flights.timeout(now: t0 + .seconds(2)); #expect(r == .retransmit) }
        #expect(flights.nextDeadline == t0 + .seconds(5))   // 2 + 4 = 6 is past the handshake deadline
        do { let r = flights.timeout(now: t0 + .seconds(5)); #expect(r == .handshakeExpired) }
        flights.stop()
        #expect(flights.nextDeadline == t0 + .seconds(5))   // the handshake deadline stays
    }

    @Test func theSameSeedSendsTheSameClientHello() throws {
        let config = DTLSConfiguration(certificate: TestIdentities.client, verification: .acceptAny)
        func firstFlight(seed: UInt64) -> ByteBuffer? {
            var client = DTLSConnection(role: .client, configuration: config, rng: SeededRandom(seed: seed))
            client.startHandshake(now: .virtualStart)
            return client.pollTransmit()
        }
        let a = try #require(firstFlight(seed: 7))
        #expect(firstFlight(seed: 7) == a)
        #expect(firstFlight(seed: 8) != a)
    }
}
