import NIOCore

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

/// What was wrong with a DCEP message. RFC 8832 §5.
public enum DCEPParseError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The message has no bytes (not even a message type).
    case empty
    /// The message type is neither DATA_CHANNEL_OPEN (0x03) nor DATA_CHANNEL_ACK (0x02). RFC 8832 §8.2.1.
    case unknownMessageType(UInt8)
    /// A DATA_CHANNEL_OPEN shorter than its 12-byte fixed part. RFC 8832 §5.1.
    case openTooShort(length: Int)
    /// The label and protocol lengths of a DATA_CHANNEL_OPEN run past the end of the message. RFC 8832 §5.1.
    case lengthsExceedMessage(labelLength: Int, protocolLength: Int, available: Int)
    /// The channel type (without the unordered bit) is not 0x00, 0x01 or 0x02. RFC 8832 §5.1.
    case unknownChannelType(UInt8)
    /// The label is not valid UTF-8. RFC 8832 §5.1.
    case labelNotUTF8
    /// The protocol is not valid UTF-8. RFC 8832 §5.1.
    case protocolNotUTF8

    /// A sentence saying what was wrong.
    public var description: String {
        switch self {
        case .empty: return "empty DCEP message"
        case .unknownMessageType(let t): return "unknown DCEP message type 0x\(String(t, radix: 16))"
        case .openTooShort(let n): return "DATA_CHANNEL_OPEN of \(n) bytes is shorter than its 12-byte header"
        case .lengthsExceedMessage(let l, let p, let available):
            return "DATA_CHANNEL_OPEN label/protocol lengths \(l)+\(p) exceed the \(available) bytes after its header"
        case .unknownChannelType(let t): return "unknown DATA_CHANNEL_OPEN channel type 0x\(String(t, radix: 16))"
        case .labelNotUTF8: return "DATA_CHANNEL_OPEN label is not valid UTF-8"
        case .protocolNotUTF8: return "DATA_CHANNEL_OPEN protocol is not valid UTF-8"
        }
    }
}

/// A Data Channel Establishment Protocol message. RFC 8832 §5.
public enum DCEPMessage: Equatable, Sendable {
    /// DATA_CHANNEL_OPEN (message type 0x03). RFC 8832 §5.1.
    case open(channelType: DCEPChannelType, unordered: Bool, priority: UInt16, label: String, protocol: String)
    /// DATA_CHANNEL_ACK (message type 0x02). RFC 8832 §5.2.
    case ack

    /// Message type of DATA_CHANNEL_OPEN. RFC 8832 §8.2.1.
    static let openType: UInt8 = 0x03
    /// Message type of DATA_CHANNEL_ACK. RFC 8832 §8.2.1.
    static let ackType: UInt8 = 0x02

    /// Parses a DCEP message (the payload of a PPID 50 user message), bounds-checked; label
    /// and protocol are validated as UTF-8 and decoded with a single copy. RFC 8832 §5.
    public static func parse(_ buffer: ByteBuffer) throws(DCEPParseError) -> DCEPMessage {
        let r = buffer.readerIndex
        guard let type = buffer.getInteger(at: r, as: UInt8.self) else { throw .empty }
        switch type {
        case ackType:
            return .ack
        case openType:
            guard buffer.readableBytes >= 12,
                  let ct = buffer.getInteger(at: r + 1, as: UInt8.self),
                  let priority = buffer.getInteger(at: r + 2, as: UInt16.self),
                  let param = buffer.getInteger(at: r + 4, as: UInt32.self),
                  let labelLength16 = buffer.getInteger(at: r + 8, as: UInt16.self),
                  let protocolLength16 = buffer.getInteger(at: r + 10, as: UInt16.self) else {
                throw .openTooShort(length: buffer.readableBytes)
            }
            let labelLength = Int(labelLength16), protocolLength = Int(protocolLength16)
            guard labelLength + protocolLength <= buffer.readableBytes - 12 else {
                throw .lengthsExceedMessage(labelLength: labelLength, protocolLength: protocolLength,
                                            available: buffer.readableBytes - 12)
            }
            let channelType: DCEPChannelType
            switch ct & 0x7F {
            case 0x00: channelType = .reliable
            case 0x01: channelType = .partialReliableRexmit(param)
            case 0x02: channelType = .partialReliableTimed(param)
            default: throw .unknownChannelType(ct)
            }
            guard let label = buffer.viewBytes(at: r + 12, length: labelLength).flatMap(decodeUTF8) else { throw .labelNotUTF8 }
            guard let proto = buffer.viewBytes(at: r + 12 + labelLength, length: protocolLength).flatMap(decodeUTF8) else {
                throw .protocolNotUTF8
            }
            return .open(channelType: channelType, unordered: ct & 0x80 != 0, priority: priority, label: label, protocol: proto)
        default:
            throw .unknownMessageType(type)
        }
    }

    /// Serializes the message. Label and protocol longer than 65,535 bytes are cut to that
    /// length (`DataChannelManager` refuses such channels before they get here). RFC 8832 §5.
    public func serialized() -> ByteBuffer {
        var b = ByteBuffer()
        switch self {
        case .ack:
            b.writeInteger(DCEPMessage.ackType)
        case .open(let channelType, let unordered, let priority, let label, let proto):
            let labelLength = min(label.utf8.count, 65535), protocolLength = min(proto.utf8.count, 65535)
            b.reserveCapacity(12 + labelLength + protocolLength)
            b.writeInteger(DCEPMessage.openType)
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
            b.writeInteger(UInt16(labelLength))
            b.writeInteger(UInt16(protocolLength))
            b.writeBytes(label.utf8.prefix(labelLength))
            b.writeBytes(proto.utf8.prefix(protocolLength))
        }
        return b
    }
}

/// Decodes UTF-8 bytes into a `String`, validating them in the same pass that copies them
/// (one copy; no repair of invalid sequences): `nil` when the bytes are not valid UTF-8.
func decodeUTF8(_ bytes: ByteBufferView) -> String? {
    if #available(macOS 15, iOS 18, tvOS 18, watchOS 11, visionOS 2, *) {
        return String(validating: bytes, as: UTF8.self)
    }
    // Older Apple platforms: validate without copying, then decode (one copy).
    var parser = Unicode.UTF8.ForwardParser()
    var iterator = bytes.makeIterator()
    while true {
        switch parser.parseScalar(from: &iterator) {
        case .valid: continue
        case .emptyInput: return String(decoding: bytes, as: UTF8.self)
        case .error: return nil
        }
    }
}
