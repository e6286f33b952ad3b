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
    struct BenchError: Error, CustomStringConvertible {
        let description: String
    }

    static func run(size: Int, total: Int) throws {
        let certificate = try DTLSCertificate.generateSelfSigned(now: Date())
        var now = NIODeadline.uptimeNanoseconds(1_000_000_000)
        let addressA = TransportAddress("10.0.0.1:5000")!, addressB = TransportAddress("10.0.0.2:5000")!
        var a = RTCSession(certificate: certificate)
        var b = RTCSession(certificate: certificate)
        var received = 0
        var opened = 0
        var datagrams = 0

        /// Hands every transmit to the other side and drains events until nothing moves.
        func shuttle() throws -> Bool {
            var movedAny = false
            var moved = true
            while moved {
                moved = false
                while let t = a.pollTransmit() {
                    b.handle(ReceivedDatagram(source: t.source ?? addressA, destination: t.destination, payload: t.payload), now: now)
                    moved = true
                    datagrams += 1
                }
                while let t = b.pollTransmit() {
                    a.handle(ReceivedDatagram(source: t.source ?? addressB, destination: t.destination, payload: t.payload), now: now)
                    moved = true
                    datagrams += 1
                }
                for which in 0..<2 {
                    while let event = which == 0 ? a.pollEvent() : b.pollEvent() {
                        moved = true
                        switch event {
                        case .ice(.localCandidate(let c)):
                            if which == 0 { try b.addRemoteCandidate(c, now: now) } else { try a.addRemoteCandidate(c, now: now) }
                        case .dataChannel(.opened):
                            opened += 1
                        case .dataChannel(.message(_, .binary(let bytes))):
                            received += bytes.count
                        default:
                            break
                        }
                    }
                }
                movedAny = movedAny || moved
            }
            return movedAny
        }

        /// Nothing moves: advance virtual time to the earliest deadline and run the timers.
        func tick() {
            let next = [a.nextDeadline, b.nextDeadline].compactMap { $0 }.min() ?? now + .milliseconds(10)
            now = max(now + .microseconds(1), next)
            if let d = a.nextDeadline, d <= now { a.handleTimeout(now: now) }
            if let d = b.nextDeadline, d <= now { b.handleTimeout(now: now) }
        }

        let handle = try a.createDataChannel(label: "bench", options: DataChannelOptions(), now: now)
        try a.setLocalDescription(try a.createOffer(), now: now)
        a.addLocalAddresses([addressA], now: now)
        try b.setRemoteDescription(a.localDescription!, now: now)
        try b.setLocalDescription(try b.createAnswer(), now: now)
        b.addLocalAddresses([addressB], now: now)
        try a.setRemoteDescription(b.localDescription!, now: now)
        var steps = 0
        while opened < 2 {
            if try !shuttle() { tick() }
            steps += 1
            if steps > 100_000 { throw BenchError(description: "dc-core: the channel did not open") }
        }

        let payload = ByteBuffer(bytes: (0..<size).map { UInt8(truncatingIfNeeded: $0 % 251) })
        let cpu0 = clock()
        let wall0 = DispatchTime.now().uptimeNanoseconds
        var sent = 0
        datagrams = 0
        while received < total {
            while sent < total, a.bufferedAmount(of: handle) < 1 << 20 {
                try a.send(binary: payload, on: handle, now: now)
                sent += size
            }
            if try !shuttle() { tick() }
        }
        let cpu = max(Double(clock() - cpu0) / Double(CLOCKS_PER_SEC), 1e-9)
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - wall0) / 1e9
        print(String(format: "dc-core %d KiB messages: %d MiB in %.2f s = %.0f MiB/s, %.2f CPU-s per GiB (both sessions, one thread), %d datagrams",
                     size >> 10, total >> 20, seconds, Double(total) / Double(1 << 20) / seconds,
                     cpu * Double(1 << 30) / Double(total), datagrams))
    }
}
