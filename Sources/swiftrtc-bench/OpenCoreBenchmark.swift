import Foundation
import RTCDTLS
import RTCSession

/// `swiftrtc-bench open-core [RUNS]`: the CPU cost of opening a connection, protocol cores
/// only: two `RTCSession`s in memory on one thread (no sockets, no event loops, no hops)
/// go from `createDataChannel` through ICE, DTLS, SCTP and DCEP to the channel open on both
/// sides. The two certificates are made once, before (`createPeerConnection` makes them,
/// outside offer→open). Prints the median and p95 of RUNS opens: the floor under the offer→open figure of
/// `scripts/bench.sh` on one core.
enum OpenCoreBenchmark {
    static func run(runs: Int) throws {
        var times: [Double] = []
        var datagrams = 0
        let certificateA = try DTLSCertificate.generateSelfSigned(now: Date())
        let certificateB = try DTLSCertificate.generateSelfSigned(now: Date())
        for i in 0..<(runs + 20) {
            let start = DispatchTime.now().uptimeNanoseconds
            var pair = InMemorySessionPair(a: RTCSession(certificate: certificateA), b: RTCSession(certificate: certificateB))
            _ = try pair.open()
            let ms = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6
            if i >= 20 { times.append(ms) }  // the first 20 warm up
            datagrams = pair.datagrams
        }
        times.sort()
        print(String(format: "open-core: median %.3f ms, p95 %.3f ms over %d opens (both sessions on one thread, CPU only), %d datagrams each",
                     times[times.count / 2], times[(times.count * 95 + 99) / 100 - 1], runs, datagrams))
    }
}
