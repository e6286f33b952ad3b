import NIOCore
import RTCRTP
import RTCSFU
import RTCTestSupport

/// Packets and helpers shared by the router tests (virtual time from `NIODeadline.virtualStart`).
enum SFUFixtures {
    static let t0 = NIODeadline.virtualStart

    /// A VP8 packet of one payload: descriptor S bit from `start`, VP8 header P bit from `key`,
    /// then a marker byte `tag` so tests can tell payloads apart.
    static func vp8(ssrc: UInt32, sequenceNumber: UInt16, timestamp: UInt32, key: Bool = false, start: Bool = true,
                    tag: UInt8 = 0, extensionBlock: RTPHeaderExtension? = nil) -> RTPPacket {
        let payload = ByteBuffer(bytes: [start ? 0x10 : 0x00, key ? 0x10 : 0x11, tag, 0xAB])
        return RTPPacket(header: RTPHeader(marker: true, payloadType: 96, sequenceNumber: sequenceNumber, timestamp: timestamp,
                                           ssrc: ssrc, headerExtension: extensionBlock),
                         payload: payload)
    }

    static func drain(_ router: inout SFURouter) -> [SFURouterOutput] {
        var out: [SFURouterOutput] = []
        while let o = router.poll() { out.append(o) }
        return out
    }

    static func forwards(_ outputs: [SFURouterOutput], to id: SFUSubscriptionID? = nil) -> [RTPPacket] {
        outputs.compactMap {
            if case .forward(let leg, let packet) = $0, id == nil || leg == id { return packet }
            return nil
        }
    }

    static func keyFrameRequests(_ outputs: [SFURouterOutput]) -> [SFUSource] {
        outputs.compactMap {
            if case .requestKeyFrame(let source) = $0 { return source }
            return nil
        }
    }

    static func retransmissionRequests(_ outputs: [SFURouterOutput]) -> [(SFUSource, [UInt16])] {
        outputs.compactMap {
            if case .requestRetransmission(let source, let numbers) = $0 { return (source, numbers) }
            return nil
        }
    }

    static func retransmits(_ outputs: [SFURouterOutput], to id: SFUSubscriptionID) -> [ByteBuffer] {
        outputs.compactMap {
            if case .retransmit(let leg, let bytes) = $0, leg == id { return bytes }
            return nil
        }
    }
}
