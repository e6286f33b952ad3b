import Foundation
import NIOCore
import RTCCore
import RTCDTLS
import RTCSession

/// `swiftrtc-bench dc-core [SIZE] [TOTAL]`: the data-channel path of two `RTCSession`s in
/// memory, on one thread (no socket, no event loop): ICE, DTLS records, SCTP and DCEP as they
/// run under the UDP edge, datagrams handed from one session to the other. The sender keeps up
/// to 1 MiB queued; the receiver's messages are counted. Prints MiB/s and CPU-seconds per GiB
/// of the two sessions together.
///
/// Made for callgrind (`valgrind --tool=callgrind swiftrtc-bench dc-core 16384 16777216`):
/// one thread and no timers other than the sessions' own (virtual time, advanced only when
/// nothing moves), so instruction counts repeat run to run and show the cores' cost per MiB
/// without the NIO edge.
enum DataChannelCoreBenchmark {
    static func run(size: Int, total: Int) throws {
        let certificate = try DTLSCertificate.generateSelfSigned(now: Date())
        var pair = InMemorySessionPair(a: RTCSession(certificate: certificate), b: RTCSession(certificate: certificate))
        let handle = try pair.open()

        let payload = ByteBuffer(bytes: (0..<size).map { UInt8(truncatingIfNeeded: $0 % 251) })
        let cpu0 = clock()
        let wall0 = DispatchTime.now().uptimeNanoseconds
        var sent = 0
        pair.datagrams = 0
        while pair.received < total {
            while sent < total, pair.a.bufferedAmount(of: handle) < 1 << 20 {
                try pair.a.send(binary: payload, on: handle, now: pair.now)
                sent += size
            }
            if try !pair.shuttle() { pair.tick() }
        }
        let cpu = max(Double(clock() - cpu0) / Double(CLOCKS_PER_SEC), 1e-9)
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - wall0) / 1e9
        print(String(format: "dc-core %d KiB messages: %d MiB in %.2f s = %.0f MiB/s, %.2f CPU-s per GiB (both sessions, one thread), %d datagrams",
                     size >> 10, total >> 20, seconds, Double(total) / Double(1 << 20) / seconds,
                     cpu * Double(1 << 30) / Double(total), pair.datagrams))
    }
}
