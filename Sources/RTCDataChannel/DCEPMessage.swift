import NIOCore
import RTCSCTP

/// Payload Protocol Identifiers used by WebRTC data channels. RFC 8831 §8, RFC 8832 §8.1.
public enum DataChannelPPID {
    /// DCEP control message. RFC 8832 §8.1.
    public static let dcep: UInt32 = 50
    /// WebRTC String. RFC 8831 §8.
    public static let string: UInt32 = 51
    /// WebRTC Binary. RFC 8831 §8.
    public static let binary: UInt32 = 53
    /// WebRTC String Empty. RFC 8831 §8.
    public static let stringEmpty: UInt32 = 56
    /// WebRTC Binary Empty. RFC 8831 §8.
    public static let binaryEmpty: UInt32 = 57
}

/// The reliability a channel asks for, as carried in DATA_CHANNEL_OPEN. RFC 8832 §5.1.
public enum DCEPChannelType: Equatable, Sendable {
    /// DATA_CHANNEL_RELIABLE (0x00) / _UNORDERED (0x80).
    case reliable
    /// DATA_CHANNEL_PARTIAL_RELIABLE_REXMIT (0x01 / 0x81): at most this many retransmissions.
    case partialReliableRexmit(UInt32)
    /// DATA_CHANNEL_PARTIAL_RELIABLE_TIMED (0x02 / 0x82): lifetime in milliseconds.
    case partialReliableTimed(UInt32)
}

/// A Data Channel Establishment Protocol message. RFC 8832 §5.
public enum DCEPMessage: Equatable, Sendable {
    /// DATA_CHANNEL_OPEN (message type 0x03). RFC 8832 §5.1.
    case open(channelType: DCEPChannelType, unordered: Bool, priority: UInt16, label: String, protocol: String)
    /// DATA_CHANNEL_ACK (message type 0x02). RFC 8832 §5.2.
    case ack

    /// Parses a DCEP message (the payload of a PPID 50 user message). RFC 8832 §5.
    public static func parse(_ buffer: ByteBuffer) throws(SCTPParseError) -> DCEPMessage {
        let r = buffer.readerIndex
        guard let type = buffer.getInteger(at: r, as: UInt8.self) else { throw .badDCEPMessage("empty message") }
        switch type {
        case 0x02:
            return .ack
        case 0x03:
            guard buffer.readableBytes >= 12 else { throw .badDCEPMessage("DATA_CHANNEL_OPEN shorter than 12 bytes") }
            let ct = buffer.getInteger(at: r + 1, as: UInt8.self)!
            let priority = buffer.getInteger(at: r + 2, as: UInt16.self)!
            let param = buffer.getInteger(at: r + 4, as: UInt32.self)!
            let labelLength = Int(buffer.getInteger(at: r + 8, as: UInt16.self)!)
            let protocolLength = Int(buffer.getInteger(at: r + 10, as: UInt16.self)!)
            guard 12 + labelLength + protocolLength <= buffer.readableBytes else {
                throw .badDCEPMessage("label/protocol lengths \(labelLength)+\(protocolLength) exceed message")
            }
            let label = buffer.getString(at: r + 12, length: labelLength) ?? ""
            let proto = buffer.getString(at: r + 12 + labelLength, length: protocolLength) ?? ""
            let channelType: DCEPChannelType
            switch ct & 0x7F {
            case 0x00: channelType = .reliable
            case 0x01: channelType = .partialReliableRexmit(param)
            case 0x02: channelType = .partialReliableTimed(param)
            default: throw .badDCEPMessage("unknown channel type 0x\(String(ct, radix: 16))")
            }
            return .open(channelType: channelType, unordered: ct & 0x80 != 0, priority: priority, label: label, protocol: proto)
        default:
            throw .badDCEPMessage("unknown message type 0x\(String(type, radix: 16))")
        }
    }

    /// Serializes the message. RFC 8832 §5.
    public func serialized() -> ByteBuffer {
        var b = ByteBuffer()
        switch self {
        case .ack:
            b.writeInteger(UInt8(0x02))
        case .open(let channelType, let unordered, let priority, let label, let proto):
            b.writeInteger(UInt8(0x03))
            var ct: UInt8
            let param: UInt32
            switch channelType {
            case .reliable: ct = 0x00; param = 0
            case .partialReliableRexmit(let n): ct = 0x01; param = n
            case .partialReliableTimed(let ms): ct = 0x02; param = ms
            }
            if unordered { ct |= 0x80 }
            b.writeInteger(ct)
            b.writeInteger(priority)
            b.writeInteger(param)
            let l = Array(label.utf8.prefix(65535)), p = Array(proto.utf8.prefix(65535))
            b.writeInteger(UInt16(l.count))
            b.writeInteger(UInt16(p.count))
            b.writeBytes(l)
            b.writeBytes(p)
        }
        return b
    }
}
