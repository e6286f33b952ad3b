import NIOCore
import RTCRTP
import RTCSession
import RTCSFU
import Testing

/// A member that stops reading (issue 15 item 7), in an `SFUCore` room in memory on virtual
/// time: three members' real `RTCSession`s each send Opus; then member 2 vanishes — it reads
/// nothing the server sends it and answers nothing. The two others keep receiving each other
/// without a gap; the server finds member 2 gone by ICE consent freshness (RFC 7675: no answer
/// to its consent checks for 30 s), takes it out of the room (its track unpublished) and, once
/// the owner removes the session, sends nothing more to its address: what the server spends on
/// a member that never reads ends, it does not pile up.
@Suite struct SFURoomDropsAMemberThatStopsReadingTests {
    @Test func aMemberThatStopsReadingIsDroppedAndTheOthersKeepReceiving() throws {
        var r = try SFUInMemoryRoom(SFURoomID("quiet"), seed: 9)
        for i in 0..<3 {
            try r.join(sending: SessionMediaSender(trackID: "mic", streamIDs: ["m\(i)"], codec: .opus),
                       memberSeed: 60 + UInt64(i), serverSeed: 70 + UInt64(i))
        }
        for _ in 0..<600 { try r.advance(.milliseconds(5)) }
        #expect(r.connected == [0, 1, 2])
        for (member, event) in r.memberEvents {
            guard case .media(.trackAdded(let track)) = event else { continue }
            try r.members[member].session.setDelivery(.packets, on: track.handle)
        }
        let vanished = r.members[2].key

        // 50 packets/s from every member that is still there; member 2 vanishes after 2 s.
        let start = r.memberEvents.count
        var silentSince: NIODeadline?
        var removedAt: NIODeadline?
        var sequence: UInt16 = 1
        for step in 0..<(50 * 50) {
            if step == 100 {
                r.silent.insert(2)
                silentSince = r.now
            }
            for i in r.members.indices where !r.silent.contains(i) {
                let header = RTPHeader(payloadType: 111, sequenceNumber: sequence, timestamp: UInt32(sequence) &* 960, ssrc: 0)
                try r.members[i].session.sendRTP(RTPPacket(header: header, payload: ByteBuffer(bytes: [0xF8, UInt8(i), 0xFE])),
                                                 on: r.members[i].sender, now: r.now)
            }
            sequence &+= 1
            try r.advance(.milliseconds(20))
            // The owner's part: a session whose connection failed is removed (SFUEdge does this).
            if removedAt == nil, r.serverEvents.contains(where: { $0.key == vanished && Self.isFailed($0.event) }) {
                r.core.removeSession(vanished, now: r.now)
                removedAt = r.now
            }
        }
        let since = try #require(silentSince)
        let removed = try #require(removedAt, "the server never noticed that member 2 was gone: \(r.serverEvents.filter { $0.key == vanished }.map(\.event))")
        let noticedAfter = Double((removed - since).nanoseconds) / 1e9
        #expect(noticedAfter >= 25 && noticedAfter <= 40, "noticed \(noticedAfter) s after it stopped answering (consent: 30 s)")
        #expect(r.core.members(of: r.room) == [r.members[0].key, r.members[1].key])
        #expect(r.roomEvents.contains { if case .unpublished(_, let key, _) = $0.event { key == vanished } else { false } },
                "its track is unpublished for the others")
        // Nothing more for it once removed: its address gets no datagram after that.
        let last = try #require(r.lastDatagramTo[2])
        #expect(last <= removed, "the server still sent to the vanished member \(Double((last - removed).nanoseconds) / 1e9) s after removing it")

        // 0 and 1 got every packet of each other's, before and after member 2 went: 2,500 each
        // way (the last few may still be on their way), in order, none twice.
        var received: [[Int: [UInt16]]] = [[:], [:]]
        for (member, event) in r.memberEvents[start...] where member < 2 {
            guard case .media(.packet(_, let packet)) = event,
                  let from = packet.payload.getInteger(at: packet.payload.readerIndex + 1, as: UInt8.self).map(Int.init) else { continue }
            received[member][from, default: []].append(packet.header.sequenceNumber)
        }
        for (member, from) in [(0, 1), (1, 0)] {
            let got = received[member][from] ?? []
            #expect(got.count >= 2_495, "member \(member) got \(got.count) of member \(from)'s 2,500 packets")
            #expect(zip(got, got.dropFirst()).allSatisfy { $1 == $0 &+ 1 }, "member \(member): member \(from)'s packets gapless and in order")
        }
        // What 0 and 1 got of member 2: only what it sent before it vanished.
        for member in 0..<2 {
            let got = received[member][2]?.count ?? 0
            #expect(got >= 95 && got <= 100, "member \(member) got \(got) of member 2's 100 packets")
        }
    }

    static func isFailed(_ event: SessionEvent) -> Bool {
        if case .connectionStateChanged(.failed) = event { return true }
        return false
    }
}
