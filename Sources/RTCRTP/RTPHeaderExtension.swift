import NIOCore

/// One header-extension element: a local identifier and its value (RFC 8285 §4.2, §4.3).
public struct RTPHeaderExtensionElement: Hashable, Sendable {
    /// The local identifier negotiated with `a=extmap` (1–14 one-byte, 1–255 two-byte; RFC 8285 §5).
    public var id: UInt8
    /// The element's value (a view into the packet when parsed; RFC 8285 §4.2).
    public var value: ByteBuffer

    /// Creates an element from an identifier and a value (RFC 8285 §4.1).
    public init(id: UInt8, value: ByteBuffer) {
        self.id = id
        self.value = value
    }

    /// Creates an element from an identifier and value bytes (RFC 8285 §4.1).
    public init(id: UInt8, bytes: [UInt8]) {
        self.id = id
        self.value = ByteBuffer(bytes: bytes)
    }
}

/// The RTP header extension block (RFC 3550 §5.3.1) in the RFC 8285 one-byte (`0xBEDE`) or
/// two-byte (`0x100X`) form, or a profile-specific form kept as raw bytes.
///
/// The block is stored as parsed — a 16-bit profile and its data (a view into the packet) — so
/// a parse re-serializes byte-exactly (padding between elements included) and parsing costs no
/// allocation. `elements` decodes the RFC 8285 forms; `value(forID:)` finds one element without
/// allocating.
public struct RTPHeaderExtension: Hashable, Sendable {
    /// The "defined by profile" value of the one-byte form (RFC 8285 §4.2).
    public static let oneByteProfile: UInt16 = 0xBEDE
    /// The two-byte form's profile with its 4 application bits cleared (RFC 8285 §4.3).
    public static let twoByteProfile: UInt16 = 0x1000

    /// Which encoding the block uses (RFC 8285 §4.1).
    public enum Form: Hashable, Sendable {
        /// One-byte headers: ID 1–14, 1–16 value bytes (RFC 8285 §4.2).
        case oneByte
        /// Two-byte headers: ID 1–255, 0–255 value bytes, 4 application bits (RFC 8285 §4.3).
        case twoByte(appBits: UInt8)
        /// Any other profile value: the data is opaque (RFC 3550 §5.3.1).
        case profileSpecific
    }

    /// Why elements could not be encoded (RFC 8285 §4.2, §4.3).
    public enum BuildError: Error, Hashable, Sendable {
        /// The ID is outside the range the form allows.
        case invalidID(UInt8)
        /// The value length is outside the range the form allows.
        case invalidLength(id: UInt8, length: Int)
        /// The encoded block would exceed the 16-bit word count of RFC 3550 §5.3.1.
        case tooLong
    }

    /// The 16-bit "defined by profile" field (RFC 3550 §5.3.1).
    public var profile: UInt16
    /// The extension data after the 4-byte extension header; a multiple of 4 bytes (RFC 3550 §5.3.1).
    public var data: ByteBuffer

    /// A block with an explicit profile and data; `data` is zero-padded to 32 bits when serialized (RFC 3550 §5.3.1).
    public init(profile: UInt16, data: ByteBuffer) {
        self.profile = profile
        self.data = data
    }

    /// Encodes `elements` in the one-byte form: IDs 1–14, values of 1–16 bytes (RFC 8285 §4.2).
    public init(oneByte elements: [RTPHeaderExtensionElement]) throws(BuildError) {
        var size = 0
        for e in elements {
            guard (1...14).contains(e.id) else { throw .invalidID(e.id) }
            guard (1...16).contains(e.value.readableBytes) else { throw .invalidLength(id: e.id, length: e.value.readableBytes) }
            size += 1 + e.value.readableBytes
        }
        let padded = (size + 3) & ~3
        guard padded / 4 <= Int(UInt16.max) else { throw .tooLong }
        var buffer = ByteBuffer()
        buffer.reserveCapacity(padded)
        for e in elements {
            buffer.writeInteger(e.id << 4 | UInt8(e.value.readableBytes - 1))
            buffer.writeImmutableBuffer(e.value)
        }
        buffer.writeRepeatingByte(0, count: padded - size)
        self.init(profile: Self.oneByteProfile, data: buffer)
    }

    /// Encodes `elements` in the two-byte form: IDs 1–255, values of 0–255 bytes (RFC 8285 §4.3).
    public init(twoByte elements: [RTPHeaderExtensionElement], appBits: UInt8 = 0) throws(BuildError) {
        var size = 0
        for e in elements {
            guard e.id != 0 else { throw .invalidID(e.id) }
            guard e.value.readableBytes <= 255 else { throw .invalidLength(id: e.id, length: e.value.readableBytes) }
            size += 2 + e.value.readableBytes
        }
        let padded = (size + 3) & ~3
        guard padded / 4 <= Int(UInt16.max) else { throw .tooLong }
        var buffer = ByteBuffer()
        buffer.reserveCapacity(padded)
        for e in elements {
            buffer.writeInteger(e.id)
            buffer.writeInteger(UInt8(e.value.readableBytes))
            buffer.writeImmutableBuffer(e.value)
        }
        buffer.writeRepeatingByte(0, count: padded - size)
        self.init(profile: Self.twoByteProfile | UInt16(appBits & 0x0F), data: buffer)
    }

