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
    /// Opens before the measured ones (the first pay one-time costs).
    static let warmUpOpens = 20

    static func run(runs: Int) throws {
        var times: [Double] = []
        var datagrams = 0
        let certificateA = try DTLSCertificate.generateSelfSigned(now: Date())
        let certificateB = try DTLSCertificate.generateSelfSigned(now: Date())
        for i in 0..<(runs + warmUpOpens) {
            let start = DispatchTime.now().uptimeNanoseconds
            var pair = InMemorySessionPair(a: RTCSession(certificate: certificateA), b: RTCSession(certificate: certificateB))
            _ = try pair.open()
            let ms = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6
            if i >= warmUpOpens { times.append(ms) }
            datagrams = pair.datagrams
        }
        times.sort()
        print(String(format: "open-core: median %.3f ms, p95 %.3f ms over %d opens (both sessions on one thread, CPU only), %d datagrams each",
                     times[times.count / 2], times[(times.count * 95 + 99) / 100 - 1], runs, datagrams))
        try printTurns(runs: runs, certificateA: certificateA, certificateB: certificateB)
    }

    /// Each datagram's turn in an open, in order: which session received it, its size, and the
    /// median time that session's `handle` took for it (the offerer's answer too): what each
    /// one-way leg costs in CPU before the reply can leave. Opens whose datagrams differ in
    /// number from the first are left out.
    static func printTurns(runs: Int, certificateA: DTLSCertificate, certificateB: DTLSCertificate) throws {
        var perTurn: [[UInt64]] = []
        var shape: [(toA: Bool, bytes: Int)] = []
        var answers: [UInt64] = []
        for i in 0..<(runs + warmUpOpens) {
            var pair = InMemorySessionPair(a: RTCSession(certificate: certificateA), b: RTCSession(certificate: certificateB))
            pair.timesTurns = true
            _ = try pair.open()
            guard i >= warmUpOpens else { continue }
            if shape.isEmpty {
                shape = pair.turns.map { ($0.toA, $0.bytes) }
                perTurn = Array(repeating: [], count: shape.count)
            }
            guard pair.turns.count == shape.count else { continue }
            for (n, turn) in pair.turns.enumerated() { perTurn[n].append(turn.nanoseconds) }
            answers.append(pair.answerApplyNanoseconds)
        }
        func median(_ values: [UInt64]) -> Double { Double(values.sorted()[values.count / 2]) / 1e6 }
        var line = String(format: "open-core turns (median ms of %d opens; a = offerer, b = answerer; the answer applied at a %.3f):",
                          answers.count, median(answers))
        for (n, turn) in shape.enumerated() {
            line += String(format: " %d. %@ %d B %.3f;", n + 1, turn.toA ? "->a" : "->b", turn.bytes, median(perTurn[n]))
        }
        print(String(line.dropLast()))
    }
}
