import NIOCore
import RTCRTP
import RTCSession
import RTCSFU
import Testing

/// End to end in memory on virtual time: a room of two members' real `RTCSession`s on an
/// `SFUCore` (ICE, DTLS, SRTP, transport-cc negotiated by default); one publishes VP8 video, the
/// server forwards it to the other, whose transport-wide feedback reaches the server's session;
/// the server's estimate of that subscriber's path is kept (it limits the budget after a drop).
@Suite struct SFURoomEstimatesBySubscriberTransportFeedbackTests {
    /// A VP8 frame of `size` bytes: the first byte's P bit says key frame or not.
    static func vp8Frame(_ index: Int, key: Bool, size: Int = 2_500) -> ByteBuffer {
        var bytes = [UInt8](repeating: UInt8(truncatingIfNeeded: index), count: size)
        bytes[0] = key ? 0x10 : 0x11
        return ByteBuffer(bytes: bytes)
    }

    @Test func theSubscribersTransportWideFeedbackReachesTheServersEstimate() throws {
        var r = try SFUInMemoryRoom(SFURoomID("watch"), seed: 5)
        // Member 0 publishes video; member 1 publishes audio and receives the video.
        try r.join(sending: SessionMediaSender(trackID: "cam", streamIDs: ["m0"], codec: .vp8), memberSeed: 30, serverSeed: 40)
        try r.join(sending: SessionMediaSender(trackID: "mic", streamIDs: ["m1"], codec: .opus), memberSeed: 31, serverSeed: 41)
        for _ in 0..<600 { try r.advance(.milliseconds(5)) }
        #expect(r.connected == [0, 1])
        #expect(r.core.bandwidthBudget(of: r.members[1].key, now: r.now) == nil, "no budget before anything was sent")

        // Four seconds of 30 fps video, 2,500-byte frames (about 600 kbit/s), a key frame a second.
        let start = r.now
        for frame in 0..<120 {
            let at = start + .milliseconds(Int64(frame) * 100 / 3)
            while r.now < at { try r.advance(.milliseconds(5)) }
            let payload = Self.vp8Frame(frame, key: frame % 30 == 0)
            try r.members[0].session.sendFrame(payload, on: r.members[0].sender, captureTime: at, now: r.now)
            try r.shuttle()
        }
        for _ in 0..<100 { try r.advance(.milliseconds(5)) }

        let framesAtSubscriber = r.memberEvents.filter { entry in
            guard entry.member == 1, case .media(.frame(_, let frame)) = entry.event else { return false }
            return frame.codec == .vp8
        }.count
        #expect(framesAtSubscriber > 60, "\(framesAtSubscriber) frames forwarded")
        // The estimate reached the core; on this path nothing queues, so it never dropped and does
        // not limit the budget (after a drop it does: SFULayerPolicyFollowsTransportWideEstimateTests).
        let summary = r.core.layerSummary(now: r.now)
        let twcc = try #require(summary.firstMatch(of: /TWCC (\d+)/), "\(summary)")
        let estimate = try #require(UInt64(twcc.1))
        #expect(estimate > 300_000 && estimate < 2_000_000, "\(summary)")
        #expect(!summary.contains("limiting"), "\(summary)")
        #expect(r.core.bandwidthBudget(of: r.members[1].key, now: r.now) == nil)
    }
}
