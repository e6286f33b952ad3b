import NIOCore
import RTCRTP
import RTCSession
import RTCSFU
import Testing

/// Audio levels (RFC 6464) through an `SFUCore` room, in memory on virtual time: three members'
/// real `RTCSession`s, two of which send Opus with the audio level extension and one without.
/// Every member receives the others' packets (as packets, to read their header extensions): the
/// packets of a member that sends levels carry that member's levels, under the id the receiving
/// member negotiated with the server; the packets of the member that sends none carry no level
/// (no silence made up for it).
@Suite struct SFURoomPassesAudioLevelsOnTests {
    @Test func aMembersLevelsReachTheOthersAndNoneAreMadeUp() throws {
        var r = try SFUInMemoryRoom(SFURoomID("levels"), seed: 5)
        let sendsLevels = [true, true, false]
        for i in 0..<3 {
            try r.join(sending: SessionMediaSender(trackID: "mic", streamIDs: ["m\(i)"], codec: .opus, sendsAudioLevel: sendsLevels[i]),
                       memberSeed: 30 + UInt64(i), serverSeed: 40 + UInt64(i))
        }
        for _ in 0..<600 { try r.advance(.milliseconds(5)) }
        #expect(r.connected == [0, 1, 2])
        var receiving = 0
        for (member, event) in r.memberEvents {
            guard case .media(.trackAdded(let track)) = event else { continue }
            try r.members[member].session.setDelivery(.packets, on: track.handle)
            receiving += 1
        }
        #expect(receiving == 6, "each member receives the two others' audio")

        // Each member's payload names it; 0 and 1 each send a level of their own, with and without voice.
        let levels = [RTPAudioLevel(level: 17, voiceActivity: true), RTPAudioLevel(level: 64, voiceActivity: false), nil]
        let start = r.memberEvents.count
        var sequence: UInt16 = 100
        for _ in 0..<50 {
            for i in r.members.indices {
                let header = RTPHeader(payloadType: 111, sequenceNumber: sequence, timestamp: UInt32(sequence) &* 960, ssrc: 0)
                try r.members[i].session.sendRTP(RTPPacket(header: header, payload: ByteBuffer(bytes: [0xF8, UInt8(i), 0xFE])),
                                                 on: r.members[i].sender, audioLevel: levels[i], now: r.now)
            }
            sequence &+= 1
            try r.advance(.milliseconds(20))
        }

        // What each member received from each other member: the levels its packets carried
        // (nil for a packet without one) and whether its transceiver negotiated the extension
        // (every audio transceiver of the server does).
        var seen: [[Int: (levels: [RTPAudioLevel?], negotiated: Bool)]] = Array(repeating: [:], count: 3)
        for (member, event) in r.memberEvents[start...] {
            guard case .media(.packet(let handle, let packet)) = event,
                  let from = packet.payload.getInteger(at: packet.payload.readerIndex + 1, as: UInt8.self).map(Int.init) else { continue }
            let id = r.members[member].session.headerExtensionID(RTPHeaderExtensionURI.audioLevel, on: handle)
            let level = id.flatMap { packet.header.headerExtension?.element(id: $0)?.audioLevel }
            seen[member][from, default: ([], id != nil)].levels.append(level)
        }
        for member in 0..<3 {
            for from in 0..<3 where from != member {
                let got = try #require(seen[member][from], "member \(member) received nothing from \(from)")
                #expect(got.levels.count >= 45, "member \(member) from \(from): \(got.levels.count) packets")
                #expect(got.negotiated, "member \(member) from \(from)")
                #expect(got.levels.allSatisfy { $0 == levels[from] }, "member \(member) from \(from): \(Set(got.levels.map { $0.map(\.description) ?? "none" }))")
            }
        }
    }
}
