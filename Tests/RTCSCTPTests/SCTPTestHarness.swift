import NIOCore
import RTCCore
import RTCTestSupport
@testable import RTCSCTP

/// Two associations on RTCTestSupport's generic virtual-time harness: SCTP packets cross a
/// `SimulatedLink` unchanged.
typealias SCTPPair = VirtualTimePair<SCTPAssociation, SCTPAssociation>

/// The packets that crossed the link, per sender, while `isRecording` (for inspection).
final class SCTPPacketLog {
    var isRecording = true
    var fromA: [ByteBuffer] = []
    var fromB: [ByteBuffer] = []
}

extension VirtualTimePair where A == SCTPAssociation, B == SCTPAssociation {
    /// Two associations seeded from `seed`; packets delivered to the other side are appended to
    /// `log`, if one is given.
    init(configA: SCTPConfiguration = SCTPConfiguration(), configB: SCTPConfiguration = SCTPConfiguration(),
         conditions: LinkConditions = .perfect, seed: UInt64 = 1, log: SCTPPacketLog? = nil) {
        self.init(SCTPAssociation(configuration: configA, rng: SeededRandom(seed: seed &* 31 &+ 7)),
                  SCTPAssociation(configuration: configB, rng: SeededRandom(seed: seed &* 17 &+ 3)),
                  conditions: conditions, seed: seed,
                  aToB: { packet in
                      if let log, log.isRecording { log.fromA.append(packet) }
                      return packet
                  },
                  bToA: { packet in
                      if let log, log.isRecording { log.fromB.append(packet) }
                      return packet
                  },
                  sizeOfA: \.readableBytes, sizeOfB: \.readableBytes)
    }

    /// Connects A (the initiator) to B.
    mutating func connect() -> Bool {
        withA { a, now in a.connect(now: now) }
        return run(until: { $0.a.state == .established && $0.b.state == .established }, for: .seconds(30))
    }
}

func bytes(_ count: Int, seed: Int) -> ByteBuffer {
    var x = UInt32(truncatingIfNeeded: seed &* 2654435761 &+ 1)
    let array = [UInt8](unsafeUninitializedCapacity: count) { buf, n in
        for i in 0..<count {
            x = x &* 1664525 &+ 1013904223
            buf[i] = UInt8(truncatingIfNeeded: x >> 24)
        }
        n = count
    }
    return ByteBuffer(bytes: array)
}

extension Array where Element == SCTPEvent {
    var messages: [SCTPMessage] {
        compactMap { if case .message(let m) = $0 { m } else { nil } }
    }
}
