import NIOCore
import RTCCore
import RTCSession
import RTCTestSupport
import Testing

/// The answerer (DTLS client) starts its handshake on its first valid pair (RFC 8445 §12.1),
/// usually before its answer has reached the offerer. Virtual time, 10 ms one-way delay.
@Suite struct SessionEarlyClientHelloTests {
    static let delay = TimeAmount.milliseconds(10)

    /// A offers and B answers; the answer is held back for `signalingDelay` while B's checks
    /// and whatever follows them cross the link. Returns the pair and the answer to apply.
    static func negotiateWithSlowSignaling(_ pair: inout SessionPair, signalingDelay: TimeAmount) throws -> SessionDescription {
        _ = try pair.a.createDataChannel(label: "chat", options: DataChannelOptions(), now: pair.now)
        try pair.withA { a, now in
            try a.setLocalDescription(try a.createOffer(), now: now)
            a.addLocalAddresses([SessionPair.addressA], now: now)
        }
        let offer = pair.a.localDescription!
        try pair.withB { b, now in
            try b.setRemoteDescription(offer, now: now)
            try b.setLocalDescription(try b.createAnswer(), now: now)
            b.addLocalAddresses([SessionPair.addressB], now: now)
        }
        let answer = pair.b.localDescription!
        pair.run(for: signalingDelay)
        return answer
    }

