import NIOCore
import RTCCore
import RTCSFU
import RTCSTUN
import RTCTestSupport
import Testing

/// A session that records what reaches it and sends what it is told: enough to see where the
/// multiplexer routes.
struct RecordingSession: SFUMultiplexedSession {
    var localUsernameFragment: String
    var received: [ReceivedDatagram] = []
    var outbox: [Transmit] = []
    var deadline: NIODeadline?
    var events: [String] = []

    mutating func handle(_ datagram: ReceivedDatagram, now: NIODeadline) {
        received.append(datagram)
        events.append("got \(datagram.payload.readableBytes) from \(datagram.source)")
    }
    mutating func pollTransmit() -> Transmit? { outbox.isEmpty ? nil : outbox.removeFirst() }
    mutating func pollEvent() -> String? { events.isEmpty ? nil : events.removeFirst() }
    var nextDeadline: NIODeadline? { deadline }
    mutating func handleTimeout(now: NIODeadline) {
        deadline = nil
        events.append("timeout")
    }
}

/// Many sessions on one socket: a STUN request finds its session by the ufrag first in its
/// USERNAME and binds its source address; later datagrams go by address; nothing unknown reaches
/// any session, and every drop is counted by reason.
@Suite struct SFUSessionMultiplexerRoutesByUfragThenAddressTests {
    static let socket = TransportAddress(ip: IPAddress("10.99.0.1")!, port: 4000)
    static func peer(_ n: UInt16) -> TransportAddress { TransportAddress(ip: IPAddress("10.99.0.2")!, port: 5000 + n) }
    static let t0 = NIODeadline.virtualStart

    static func bindingRequest(_ username: String?) -> ByteBuffer {
        var rng = SeededRandom(seed: 9)
        var message = STUNMessage(type: .bindingRequest, transactionID: .random(using: &rng))
        if let username { message.append(.username(username)) }
        return message.encoded(integrity: .shortTerm(password: "irrelevant-to-the-router"), fingerprint: true)
    }

    static func datagram(_ payload: ByteBuffer, from source: TransportAddress) -> ReceivedDatagram {
        ReceivedDatagram(source: source, destination: socket, payload: payload)
    }

    static let dtls = ByteBuffer(bytes: [22, 0xFE, 0xFD] + Array(repeating: 0, count: 20))

    @Test func stunFindsTheSessionByUfragAndLaterDatagramsFollowTheAddress() {
        var mux = SFUSessionMultiplexer<RecordingSession>()
        let a = mux.addSession(RecordingSession(localUsernameFragment: "aaaa"))
        let b = mux.addSession(RecordingSession(localUsernameFragment: "bbbb"))
        mux.handle(Self.datagram(Self.dtls, from: Self.peer(1)), now: Self.t0)  // before any STUN: unknown
        mux.handle(Self.datagram(Self.bindingRequest("aaaa:peer1"), from: Self.peer(1)), now: Self.t0)
        mux.handle(Self.datagram(Self.bindingRequest("bbbb:peer2"), from: Self.peer(2)), now: Self.t0)
        mux.handle(Self.datagram(Self.dtls, from: Self.peer(1)), now: Self.t0)
        mux.handle(Self.datagram(Self.dtls, from: Self.peer(2)), now: Self.t0)
        mux.handle(Self.datagram(Self.dtls, from: Self.peer(3)), now: Self.t0)
        #expect(mux.session(a)?.received.map(\.source) == [Self.peer(1), Self.peer(1)])
        #expect(mux.session(b)?.received.map(\.source) == [Self.peer(2), Self.peer(2)])
        #expect(mux.dropped(.unknownAddress) == 2)
        #expect(mux.session(for: Self.peer(1)) == a && mux.session(for: Self.peer(2)) == b)
        var tagged: [SFUSessionKey] = []
        while let event = mux.pollEvent() { tagged.append(event.session) }
        #expect(tagged == [a, b, a, b])
    }

