import Foundation
import NIOCore
import RTCCore
import RTCDTLS
import RTCRTP
import RTCSession
import RTCSFU
import RTCTestSupport
import Testing

/// The active speaker of a room, end to end in memory on virtual time: two members' real
/// `RTCSession`s negotiate through an `SFUCore` room (ICE, DTLS, SRTP), each publishes Opus with
/// the audio level extension (RFC 6464, `sendsAudioLevel`); the server reads the levels of the
/// packets it forwards and reports the louder member, then the other when they swap, then
/// nobody when the speaker leaves.
@Suite struct SFURoomElectsTheActiveSpeakerTests {
    struct Member {
        var session: RTCSession
        var address: TransportAddress
        var key: SFUSessionKey
        var audio: Int
    }

    @Test func theLouderMemberIsTheSpeakerUntilTheOtherIs() throws {
        let certificate = try DTLSCertificate.generateSelfSigned(now: Date())
        var core = SFUCore(rng: SeededRandom(seed: 3))
        let server = TransportAddress("10.0.0.1:4000")!
        var now = NIODeadline.virtualStart
        var members: [Member] = []
        var speakerEvents: [(NIODeadline, SFUSessionKey?)] = []
        var connected: Set<Int> = []
        let room = SFURoomID("talk")

        func shuttle() throws {
            var moved = true
            while moved {
                moved = false
                while let event = core.pollEvent() {
                    moved = true
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
                    case .activeSpeakerChanged(room, let speaker):
                        speakerEvents.append((now, speaker))
                    default: break
                    }
                }
                while let transmit = core.pollTransmit() {
                    guard let i = members.firstIndex(where: { $0.address == transmit.destination }) else { continue }
                    members[i].session.handle(ReceivedDatagram(source: transmit.source ?? server, destination: transmit.destination,
                                                               payload: transmit.payload), now: now)
                    moved = true
                }
                for i in members.indices {
                    while let event = members[i].session.pollEvent() {
                        if case .connectionStateChanged(.connected) = event { connected.insert(i) }
                    }
                    while let transmit = members[i].session.pollTransmit() {
                        core.handle(ReceivedDatagram(source: transmit.source ?? members[i].address, destination: transmit.destination,
                                                     payload: transmit.payload), now: now)
                        moved = true
                    }
                }
            }
        }
        func advance(_ amount: TimeAmount) throws {
            now = now + amount
            if let d = core.nextDeadline, d <= now { core.handleTimeout(now: now) }
            for i in members.indices where (members[i].session.nextDeadline.map { $0 <= now } ?? false) {
                members[i].session.handleTimeout(now: now)
            }
            try shuttle()
        }

        for i in 0..<2 {
            let address = TransportAddress(ip: IPAddress("10.0.1.\(i + 1)")!, port: 5000)
            var member = RTCSession(certificate: certificate, rng: SeededRandom(seed: 10 + UInt64(i)))
            let audio = try member.addTransceiver(kind: .audio, direction: .sendonly,
                                                  sender: SessionMediaSender(trackID: "mic", streamIDs: ["m\(i)"], codec: .opus,
                                                                             sendsAudioLevel: true), now: now)
            try member.setLocalDescription(try member.createOffer(), now: now)
            member.addLocalAddresses([address], now: now)
            var serverSession = RTCSession(certificate: certificate, rng: SeededRandom(seed: 20 + UInt64(i)))
            serverSession.addLocalAddresses([server], now: now)
            let key = core.addSession(serverSession, now: now)
            try core.join(key, room: room, now: now)
            members.append(Member(session: member, address: address, key: key, audio: audio))
            try core.handleRemoteDescription(try #require(member.localDescription), from: key, now: now)
            try shuttle()
        }
        for _ in 0..<600 { try advance(.milliseconds(5)) }
        #expect(connected == [0, 1])

        var sequence: [UInt16] = [0, 0]
        func talk(for duration: TimeAmount, levels: [UInt8]) throws {
            let end = now + duration
            while now < end {
                for i in members.indices {
                    let header = RTPHeader(payloadType: 111, sequenceNumber: sequence[i],
                                           timestamp: UInt32(sequence[i]) &* 960, ssrc: 0)
                    sequence[i] &+= 1
                    try members[i].session.sendRTP(RTPPacket(header: header, payload: ByteBuffer(bytes: [0xF8, 0xFF, 0xFE])),
                                                   on: members[i].audio, audioLevel: (levels[i] < 100, levels[i]), now: now)
                }
                try advance(.milliseconds(20))
            }
        }
        // 0 speaks (−25 dBov), 1 is silent: 0 within two windows.
        let start = now
        try talk(for: .seconds(1), levels: [25, 127])
        #expect(speakerEvents.map(\.1) == [members[0].key])
        #expect(speakerEvents.first.map { $0.0 - start <= .milliseconds(700) } == true)
        // They swap: 1.
        try talk(for: .seconds(1), levels: [127, 25])
        #expect(speakerEvents.map(\.1) == [members[0].key, members[1].key])
        #expect(core.activeSpeaker(of: room) == members[1].key)
        #expect(core.router.statistics.packetsForwarded > 150, "each member's audio reached the other")
        // The speaker leaves: nobody.
        core.removeSession(members[1].key, now: now)
        try shuttle()
        #expect(speakerEvents.map(\.1) == [members[0].key, members[1].key, nil])
    }
}