    /// Virtual time from now until A's channel opens, in one-way delays.
    static func tripsUntilAOpens(_ pair: inout SessionPair, within limit: TimeAmount) throws -> Double {
        let start = pair.now
        var openedAt: NIODeadline?
        pair.run(for: limit) { p in
            if openedAt == nil, !SessionOpensDataChannelTests.opened(p.eventsA).isEmpty { openedAt = p.now }
            return openedAt != nil
        }
        return Double((try #require(openedAt) - start).nanoseconds) / Double(delay.nanoseconds)
    }

    static func isDTLS(_ carried: SessionPair.Carried) -> Bool {
        guard case .fromB(let t) = carried, let first = t.payload.getInteger(at: t.payload.readerIndex, as: UInt8.self) else { return false }
        return PacketKind(firstByte: first) == .dtls
    }

    /// B's ClientHello reaches A before the answer does: A keeps it and answers it as soon as
    /// the answer is applied and its own check succeeded. From the answer on, A's channel opens
    /// after A's check (2 trips), the server flight, client flight with SCTP's INIT behind it
    /// (False Start), server Finished with the INIT-ACK (3), and COOKIE-ECHO (1): 6 one-way
    /// delays, where waiting for the server's Finished before the INIT took 8 and waiting for
    /// the nomination before the ClientHello 10.
    @Test func aClientHelloBeforeTheAnswerIsAnsweredOnceTheAnswerIsApplied() throws {
        var pair = try SessionPair(conditions: LinkConditions(delay: Self.delay))
        let answer = try Self.negotiateWithSlowSignaling(&pair, signalingDelay: .milliseconds(100))
        // B had a valid pair and sent its ClientHello; A could not use it yet.
        #expect(SessionOpensDataChannelTests.opened(pair.eventsA).isEmpty)
        #expect(pair.a.statistics.datagramsReceived == 2, "B's check and ClientHello")
        #expect(pair.a.statistics.datagramsDropped == 0, "the ClientHello is kept")
        try pair.withA { a, now in try a.setRemoteDescription(answer, now: now) }
        let trips = try Self.tripsUntilAOpens(&pair, within: .seconds(10))
        #expect(trips <= 6.5, "opened \(trips) one-way delays after the answer")
        #expect(pair.b.earlySCTPStart.started)
        #expect(pair.b.earlySCTPStart.initResends == 0, "A took the INIT that came behind B's Finished")
        // The nomination completes too, on the pair the handshake went over.
        let nominated = pair.run(until: { p in
            p.a.statisticsSnapshot.transport.selectedCandidatePairChanges == 1 && p.b.statisticsSnapshot.transport.selectedCandidatePairChanges == 1
        }, for: .seconds(1))
        #expect(nominated)
    }

    /// Answering the kept ClientHello (a key share and a signature) is left out of
    /// `setRemoteDescription`: the reply cannot leave before A's own check succeeds anyway, so
    /// the edge first writes the check that call queued, then runs `runDeferredWork`, which
    /// makes the flight while the check is on the wire. Once: a second call has nothing to do.
    /// The channel still opens 6 one-way delays after the answer.
    @Test func theKeptClientHelloIsAnsweredAsDeferredWork() throws {
        var pair = try SessionPair(conditions: LinkConditions(delay: Self.delay))
        let answer = try Self.negotiateWithSlowSignaling(&pair, signalingDelay: .milliseconds(100))
        let (first, second) = try pair.withA { a, now in
            try a.setRemoteDescription(answer, now: now)
            return (a.runDeferredWork(now: now), a.runDeferredWork(now: now))
        }
        #expect(first, "the ClientHello was left for the deferred work")
        #expect(!second)
        let trips = try Self.tripsUntilAOpens(&pair, within: .seconds(10))
        #expect(trips <= 6.5, "opened \(trips) one-way delays after the answer")
    }

    /// A peer that drops DTLS before its own ICE is done (as some stacks do) loses the early
    /// ClientHello: B sends it again shortly after the pair is selected, not after the 1 s
    /// retransmission timeout.
    @Test func aClientHelloThePeerDroppedIsSentAgainSoonAfterSelection() throws {
        var pair = try SessionPair(conditions: LinkConditions(delay: Self.delay))
        final class Gate: @unchecked Sendable { var open = false }
        let gate = Gate()
        pair.link.dropIf = { carried, _ in !gate.open && Self.isDTLS(carried) }
        let answer = try Self.negotiateWithSlowSignaling(&pair, signalingDelay: .milliseconds(100))
        #expect(pair.link.dropped >= 1, "B sent no ClientHello before the answer")
        gate.open = true
        try pair.withA { a, now in try a.setRemoteDescription(answer, now: now) }
        // A's check and nomination (4 trips), the grace of 5 ms, then the handshake and SCTP
        // as usual (6 trips): far below the 1 s timer.
        let trips = try Self.tripsUntilAOpens(&pair, within: .seconds(10))
        #expect(trips <= 11, "opened \(trips) one-way delays after the answer")
    }
    /// B gives up while its early ClientHello is being answered: A applies the answer (and so
    /// answers the kept ClientHello) just as B closes, and B's close_notify reaches A's DTLS in
    /// the middle of the handshake. A fails at once with that reason, and the state change is
    /// reported before the channel's closed event (the API then closes the channel with the
    /// reason, not as an ordinary close), instead of a normal close followed by ICE failing.
    @Test func aPeerThatClosesDuringTheHandshakeFailsTheConnectionWithItsReason() throws {
        var pair = try SessionPair(conditions: LinkConditions(delay: Self.delay))
        let answer = try Self.negotiateWithSlowSignaling(&pair, signalingDelay: .milliseconds(100))
        try pair.withA { a, now in try a.setRemoteDescription(answer, now: now) }
        pair.withB { b, now in b.close(now: now) }
        let failed = pair.run(until: { p in
            p.eventsA.contains { if case .connectionStateChanged(.failed) = $0 { true } else { false } }
        }, for: .milliseconds(100))
        #expect(failed, "A did not fail within 100 ms of B's close")
        #expect(pair.a.dtlsFailureReason?.contains("close_notify") == true, "\(pair.a.dtlsFailureReason ?? "no reason")")
        let failedAt = pair.eventsA.firstIndex { if case .connectionStateChanged(.failed) = $0 { true } else { false } }
        let closedAt = pair.eventsA.firstIndex { if case .dataChannel(.closed) = $0 { true } else { false } }
        #expect(!pair.eventsA.contains { if case .connectionStateChanged(.closed) = $0 { true } else { false } })
        if let closedAt, let failedAt { #expect(failedAt < closedAt, "the channel closed before the connection failed") }
    }
}

/// SCTP's INIT sent behind the DTLS client's Finished (False Start, RFC 7918), when the peer
/// drops it: the client sends it again shortly after its handshake completes, not after
/// T1-init (1 s). Virtual time, 10 ms one way.
@Suite struct SessionEarlyINITTests {
    /// `payload`'s DTLS records without the application-data ones (content type 23), or `nil`
    /// when it holds none.
    static func withoutApplicationData(_ payload: ByteBuffer) -> ByteBuffer? {
        var kept = ByteBuffer()
        var offset = payload.readerIndex
        var removed = false
        while let type = payload.getInteger(at: offset, as: UInt8.self),
              let length = payload.getInteger(at: offset + 11, as: UInt16.self),
              let record = payload.getSlice(at: offset, length: 13 + Int(length)) {
            if type == 23 { removed = true } else { kept.writeImmutableBuffer(record) }
            offset += 13 + Int(length)
        }
        return removed ? kept : nil
    }

    @Test func anEarlyINITThePeerDroppedGoesAgainSoonAfterTheHandshake() throws {
        var pair = try SessionPair(conditions: LinkConditions(delay: SessionEarlyClientHelloTests.delay))
        final class Dropped: @unchecked Sendable { var count = 0 }
        let dropped = Dropped()
        // B's first DTLS application-data record is its early INIT (in the datagram of its
        // Finished): lose that record, as a server that reads no data before its handshake is
        // over would, and keep the rest of the datagram.
        pair.link.rewrite = { carried, _ in
            guard dropped.count == 0, case .fromB(var t) = carried,
                  let kept = Self.withoutApplicationData(t.payload) else { return carried }
            dropped.count += 1
            t.payload = kept
            return .fromB(t)
        }
        let answer = try SessionEarlyClientHelloTests.negotiateWithSlowSignaling(&pair, signalingDelay: .milliseconds(100))
        try pair.withA { a, now in try a.setRemoteDescription(answer, now: now) }
        let trips = try SessionEarlyClientHelloTests.tripsUntilAOpens(&pair, within: .seconds(10))
        #expect(dropped.count == 1)
        // Handshake done at B after 5 trips, 2 ms (0.2 trips) of grace, then INIT, INIT-ACK,
        // COOKIE-ECHO: 8.2, where T1-init would have made it over 100.
        #expect(trips <= 8.5, "opened \(trips) one-way delays after the answer")
        #expect(pair.b.earlySCTPStart.started)
        #expect(pair.b.earlySCTPStart.initResends == 1)
    }
}
