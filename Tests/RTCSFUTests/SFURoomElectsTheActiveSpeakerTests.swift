import NIOCore
import RTCRTP
import RTCSession
import RTCSFU
import Testing

/// The active speaker of a room, end to end in memory on virtual time: two members' real
/// `RTCSession`s negotiate through an `SFUCore` room (ICE, DTLS, SRTP), each publishes Opus with
/// the audio level extension (RFC 6464, `sendsAudioLevel`); the server reads the levels of the
/// packets it forwards and reports the louder member, then the other when they swap, then
/// nobody when the speaker leaves.
@Suite struct SFURoomElectsTheActiveSpeakerTests {
    @Test func theLouderMemberIsTheSpeakerUntilTheOtherIs() throws {
        var r = try SFUInMemoryRoom(SFURoomID("talk"), seed: 3)
        /// The room's speaker changes so far, with when.
        func speakerEvents() -> [(NIODeadline, SFUSessionKey?)] {
            r.roomEvents.compactMap { entry in
                guard case .activeSpeakerChanged(r.room, let speaker) = entry.event else { return nil }
                return (entry.at, speaker)
            }
        }
        for i in 0..<2 {
            try r.join(sending: SessionMediaSender(trackID: "mic", streamIDs: ["m\(i)"], codec: .opus, sendsAudioLevel: true),
                       memberSeed: 10 + UInt64(i), serverSeed: 20 + UInt64(i))
        }
        for _ in 0..<600 { try r.advance(.milliseconds(5)) }
        #expect(r.connected == [0, 1])

        var sequence: [UInt16] = [0, 0]
        func talk(for duration: TimeAmount, levels: [UInt8]) throws {
            let end = r.now + duration
            while r.now < end {
                for i in r.members.indices {
                    let header = RTPHeader(payloadType: 111, sequenceNumber: sequence[i],
                                           timestamp: UInt32(sequence[i]) &* 960, ssrc: 0)
                    sequence[i] &+= 1
                    try r.members[i].session.sendRTP(RTPPacket(header: header, payload: ByteBuffer(bytes: [0xF8, 0xFF, 0xFE])),
                                                     on: r.members[i].sender, audioLevel: RTPAudioLevel(level: levels[i], voiceActivity: levels[i] < 100), now: r.now)
                }
                try r.advance(.milliseconds(20))
            }
        }
        // 0 speaks (−25 dBov), 1 is silent: 0 within two windows.
        let start = r.now
        try talk(for: .seconds(1), levels: [25, 127])
        #expect(speakerEvents().map(\.1) == [r.members[0].key])
        #expect(speakerEvents().first.map { $0.0 - start <= .milliseconds(700) } == true)
        // They swap: 1.
        try talk(for: .seconds(1), levels: [127, 25])
        #expect(speakerEvents().map(\.1) == [r.members[0].key, r.members[1].key])
        #expect(r.core.activeSpeaker(of: r.room) == r.members[1].key)
        #expect(r.core.router.statistics.packetsForwarded > 150, "each member's audio reached the other")
        // The speaker leaves: nobody.
        r.core.removeSession(r.members[1].key, now: r.now)
        try r.shuttle()
        #expect(speakerEvents().map(\.1) == [r.members[0].key, r.members[1].key, nil])
    }
}
