import Foundation
import NIOCore
import RTCCore
import RTCDTLS
import RTCRTP
import RTCSession
import RTCSFU

/// `swiftrtc-bench sfu-core [PACKETS] [SUBSCRIBERS]`: the SFU's whole data path on one core,
/// in memory (no socket): one `SFUCore` room with a publishing member and SUBSCRIBERS members,
/// all real `RTCSession`s (ICE, DTLS, SRTP) negotiated through the room's own offers and
/// answers. The publisher's SRTP datagrams (1,100-byte VP8 payloads) are made first; then only
/// the server is timed: each datagram through its session (SRTP unprotect), the router, and
/// every subscriber's session (SRTP protect), drained as the driver would. Prints forwarded
/// packets per second and per CPU-second, and subscribers one core serves at 250 packets/s per
/// subscribed stream (about 2.5 Mbit/s of video). Build with `-c release`.
enum SFUCoreBenchmark {
    struct Member {
        var session: RTCSession
        var address: TransportAddress
        var key: SFUSessionKey
    }

    /// The timed part, on its own so that `valgrind --tool=callgrind --toggle-collect='*SFUCoreBenchmark*forward*'`
    /// counts only it: each datagram through the core, drained as the driver would. Returns the
    /// datagrams that came out.
    @inline(never)
    static func forward(_ datagrams: [ReceivedDatagram], through core: inout SFUCore, now: NIODeadline) -> Int {
        var out = 0
        for datagram in datagrams {
            core.handle(datagram, now: now)
            while core.pollTransmit() != nil { out += 1 }
            while core.pollEvent() != nil {}
        }
        return out
    }

    static func run(packets: Int, subscribers: Int) throws {
        let certificate = try DTLSCertificate.generateSelfSigned(now: Date())
        // One room holds the publisher and every subscriber (the default limit is 16 members).
        var rooms = SFURoomConfiguration()
        rooms.maximumMembers = max(rooms.maximumMembers, subscribers + 1)
        var core = SFUCore(rooms: rooms)
        let server = TransportAddress("10.0.0.1:4000")!
        var now = NIODeadline.now()
        var members: [Member] = []
        var byAddress: [TransportAddress: Int] = [:]
        var videoHandle = 0

        /// Moves datagrams and events until nothing moves.
        func shuttle() throws {
            var moved = true
            while moved {
                moved = false
                while let event = core.pollEvent() {
                    guard case .room(let roomEvent) = event else { continue }
                    switch roomEvent {
                    case .answer(let key, let answer):
                        if let i = members.firstIndex(where: { $0.key == key }) { try members[i].session.setRemoteDescription(answer, now: now) }
                    case .offer(let key, let offer):
                        if let i = members.firstIndex(where: { $0.key == key }) {
                            try members[i].session.setRemoteDescription(offer, now: now)
                            try members[i].session.setLocalDescription(try members[i].session.createAnswer(), now: now)
                            try core.handleRemoteDescription(members[i].session.localDescription!, from: key, now: now)
                        }
                    default: break
                    }
                    moved = true
                }
                while let transmit = core.pollTransmit() {
                    guard let i = byAddress[transmit.destination] else { continue }
                    members[i].session.handle(ReceivedDatagram(source: transmit.source ?? server, destination: transmit.destination,
                                                               payload: transmit.payload), now: now)
                    moved = true
                }
                for i in members.indices {
                    while members[i].session.pollEvent() != nil {}
                    while let transmit = members[i].session.pollTransmit() {
                        core.handle(ReceivedDatagram(source: transmit.source ?? members[i].address, destination: transmit.destination,
                                                     payload: transmit.payload), now: now)
                        moved = true
                    }
                }
            }
        }

        func timers() {
            core.handleTimeout(now: now)
            for i in members.indices where (members[i].session.nextDeadline.map { $0 <= now } ?? false) {
                members[i].session.handleTimeout(now: now)
            }
        }

        // The room: member 0 publishes video, the others only chat (and receive it).
        let room = SFURoomID("bench")
        for i in 0...subscribers {
            let address = TransportAddress(ip: IPAddress("10.0.\(1 + i / 250).\(1 + i % 250)")!, port: 5000)
            var member = RTCSession(certificate: certificate)
            if i == 0 {
                videoHandle = try member.addTransceiver(kind: .video, direction: .sendonly,
                                                        sender: SessionMediaSender(trackID: "v", streamIDs: ["p"], codec: .vp8), now: now)
            } else {
                _ = try member.createDataChannel(label: "chat", options: DataChannelOptions(), now: now)
            }
            try member.setLocalDescription(try member.createOffer(), now: now)
            member.addLocalAddresses([address], now: now)
            var serverSession = RTCSession(certificate: certificate)
            serverSession.addLocalAddresses([server], now: now)
            let key = core.addSession(serverSession, now: now)
            try core.join(key, room: room, now: now)
            byAddress[address] = members.count
            members.append(Member(session: member, address: address, key: key))
            try core.handleRemoteDescription(member.localDescription!, from: key, now: now)
            try shuttle()
        }
        // Connect everyone: 10 s of virtual time in 5 ms steps.
        for _ in 0..<2_000 {
            now = now + .milliseconds(5)
            timers()
            try shuttle()
        }
        // The publisher's datagrams, made before timing (a key frame start first, then every 100).
        let payloads: [ByteBuffer] = (0..<100).map { i in
            var bytes = [UInt8](repeating: UInt8(truncatingIfNeeded: i), count: 1_100)
            bytes[0] = 0x10
            bytes[1] = i == 0 ? 0x10 : 0x11
            return ByteBuffer(bytes: bytes)
        }
        var datagrams: [ReceivedDatagram] = []
        datagrams.reserveCapacity(packets)
        let publisher = members[0]
        for n in 0..<packets {
            let header = RTPHeader(marker: n % 3 == 2, payloadType: 96, sequenceNumber: UInt16(truncatingIfNeeded: n),
                                   timestamp: UInt32(truncatingIfNeeded: n / 3 * 3_000), ssrc: 0)
            try members[0].session.sendRTP(RTPPacket(header: header, payload: payloads[n % 100]), on: videoHandle, now: now)
            while let transmit = members[0].session.pollTransmit() {
                datagrams.append(ReceivedDatagram(source: transmit.source ?? publisher.address, destination: transmit.destination,
                                                  payload: transmit.payload))
            }
            while members[0].session.pollEvent() != nil {}
        }
        let before = core.router.statistics
        let out: Int
        let cpu0 = clock()
        let wall0 = DispatchTime.now().uptimeNanoseconds
        out = forward(datagrams, through: &core, now: now)
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - wall0) / 1e9
        let cpu = max(Double(clock() - cpu0) / Double(CLOCKS_PER_SEC), 1e-9)
        let after = core.router.statistics
        let forwarded = after.packetsForwarded - before.packetsForwarded
        let perCPUSecond = Double(forwarded) / cpu
        print(String(format: "sfu-core subscribers=%d in=%d forwarded=%d datagrams-out=%d: %.0f in/s, %.0f forwarded/s, "
                     + "%.0f forwarded per CPU-second (one core), %.0f subscribers per core at 250 pkt/s, cpu %.2f s",
                     subscribers, datagrams.count, forwarded, out, Double(datagrams.count) / seconds, Double(forwarded) / seconds,
                     perCPUSecond, perCPUSecond / 250, cpu))
        if forwarded < datagrams.count * subscribers / 2 {
            print("sfu-core: only \(forwarded) of \(datagrams.count * subscribers) forwarded (not every subscriber connected?)")
        }
    }
}