    /// Encodes `elements` in the one-byte form when they all fit it, else the two-byte form (RFC 8285 §4.1).
    public init(elements: [RTPHeaderExtensionElement]) throws(BuildError) {
        if elements.allSatisfy({ (1...14).contains($0.id) && (1...16).contains($0.value.readableBytes) }) {
            try self.init(oneByte: elements)
        } else {
            try self.init(twoByte: elements)
        }
    }

    /// The encoding this block's profile announces (RFC 8285 §4.1).
    public var form: Form {
        if profile == Self.oneByteProfile { return .oneByte }
        if profile & 0xFFF0 == Self.twoByteProfile { return .twoByte(appBits: UInt8(profile & 0x0F)) }
        return .profileSpecific
    }

    /// The elements of a one- or two-byte block in order, padding skipped; empty for a
    /// profile-specific block (RFC 8285 §4.2, §4.3).
    public var elements: [RTPHeaderExtensionElement] {
        var out: [RTPHeaderExtensionElement] = []
        forEachElement { out.append($0) }
        return out
    }

    /// The value of the first element with `id`, without allocating (RFC 8285 §4).
    public func value(forID id: UInt8) -> ByteBuffer? {
        var found: ByteBuffer? = nil
        forEachElement { e in
            if found == nil && e.id == id { found = e.value }
        }
        return found
    }

    /// Calls `body` for each element of a one- or two-byte block (RFC 8285 §4.2, §4.3).
    /// Assumes a block that `validate` accepted; stops at anything malformed.
    public func forEachElement(_ body: (RTPHeaderExtensionElement) -> Void) {
        let oneByte: Bool
        switch form {
        case .oneByte: oneByte = true
        case .twoByte: oneByte = false
        case .profileSpecific: return
        }
        let start = data.readerIndex
        let end = start + data.readableBytes
        var i = start
        while i < end {
            guard let first = data.getInteger(at: i, as: UInt8.self) else { return }
            if oneByte {
                let id = first >> 4
                if id == 0 { i += 1; continue }  // padding byte (RFC 8285 §4.2)
                if id == 15 { return }  // reserved: stop processing (RFC 8285 §4.2)
                let length = Int(first & 0x0F) + 1
                guard i + 1 + length <= end, let value = data.getSlice(at: i + 1, length: length) else { return }
                body(RTPHeaderExtensionElement(id: id, value: value))
                i += 1 + length
            } else {
                if first == 0 { i += 1; continue }  // padding byte (RFC 8285 §4.3)
                guard i + 2 <= end, let lengthByte = data.getInteger(at: i + 1, as: UInt8.self) else { return }
                let length = Int(lengthByte)
                guard i + 2 + length <= end, let value = data.getSlice(at: i + 2, length: length) else { return }
                body(RTPHeaderExtensionElement(id: first, value: value))
                i += 2 + length
            }
        }
    }

    /// Checks that every element of a one- or two-byte block lies inside it (RFC 8285 §4.2, §4.3);
    /// `baseOffset` is the data's offset in the packet, for the error.
    func validate(baseOffset: Int) throws(RTPParseError) {
        let oneByte: Bool
        switch form {
        case .oneByte: oneByte = true
        case .twoByte: oneByte = false
        case .profileSpecific: return
        }
        let start = data.readerIndex
        let end = start + data.readableBytes
        var i = start
        while i < end {
            let first = data.getInteger(at: i, as: UInt8.self) ?? 0
            if oneByte {
                let id = first >> 4
                if id == 0 { i += 1; continue }
                if id == 15 { return }
                let length = Int(first & 0x0F) + 1
                guard i + 1 + length <= end else {
                    throw .extensionElementOverrun(offset: baseOffset + (i - start), id: id, length: length)
                }
                i += 1 + length
            } else {
                if first == 0 { i += 1; continue }
                guard i + 2 <= end else {
                    throw .extensionElementOverrun(offset: baseOffset + (i - start), id: first, length: -1)
                }
                let length = Int(data.getInteger(at: i + 1, as: UInt8.self) ?? 0)
                guard i + 2 + length <= end else {
                    throw .extensionElementOverrun(offset: baseOffset + (i - start), id: first, length: length)
                }
                i += 2 + length
            }
        }
    }

    /// Bytes this block takes in a packet: the 4-byte header plus data padded to 32 bits (RFC 3550 §5.3.1).
    public var serializedSize: Int { 4 + ((data.readableBytes + 3) & ~3) }
}
