import Foundation
import NIOCore
import RTCCore
import RTCDTLS
import RTCRTP
import RTCSession
import RTCSFU
import RTCTestSupport
import Testing

/// An `SFUCore` room whose members are real `RTCSession`s (ICE, DTLS, SRTP), each joined through
/// the room's own offers and answers, run in memory on virtual time: datagrams and descriptions
/// move between the core and the members until nothing moves. What the room and the members
/// report is recorded for the test to read.
struct SFUInMemoryRoom {
    /// One member: its session, its address, its server session's key and its sending transceiver.
    struct Member {
        var session: RTCSession
        var address: TransportAddress
        var key: SFUSessionKey
        var sender: Int
    }

    var core: SFUCore
    let room: SFURoomID
    let certificate: DTLSCertificate
    let server = TransportAddress("10.0.0.1:4000")!
    var now = NIODeadline.virtualStart
    var members: [Member] = []
    /// Members (by index) whose session reached `connected`.
    var connected: Set<Int> = []
    /// The room's events other than offers and answers (which the room answers itself), with when.
    var roomEvents: [(at: NIODeadline, event: SFURoomEvent)] = []
    /// The members' session events, by member index.
    var memberEvents: [(member: Int, event: SessionEvent)] = []
    /// The server sessions' events the core reports (those forwarding and the rooms do not
    /// consume), with when.
    var serverEvents: [(at: NIODeadline, key: SFUSessionKey, event: SessionEvent)] = []
    /// Members (by index) that have vanished: they neither read what the server sends them (it
    /// is dropped where they would read it) nor send anything, nor run their timers.
    var silent: Set<Int> = []
    /// When the server last sent a datagram to each member, by index, and how many it sent.
    var lastDatagramTo: [Int: NIODeadline] = [:]
    var datagramsTo: [Int: Int] = [:]

    /// A room with no member; `seed` seeds the core's sequence numbers and timestamps.
    init(_ room: SFURoomID, seed: UInt64) throws {
        certificate = try DTLSCertificate.generateSelfSigned(now: Date())
        core = SFUCore(rng: SeededRandom(seed: seed))
        self.room = room
    }

    /// Adds a member (address 10.0.1.N) sending one track, `memberSeed` and `serverSeed` seeding
    /// its session and its server session, and joins it: its offer, the server's answer.
    mutating func join(sending sender: SessionMediaSender, memberSeed: UInt64, serverSeed: UInt64) throws {
        let address = TransportAddress(ip: IPAddress("10.0.1.\(members.count + 1)")!, port: 5000)
        var member = RTCSession(certificate: certificate, rng: SeededRandom(seed: memberSeed))
        let handle = try member.addTransceiver(kind: sender.codec.kind, direction: .sendonly, sender: sender, now: now)
        try member.setLocalDescription(try member.createOffer(), now: now)
        member.addLocalAddresses([address], now: now)
        var serverSession = RTCSession(certificate: certificate, rng: SeededRandom(seed: serverSeed))
        serverSession.addLocalAddresses([server], now: now)
        let key = core.addSession(serverSession, now: now)
        try core.join(key, room: room, now: now)
        members.append(Member(session: member, address: address, key: key, sender: handle))
        try core.handleRemoteDescription(try #require(member.localDescription), from: key, now: now)
        try shuttle()
    }

    /// Moves room events, datagrams and descriptions until nothing moves.
    mutating func shuttle() throws {
        var moved = true
        while moved {
            moved = false
            while let event = core.pollEvent() {
                moved = true
                if case .session(let tagged) = event { serverEvents.append((now, tagged.session, tagged.event)) }
                guard case .room(let roomEvent) = event else { continue }
                switch roomEvent {
                case .answer(let key, let answer):
                    if let i = members.firstIndex(where: { $0.key == key }) { try members[i].session.setRemoteDescription(answer, now: now) }
                case .offer(let key, let offer):
                    if let i = members.firstIndex(where: { $0.key == key }) {
                        try members[i].session.setRemoteDescription(offer, now: now)
                        try members[i].session.setLocalDescription(try members[i].session.createAnswer(), now: now)
                        try core.handleRemoteDescription(try #require(members[i].session.localDescription), from: key, now: now)
                    }
                default:
                    roomEvents.append((now, roomEvent))
                }
            }
            while let transmit = core.pollTransmit() {
                guard let i = members.firstIndex(where: { $0.address == transmit.destination }) else { continue }
                lastDatagramTo[i] = now
                datagramsTo[i, default: 0] += 1
                if silent.contains(i) { continue }
                members[i].session.handle(ReceivedDatagram(source: transmit.source ?? server, destination: transmit.destination,
                                                           payload: transmit.payload), now: now)
                moved = true
            }
            for i in members.indices where !silent.contains(i) {
                while let event = members[i].session.pollEvent() {
                    if case .connectionStateChanged(.connected) = event { connected.insert(i) }
                    memberEvents.append((i, event))
                }
                while let transmit = members[i].session.pollTransmit() {
                    core.handle(ReceivedDatagram(source: transmit.source ?? members[i].address, destination: transmit.destination,
                                                 payload: transmit.payload), now: now)
                    moved = true
                }
            }
        }
    }

    /// Moves virtual time on by `amount`, runs the timers due and shuttles.
    mutating func advance(_ amount: TimeAmount) throws {
        now = now + amount
        if let d = core.nextDeadline, d <= now { core.handleTimeout(now: now) }
        for i in members.indices where !silent.contains(i) && (members[i].session.nextDeadline.map { $0 <= now } ?? false) {
            members[i].session.handleTimeout(now: now)
        }
        try shuttle()
    }
}
