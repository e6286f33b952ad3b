import NIOCore
import RTCCore

/// The magic cookie, bytes 4–7 of every RFC 5389/8489 message (RFC 8489 §5).
public let stunMagicCookie: UInt32 = 0x2112_A442

/// A STUN message (RFC 8489 §5–6): type, transaction id and attributes in order.
///
/// MESSAGE-INTEGRITY, MESSAGE-INTEGRITY-SHA256 and FINGERPRINT are not part of `attributes`:
/// the encoder computes them (`encode(into:integrity:…)`) and the parser reports them in
/// `STUNParsedMessage`, which verifies them against the exact received bytes.
public struct STUNMessage: Hashable, Sendable {
    /// The message type.
    public var type: STUNMessageType
    /// The transaction id.
    public var transactionID: STUNTransactionID
    /// Attributes in wire order (without the integrity and fingerprint attributes).
    public var attributes: [STUNAttribute]

    /// Creates a message.
    public init(type: STUNMessageType, transactionID: STUNTransactionID, attributes: [STUNAttribute] = []) {
        self.type = type
        self.transactionID = transactionID
        self.attributes = attributes
    }

    /// The first attribute of `type`, if any.
    public func attribute(_ type: STUNAttributeType) -> STUNAttribute? {
        attributes.first { $0.type == type }
    }

    /// `true` if an attribute of `type` is present.
    public func contains(_ type: STUNAttributeType) -> Bool {
        attributes.contains { $0.type == type }
    }

    /// Appends an attribute.
    public mutating func append(_ attribute: STUNAttribute) {
        attributes.append(attribute)
    }

    /// Comprehension-required attribute types (< 0x8000) not in `understood` (RFC 8489 §7.3.1):
    /// what a 420 response lists in UNKNOWN-ATTRIBUTES. Empty when the message is fine.
    public func unknownComprehensionRequired(
        understood: Set<STUNAttributeType> = STUNAttributeType.understoodComprehensionRequired
    ) -> [STUNAttributeType] {
        var out: [STUNAttributeType] = []
        for a in attributes where a.type.isComprehensionRequired && !understood.contains(a.type) && !out.contains(a.type) {
            out.append(a.type)
        }
        return out
    }

    /// Encodes the message at the writer index of `buffer` (RFC 8489 §5, §14.5–14.7):
    /// attributes padded to 4 bytes with `paddingByte` (zero by default; RFC 5769's vectors use
    /// 0x20), then MESSAGE-INTEGRITY when `integrity` is given, MESSAGE-INTEGRITY-SHA256 when
    /// `integritySHA256` is given, and FINGERPRINT when `fingerprint` is true. Each of these is
    /// computed over the message so far with the length field already counting it.
    public func encode(into buffer: inout ByteBuffer, integrity: STUNIntegrityKey? = nil,
                       integritySHA256: STUNIntegrityKey? = nil, fingerprint: Bool = false,
                       paddingByte: UInt8 = 0) {
        let start = buffer.writerIndex
        buffer.writeInteger(type.rawValue)
        buffer.writeInteger(UInt16(0))
        buffer.writeInteger(stunMagicCookie)
        buffer.writeInteger(transactionID.high)
        buffer.writeInteger(transactionID.low)
        for a in attributes {
            let length = min(a.value.count, 0xffff)
            buffer.writeInteger(a.type.rawValue)
            buffer.writeInteger(UInt16(length))
            buffer.writeBytes(a.value[0..<length])
            let pad = (4 - length % 4) % 4
            if pad > 0 { buffer.writeRepeatingByte(paddingByte, count: pad) }
        }
        func setLength(adding extra: Int) {
            let bodyLength = buffer.writerIndex - start - 20 + extra
            buffer.setInteger(UInt16(truncatingIfNeeded: bodyLength), at: start + 2)
        }
        if let key = integrity {
            setLength(adding: 24)
            let mac = buffer.withUnsafeReadableBytes { raw in
                key.hmacSHA1(UnsafeRawBufferPointer(rebasing: raw[(start - buffer.readerIndex)...]))
            }
            buffer.writeInteger(STUNAttributeType.messageIntegrity.rawValue)
            buffer.writeInteger(UInt16(20))
            buffer.writeBytes(mac)
        }
        if let key = integritySHA256 {
            setLength(adding: 36)
            let mac = buffer.withUnsafeReadableBytes { raw in
                key.hmacSHA256(UnsafeRawBufferPointer(rebasing: raw[(start - buffer.readerIndex)...]))
            }
            buffer.writeInteger(STUNAttributeType.messageIntegritySHA256.rawValue)
            buffer.writeInteger(UInt16(32))
            buffer.writeBytes(mac)
        }
        if fingerprint {
            setLength(adding: 8)
            let crc = buffer.withUnsafeReadableBytes { raw in
                CRC32.checksum(UnsafeRawBufferPointer(rebasing: raw[(start - buffer.readerIndex)...]))
            }
            buffer.writeInteger(STUNAttributeType.fingerprint.rawValue)
            buffer.writeInteger(UInt16(4))
            buffer.writeInteger(crc ^ stunFingerprintXOR)
        }
        setLength(adding: 0)
    }

    /// The encoded message as a new buffer (see `encode(into:…)`).
    public func encoded(integrity: STUNIntegrityKey? = nil, integritySHA256: STUNIntegrityKey? = nil,
                        fingerprint: Bool = false, paddingByte: UInt8 = 0,
                        allocator: ByteBufferAllocator = ByteBufferAllocator()) -> ByteBuffer {
        var buffer = allocator.buffer(capacity: 20 + attributes.reduce(0) { $0 + 4 + ($1.value.count + 3) & ~3 } + 72)
        encode(into: &buffer, integrity: integrity, integritySHA256: integritySHA256,
               fingerprint: fingerprint, paddingByte: paddingByte)
        return buffer
    }
}
