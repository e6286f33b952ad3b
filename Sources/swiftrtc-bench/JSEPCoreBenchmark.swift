import Dispatch
import Foundation
import NIOCore
import RTCCore
import RTCDTLS
import RTCSession

/// `swiftrtc-bench jsep-core [RUNS]`: the CPU cost of each JSEP call of an offer/answer with
/// one data channel, on two `RTCSession`s in memory (no sockets, no event loops, no hops):
/// what `PeerConnection`'s calls cost before their hand-off to the event loop. The offerer
/// has two host addresses and the answerer one, as on a host with a second interface.
/// Prints the median of each call over RUNS exchanges (after a warm-up) and both descriptions'
/// sizes. The `open` mode of the main benchmark times the same calls through `PeerConnection`.
enum JSEPCoreBenchmark {
    static let warmUps = 50

    static func run(runs: Int) throws {
        let certificateA = try DTLSCertificate.generateSelfSigned(now: Date())
        let certificateB = try DTLSCertificate.generateSelfSigned(now: Date())
        let names = ["a.createDataChannel", "a.createOffer", "a.setLocalDescription", "a.localDescription",
                     "b.setRemoteDescription", "b.createAnswer", "b.setLocalDescription", "b.localDescription",
                     "a.setRemoteDescription"]
        var times = Array(repeating: [UInt64](), count: names.count)
        var sizes = (offer: 0, answer: 0)
        let now = NIODeadline.uptimeNanoseconds(1_000_000_000)
        let addressesA = [TransportAddress("10.0.0.1:5000")!, TransportAddress("10.99.0.1:5002")!]
        let addressB = TransportAddress("10.0.0.2:5000")!
        for i in 0..<(runs + warmUps) {
            var a = RTCSession(certificate: certificateA)
            var b = RTCSession(certificate: certificateB)
            var step = 0
            var clock = DispatchTime.now().uptimeNanoseconds
            func lap() {
                let t = DispatchTime.now().uptimeNanoseconds
                if i >= warmUps { times[step].append(t - clock) }
                step += 1
                clock = DispatchTime.now().uptimeNanoseconds
            }
            _ = try a.createDataChannel(label: "bench", options: DataChannelOptions(), now: now); lap()
            let offer = try a.createOffer(); lap()
            try a.setLocalDescription(offer, now: now)
            a.addLocalAddresses(addressesA, now: now)
            lap()
            let sentOffer = a.localDescription!; lap()
            try b.setRemoteDescription(sentOffer, now: now); lap()
            let answer = try b.createAnswer(); lap()
            try b.setLocalDescription(answer, now: now)
            b.addLocalAddresses([addressB], now: now)
            lap()
            let sentAnswer = b.localDescription!; lap()
            try a.setRemoteDescription(sentAnswer, now: now); lap()
            sizes = (sentOffer.sdp.utf8.count, sentAnswer.sdp.utf8.count)
            if i == 0, ProcessInfo.processInfo.environment["SWIFTRTC_BENCH_PRINT_SDP"] != nil {
                print(sentOffer.sdp)
                print(sentAnswer.sdp)
            }
        }
        var line = "jsep-core (median ms of \(runs) exchanges, both sessions in memory; offer \(sizes.offer) B, answer \(sizes.answer) B):"
        var total = 0.0
        for (n, name) in names.enumerated() {
            let median = Double(times[n].sorted()[times[n].count / 2]) / 1e6
            total += median
            line += String(format: " %@ %.4f,", name, median)
        }
        print(line + String(format: " sum %.3f", total))
    }
}
