import NIOCore
import RTCCore
import RTCRTP
import RTCRTPStreams
import RTCTestSupport

/// Shared pieces of the send-stream tests: a virtual start time, a fixed NTP anchor, and a
/// stream with a seeded generator.
enum SendFixture {
    static let start = NIODeadline.virtualStart
    static let clock = NTPClock(reference: start, unixSeconds: 1_700_000_000.25)
    static let mediaSSRC: UInt32 = 0x1111_1111
    static let rtxSSRC: UInt32 = 0x2222_2222
    static let remoteSSRC: UInt32 = 0xAAAA_AAAA

    static func config(clockRate: Int = 90_000, rtx: Bool = false,
                       extensions: RTPSendStreamConfiguration.HeaderExtensions = .init(),
                       _ tweak: (inout RTPSendStreamConfiguration) -> Void = { _ in }) -> RTPSendStreamConfiguration {
        var c = RTPSendStreamConfiguration(
            ssrc: mediaSSRC, payloadType: 96, clockRate: clockRate, cname: "send-test",
            retransmission: rtx ? .init(ssrc: rtxSSRC, payloadType: 97) : nil, headerExtensions: extensions)
        tweak(&c)
        return c
    }

    static func stream(_ configuration: RTPSendStreamConfiguration, seed: UInt64 = 7) -> RTPSendStream {
        RTPSendStream(configuration: configuration, ntpClock: clock, rng: SeededRandom(seed: seed))
    }

    static func payload(_ bytes: [UInt8]) -> ByteBuffer { ByteBuffer(bytes: bytes) }

    static func compound(_ packets: RTCPPacket...) -> ByteBuffer {
        RTCPCompoundPacket(packets: packets).serialized()
    }
}

extension RTPSendStream {
    /// Every queued transmit.
    mutating func drain() -> [RTPSendStreamTransmit] {
        var out: [RTPSendStreamTransmit] = []
        while let t = pollTransmit() { out.append(t) }
        return out
    }

    /// Every queued transmit, stamped by `sequencer`.
    mutating func drain(stampingWith sequencer: inout TransportWideSequencer) -> [RTPSendStreamTransmit] {
        var out: [RTPSendStreamTransmit] = []
        while let t = pollTransmit(stampingWith: &sequencer) { out.append(t) }
        return out
    }

    /// Every queued event.
    mutating func drainEvents() -> [RTPSendStreamEvent] {
        var out: [RTPSendStreamEvent] = []
        while let e = pollEvent() { out.append(e) }
        return out
    }
}

extension RTPSendStreamTransmit {
    /// The bytes parsed as RTP (the test fails to compile nothing; it throws on bad bytes).
    func rtp() throws -> RTPPacket { try RTPPacket(parsing: bytes) }
    /// The bytes parsed as compound RTCP.
    func rtcp() throws -> RTCPCompoundPacket { try RTCPCompoundPacket(parsing: bytes) }
    /// The bytes as an array.
    var array: [UInt8] { Array(bytes.readableBytesView) }
}
