import Foundation
import NIOCore
import RTCCore
import RTCDTLS
import RTCRTP
import RTCSession
import RTCSFU
import RTCTestSupport
import Testing

/// End to end in memory on virtual time: a room of two members' real `RTCSession`s on an
/// `SFUCore` (ICE, DTLS, SRTP, transport-cc negotiated by default); one publishes VP8 video, the
/// server forwards it to the other, whose transport-wide feedback reaches the server's session;
/// the server's estimate of that subscriber's path is kept (it limits the budget after a drop).
@Suite struct SFURoomEstimatesBySubscriberTransportFeedbackTests {
    struct Member {
        var session: RTCSession
        var address: TransportAddress
        var key: SFUSessionKey
        var sender: Int
    }

    /// A VP8 frame of `size` bytes: the first byte's P bit says key frame or not.
    static func vp8Frame(_ index: Int, key: Bool, size: Int = 2_500) -> ByteBuffer {
        var bytes = [UInt8](repeating: UInt8(truncatingIfNeeded: index), count: size)
        bytes[0] = key ? 0x10 : 0x11
        return ByteBuffer(bytes: bytes)
    }

    @Test func theSubscribersTransportWideFeedbackReachesTheServersEstimate() throws {
        let certificate = try DTLSCertificate.generateSelfSigned(now: Date())
        var core = SFUCore(rng: SeededRandom(seed: 5))
        let server = TransportAddress("10.0.0.1:4000")!
        var now = NIODeadline.virtualStart
        var members: [Member] = []
        var connected: Set<Int> = []
        var framesAtSubscriber = 0
        let room = SFURoomID("watch")

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
                        if i == 1, case .media(.frame(_, let frame)) = event, frame.codec == .vp8 { framesAtSubscriber += 1 }
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

        // Member 0 publishes video; member 1 only audio (it subscribes to 0's video).
        for i in 0..<2 {
            let address = TransportAddress(ip: IPAddress("10.0.1.\(i + 1)")!, port: 5000)
            var member = RTCSession(certificate: certificate, rng: SeededRandom(seed: 30 + UInt64(i)))
            let sender = i == 0
                ? try member.addTransceiver(kind: .video, direction: .sendonly,
                                            sender: SessionMediaSender(trackID: "cam", streamIDs: ["m0"], codec: .vp8), now: now)
                : try member.addTransceiver(kind: .audio, direction: .sendonly,
                                            sender: SessionMediaSender(trackID: "mic", streamIDs: ["m1"], codec: .opus), now: now)
            try member.setLocalDescription(try member.createOffer(), now: now)
            member.addLocalAddresses([address], now: now)
            var serverSession = RTCSession(certificate: certificate, rng: SeededRandom(seed: 40 + UInt64(i)))
            serverSession.addLocalAddresses([server], now: now)
            let key = core.addSession(serverSession, now: now)
            try core.join(key, room: room, now: now)
            members.append(Member(session: member, address: address, key: key, sender: sender))
            try core.handleRemoteDescription(try #require(member.localDescription), from: key, now: now)
            try shuttle()
        }
        for _ in 0..<600 { try advance(.milliseconds(5)) }
        #expect(connected == [0, 1])
        #expect(core.bandwidthBudget(of: members[1].key, now: now) == nil, "no budget before anything was sent")

        // Four seconds of 30 fps video, 2,500-byte frames (about 600 kbit/s), a key frame a second.
        let start = now
        for frame in 0..<120 {
            let at = start + .milliseconds(Int64(frame) * 100 / 3)
            while now < at { try advance(.milliseconds(5)) }
            let payload = Self.vp8Frame(frame, key: frame % 30 == 0)
            try members[0].session.sendFrame(payload, on: members[0].sender, captureTime: at, now: now)
            try shuttle()
        }
        for _ in 0..<100 { try advance(.milliseconds(5)) }

        #expect(framesAtSubscriber > 60, "\(framesAtSubscriber) frames forwarded")
        // The estimate reached the core; on this path nothing queues, so it never dropped and does
        // not limit the budget (after a drop it does: SFULayerPolicyFollowsTransportWideEstimateTests).
        let summary = core.layerSummary(now: now)
        let twcc = try #require(summary.firstMatch(of: /TWCC (\d+)/), "\(summary)")
        let estimate = try #require(UInt64(twcc.1))
        #expect(estimate > 300_000 && estimate < 2_000_000, "\(summary)")
        #expect(!summary.contains("limiting"), "\(summary)")
        #expect(core.bandwidthBudget(of: members[1].key, now: now) == nil)
    }
}
