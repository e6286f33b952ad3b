import Foundation
import NIOCore
import RTCRTP
import RTCSFU

/// `swiftrtc-bench sfu-router [PACKETS] [SUBSCRIBERS]`: how many packets per second one core
/// forwards through `SFURouter` alone (no SRTP, no socket): one VP8 publisher of 1,100-byte
/// payloads (a key frame every 100 packets), each packet to every subscriber, outputs drained as
/// an edge would. Runs with the legs' caches off (as `SFUCore` runs it: the sessions' send
/// streams cache) and on (the router's own `RTPRetransmissionCache` per leg). Build with
/// `-c release` for numbers that mean anything.
enum SFURouterBenchmark {
    static func run(packets: Int, subscribers: Int) {
        for cached in [false, true] {
            var configuration = SFURouterConfiguration()
            configuration.legCacheCapacity = cached ? 512 : 0
            var router = SFURouter(configuration: configuration)
            let start = NIODeadline.now()
            guard let track = try? router.publish(codec: .vp8, layers: [SFULayer(ssrc: 0x1234)]) else { return }
            for i in 0..<subscribers {
                _ = try? router.subscribe(to: SFUSource(track: track), ssrc: 0x1000 + UInt32(i), payloadType: 96, now: start)
            }
            while router.poll() != nil {}
            // 100 payloads (one key frame start), reused: what changes per packet is the header.
            let payloads: [ByteBuffer] = (0..<100).map { i in
                var bytes = [UInt8](repeating: UInt8(truncatingIfNeeded: i), count: 1_100)
                bytes[0] = 0x10  // VP8 descriptor: S = 1, PID 0
                bytes[1] = i == 0 ? 0x10 : 0x11  // P bit: a key frame for the first
                return ByteBuffer(bytes: bytes)
            }
            var forwarded = 0
            var checksum: UInt64 = 0
            let cpu0 = clock()
            let wall0 = DispatchTime.now().uptimeNanoseconds
            for n in 0..<packets {
                let header = RTPHeader(marker: n % 3 == 2, payloadType: 96, sequenceNumber: UInt16(truncatingIfNeeded: n),
                                       timestamp: UInt32(truncatingIfNeeded: n / 3 * 3_000), ssrc: 0x1234)
                router.handleRTP(RTPPacket(header: header, payload: payloads[n % 100]), now: start + .microseconds(Int64(n) * 10))
                while let output = router.poll() {
                    if case .forward(_, let packet) = output {
                        forwarded += 1
                        checksum &+= UInt64(packet.header.sequenceNumber)
                    }
                }
            }
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - wall0) / 1e9
            let cpu = Double(clock() - cpu0) / Double(CLOCKS_PER_SEC)
            let perCPUSecond = Double(forwarded) / max(cpu, 1e-9)
            print(String(format: "sfu-router %@ subscribers=%d in=%d forwarded=%d: %.0f in/s, %.0f forwarded/s, "
                         + "%.0f forwarded per CPU-second (one core), %.0f subscribers per core at 250 pkt/s (router only, no SRTP), cpu %.2f s (check %llu)",
                         cached ? "leg-cache" : "no-cache", subscribers, packets, forwarded,
                         Double(packets) / seconds, Double(forwarded) / seconds, perCPUSecond, perCPUSecond / 250, cpu, checksum))
        }
    }
}