    @Test func stunThatNamesNoSessionIsDroppedByReason() {
        var mux = SFUSessionMultiplexer<RecordingSession>()
        let a = mux.addSession(RecordingSession(localUsernameFragment: "aaaa"))
        mux.handle(Self.datagram(Self.bindingRequest("zzzz:peer"), from: Self.peer(1)), now: Self.t0)
        mux.handle(Self.datagram(Self.bindingRequest(nil), from: Self.peer(1)), now: Self.t0)
        mux.handle(Self.datagram(ByteBuffer(bytes: [0, 1, 0, 8, 1, 2]), from: Self.peer(1)), now: Self.t0)  // truncated STUN
        mux.handle(Self.datagram(Self.bindingRequest("aaaa"), from: Self.peer(2)), now: Self.t0)  // no colon: the whole is the ufrag
        mux.handle(Self.datagram(ByteBuffer(), from: Self.peer(3)), now: Self.t0)
        #expect(mux.dropped(.unknownUsernameFragment) == 1)
        #expect(mux.dropped(.noUsername) == 1)
        #expect(mux.dropped(.malformedSTUN) == 1)
        #expect(mux.dropped(.unknownAddress) == 1)
        #expect(mux.session(a)?.received.map(\.source) == [Self.peer(2)])
    }

    @Test func aSessionsOwnChecksBindTheirDestinationSoResponsesComeBack() {
        var mux = SFUSessionMultiplexer<RecordingSession>()
        let a = mux.addSession(RecordingSession(localUsernameFragment: "aaaa"))
        mux.withSession(a) { $0.outbox.append(Transmit(source: Self.socket, destination: Self.peer(7), payload: Self.bindingRequest("peer:aaaa"))) }
        #expect(mux.pollTransmit()?.destination == Self.peer(7))
        var rng = SeededRandom(seed: 1)
        let response = STUNMessage(type: .bindingSuccess, transactionID: .random(using: &rng)).encoded()
        mux.handle(Self.datagram(response, from: Self.peer(7)), now: Self.t0)
        #expect(mux.session(a)?.received.count == 1)
        #expect(mux.dropped(.noUsername) == 0)
    }

    @Test func anICERestartsNewUfragAndARemovedSessionsAddresses() {
        var mux = SFUSessionMultiplexer<RecordingSession>()
        let a = mux.addSession(RecordingSession(localUsernameFragment: "aaaa"))
        mux.handle(Self.datagram(Self.bindingRequest("aaaa:p"), from: Self.peer(1)), now: Self.t0)
        mux.withSession(a) { $0.localUsernameFragment = "a2a2" }  // an ICE restart
        mux.handle(Self.datagram(Self.bindingRequest("a2a2:p"), from: Self.peer(2)), now: Self.t0)
        #expect(mux.session(a)?.received.count == 2)
        let removed = mux.removeSession(a)
        #expect(removed?.received.count == 2)
        mux.handle(Self.datagram(Self.dtls, from: Self.peer(1)), now: Self.t0)
        mux.handle(Self.datagram(Self.bindingRequest("a2a2:p"), from: Self.peer(2)), now: Self.t0)
        #expect(mux.dropped(.unknownAddress) == 1 && mux.dropped(.unknownUsernameFragment) == 1)
        #expect(mux.session(for: Self.peer(1)) == nil)
    }

    @Test func addressesPerSessionAreBoundedAndTimersRunPerSession() {
        var mux = SFUSessionMultiplexer<RecordingSession>()
        let a = mux.addSession(RecordingSession(localUsernameFragment: "aaaa"))
        let b = mux.addSession(RecordingSession(localUsernameFragment: "bbbb"))
        let cap = SFUSessionMultiplexer<RecordingSession>.maximumAddressesPerSession
        for n in 0...UInt16(cap) { mux.handle(Self.datagram(Self.bindingRequest("aaaa:p"), from: Self.peer(n)), now: Self.t0) }
        #expect(mux.session(for: Self.peer(0)) == nil, "the oldest address is forgotten")
        #expect(mux.session(for: Self.peer(UInt16(cap))) == a)
        mux.withSession(a) { $0.deadline = Self.t0 + .seconds(2) }
        mux.withSession(b) { $0.deadline = Self.t0 + .seconds(1) }
        #expect(mux.nextDeadline == Self.t0 + .seconds(1))
        while mux.pollEvent() != nil {}
        mux.handleTimeout(now: Self.t0 + .seconds(1))
        #expect(mux.pollEvent().map { ($0.session, $0.event) }.map { $0.0 == b && $0.1 == "timeout" } == true)
        #expect(mux.nextDeadline == Self.t0 + .seconds(2))
    }
}
