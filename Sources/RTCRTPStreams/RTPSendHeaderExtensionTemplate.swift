import NIOCore
import RTCRTP

/// The header extension block every packet of a send stream carries, built once from the
/// negotiated identifiers, with the positions of the values written at send time
/// (RFC 8285 §4; draft-holmer-rmcat-transport-wide-cc-extensions-01 §2; abs-send-time).
struct RTPSendHeaderExtensionTemplate: Sendable {
    /// The block, nil when no extension is sent.
    let block: RTPHeaderExtension?
    /// Offset of the 2-byte transport-wide sequence number from the start of a packet without CSRCs.
    let transportWideSequenceNumberOffset: Int?
    /// Offset of the 3-byte abs-send-time value from the start of a packet without CSRCs.
    let absoluteSendTimeOffset: Int?
    /// Offset of the 1-byte audio level from the start of a packet without CSRCs.
    let audioLevelOffset: Int?
    /// Bytes of each element's header: 1 in the one-byte form, 2 in the two-byte form.
    let elementHeaderSize: Int

    /// Bytes of the RTP header: the fixed 12 plus the extension block.
    var headerSize: Int { 12 + (block?.serializedSize ?? 0) }

    /// The extension block as it goes on the wire after the fixed header (profile, length in
    /// words, elements, zero padding); empty without extensions. Copied into each packet.
    var serializedBlock: [UInt8] {
        guard let block else { return [] }
        var bytes = RTPPacket(header: RTPHeader(marker: false, payloadType: 0, sequenceNumber: 0, timestamp: 0, ssrc: 0,
                                                headerExtension: block),
                              payload: ByteBuffer()).serialized()
        bytes.moveReaderIndex(forwardBy: 12)
        return bytes.readBytes(length: bytes.readableBytes) ?? []
    }

    init(_ extensions: RTPSendStreamConfiguration.HeaderExtensions) {
        enum Kind { case mid, transportWide, absoluteSendTime, audioLevel }
        var elements: [(Kind, RTPHeaderExtensionElement)] = []
        if let id = extensions.midID, id != 0, let mid = extensions.mid, (1...255).contains(mid.utf8.count) {
            elements.append((.mid, .text(id: id, mid)))
        }
        if let id = extensions.transportWideSequenceNumberID, id != 0 {
            elements.append((.transportWide, .transportWideSequenceNumber(id: id, 0)))
        }
        if let id = extensions.absoluteSendTimeID, id != 0 {
            elements.append((.absoluteSendTime, .absoluteSendTime(id: id, 0)))
        }
        if let id = extensions.audioLevelID, id != 0 {
            elements.append((.audioLevel, .audioLevel(id: id, .silence)))
        }
        guard !elements.isEmpty, let block = try? RTPHeaderExtension(elements: elements.map(\.1)) else {
            self.block = nil
            transportWideSequenceNumberOffset = nil
            absoluteSendTimeOffset = nil
            audioLevelOffset = nil
            elementHeaderSize = 1
            return
        }
        let elementHeader = block.profile == RTPHeaderExtension.oneByteProfile ? 1 : 2
        elementHeaderSize = elementHeader
        var offset = 12 + 4
        var transportWide: Int?
        var absoluteSendTime: Int?
        var audioLevel: Int?
        for (kind, element) in elements {
            offset += elementHeader
            switch kind {
            case .mid: break
            case .transportWide: transportWide = offset
            case .absoluteSendTime: absoluteSendTime = offset
            case .audioLevel: audioLevel = offset
            }
            offset += element.value.readableBytes
        }
        self.block = block
        transportWideSequenceNumberOffset = transportWide
        absoluteSendTimeOffset = absoluteSendTime
        audioLevelOffset = audioLevel
    }
}
