import NIOCore
import RTCCore
@testable import RTCSCTP
@testable import RTCSession
import RTCTestSupport
import Testing

/// A link that carries nothing for a while, then heals (a Wi-Fi hand-over, a relay that stalls
/// under load): SCTP's retransmission timer doubles at every expiry meanwhile, so without help
/// the data queued during the outage would wait for the backed-off timer, up to RTO.Max (60 s),
/// after the path is back. ICE hears the peer again first; the session then has SCTP
/// retransmit at once.
@Suite struct SessionRecoversAfterOutageTests {
    static let messageCount = 16
    static let messageSize = 16 * 1024

    static func receivedBytes(_ events: [SessionEvent]) -> Int {
        SessionOpensDataChannelTests.messages(events).reduce(0) {
            if case .binary(let bytes) = $1 { $0 + bytes.count } else { $0 }
        }
    }

    @Test func dataQueuedDuringAnOutageGoesAsSoonAsICEHearsThePeerAgain() throws {
        var (pair, handle, _) = try SessionICERestartTests.connectedPair(seed: 7)
        let started = pair.eventsA.count
        pair.link.conditions.loss = 1.0
        for i in 0..<Self.messageCount {
            try pair.withA { a, now in
                try a.send(.binary([UInt8](repeating: UInt8(i), count: Self.messageSize)), on: handle, now: now)
            }
        }
        pair.run(for: .seconds(25))
        // ICE noticed (disconnected) but has not given up (consent lasts 30 s); SCTP's timer
        // backed off far beyond the moment the link heals.
        #expect(SessionICERestartTests.iceStates(Array(pair.eventsA[started...])) == [.disconnected])
        #expect(Self.receivedBytes(pair.eventsB) < Self.messageCount * Self.messageSize)
        let association = pair.a.channels.association
        #expect(association.rto >= .seconds(6), "RTO after the outage: \(association.rto)")
        let pendingRetransmission = try #require(association.t3Deadline)
        #expect(pendingRetransmission - pair.now >= .seconds(3),
                "T3-rtx would have fired \(pendingRetransmission - pair.now) after the link healed")
        #expect(association.pathRestorations == 0)

        pair.link.conditions.loss = 0
        let healed = pair.now
        pair.run(for: .seconds(10)) { Self.receivedBytes($0.eventsB) == Self.messageCount * Self.messageSize }
        #expect(Self.receivedBytes(pair.eventsB) == Self.messageCount * Self.messageSize)
        // ICE probes once a second while the peer is silent, so it hears it within about a
        // second; the data follows in slow start.
        #expect(pair.now - healed < .seconds(2), "all data arrived \(pair.now - healed) after the link healed")
        #expect(SessionICERestartTests.iceStates(Array(pair.eventsA[started...])) == [.disconnected, .connected])
        #expect(pair.a.channels.association.pathRestorations == 1)
        #expect(pair.a.channels.association.rto < .seconds(1))
        #expect(SessionDataChannelLifecycleTests.closed(pair.eventsA).isEmpty)
    }

    /// After an ICE restart that follows a consent failure, the data sent before the failure
    /// arrives once the new pair is selected (the session also held the datagrams SCTP
    /// retransmitted while ICE had no pair), and SCTP's timer is no longer backed off: a loss
    /// after the restart is repaired in a fraction of a second, not in 30.
    @Test func dataWaitingThroughAConsentFailureGoesOnceARestartConnects() throws {
        var (pair, handle, _) = try SessionICERestartTests.connectedPair(seed: 9)
        pair.link.conditions.loss = 1.0
        try pair.withA { a, now in
            try a.send(.binary([UInt8](repeating: 1, count: Self.messageSize)), on: handle, now: now)
        }
        pair.run(for: .seconds(40))
        #expect(SessionICERestartTests.iceStates(pair.eventsA).last == .failed)
        let pendingRetransmission = try #require(pair.a.channels.association.t3Deadline)
        #expect(pendingRetransmission - pair.now >= .seconds(5))

        pair.link.conditions.loss = 0
        let restarted = pair.now
        _ = try SessionICERestartTests.renegotiate(&pair, aOffers: false)
        pair.run(for: .seconds(20)) { Self.receivedBytes($0.eventsB) == Self.messageSize }
        #expect(Self.receivedBytes(pair.eventsB) == Self.messageSize)
        #expect(pair.now - restarted < .seconds(2), "the message arrived \(pair.now - restarted) after the restart")
        #expect(pair.a.channels.association.pathRestorations == 1)
        #expect(pair.a.channels.association.rto < .seconds(1), "RTO after the restart: \(pair.a.channels.association.rto)")
    }
}
