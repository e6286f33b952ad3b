/// DTLS record content types (RFC 5246 §6.2.1).
public enum DTLSContentType: UInt8, Sendable {
    /// change_cipher_spec (RFC 5246 §7.1).
    case changeCipherSpec = 20
    /// alert (RFC 5246 §7.2).
    case alert = 21
    /// handshake (RFC 5246 §7.4).
    case handshake = 22
    /// application_data (RFC 5246 §10).
    case applicationData = 23
}

/// One DTLS record (RFC 6347 §4.1): the 13-byte header and its (possibly protected) fragment.
public struct DTLSRecord: Equatable, Sendable {
    /// Size of the record header.
    public static let headerLength = 13
    /// DTLS 1.2 wire version `{254, 253}` (RFC 6347 §4.1).
    public static let version12: UInt16 = 0xFEFD
    /// DTLS 1.0 wire version `{254, 255}`, used by some ClientHello / HelloVerifyRequest records.
    public static let version10: UInt16 = 0xFEFF

    /// The content type byte.
    public var contentType: UInt8
    /// The protocol version.
    public var version: UInt16
    /// The epoch (RFC 6347 §4.1).
    public var epoch: UInt16
    /// The 48-bit sequence number (RFC 6347 §4.1).
    public var sequenceNumber: UInt64
    /// The fragment (plaintext at epoch 0, AEAD-protected afterwards).
    public var fragment: [UInt8]

    /// Creates a record.
    public init(contentType: UInt8, version: UInt16 = DTLSRecord.version12, epoch: UInt16, sequenceNumber: UInt64, fragment: [UInt8]) {
        self.contentType = contentType
        self.version = version
        self.epoch = epoch
        self.sequenceNumber = sequenceNumber & 0xFFFF_FFFF_FFFF
        self.fragment = fragment
    }

    /// Parses every record in a datagram (RFC 6347 §4.1: several records may share one datagram).
    /// Throws on the first malformed record; records before it are returned through `partial`.
    public static func parseAll(_ datagram: [UInt8]) throws -> [DTLSRecord] {
        var records: [DTLSRecord] = []
        var offset = 0
        while offset < datagram.count {
            records.append(try parse(datagram, offset: &offset))
        }
        return records
    }

    /// Parses one record starting at `offset` and advances it past the record.
    public static func parse(_ bytes: [UInt8], offset: inout Int) throws -> DTLSRecord {
        var r = DTLSReader(bytes, from: offset, to: bytes.count, context: "record")
        let type = try r.u8("content type")
        let version = try r.u16("version")
        guard version >> 8 == 0xFE else {
            throw DTLSError.decodeError(reason: "record: version \(version) is not DTLS at offset \(offset + 1)")
        }
        let epoch = try r.u16("epoch")
        let seq = try r.u48("sequence number")
        let length = Int(try r.u16("length"))
        guard length <= 16384 + 2048 else {
            throw DTLSError.decodeError(reason: "record: length \(length) too large at offset \(offset + 11)")
        }
        let fragment = try r.take(length, "fragment")
        offset = r.position
        return DTLSRecord(contentType: type, version: version, epoch: epoch, sequenceNumber: seq, fragment: fragment)
    }

    /// Appends the wire form of this record to `out`.
    public func serialize(into out: inout [UInt8]) {
        out.put8(contentType)
        out.put16(version)
        out.put16(epoch)
        out.put48(sequenceNumber)
        out.put16(UInt16(truncatingIfNeeded: fragment.count))
        out.append(contentsOf: fragment)
    }
}

/// Handshake message types (RFC 5246 §7.4, RFC 6347 §4.3.2).
public enum DTLSHandshakeType: UInt8, Sendable {
    /// hello_request (RFC 5246 §7.4.1.1).
    case helloRequest = 0
    /// client_hello (RFC 5246 §7.4.1.2).
    case clientHello = 1
    /// server_hello (RFC 5246 §7.4.1.3).
    case serverHello = 2
    /// hello_verify_request (RFC 6347 §4.2.1).
    case helloVerifyRequest = 3
    /// certificate (RFC 5246 §7.4.2).
    case certificate = 11
    /// server_key_exchange (RFC 5246 §7.4.3).
    case serverKeyExchange = 12
    /// certificate_request (RFC 5246 §7.4.4).
    case certificateRequest = 13
    /// server_hello_done (RFC 5246 §7.4.5).
    case serverHelloDone = 14
    /// certificate_verify (RFC 5246 §7.4.8).
    case certificateVerify = 15
    /// client_key_exchange (RFC 5246 §7.4.7).
    case clientKeyExchange = 16
    /// finished (RFC 5246 §7.4.9).
    case finished = 20
}

/// One handshake message fragment with its DTLS header (RFC 6347 §4.2.2).
public struct DTLSHandshakeFragment: Equatable, Sendable {
    /// Size of the DTLS handshake header.
    public static let headerLength = 12
    /// The handshake type byte.
    public var messageType: UInt8
    /// Length of the whole (reassembled) message body.
    public var length: Int
    /// The message sequence number (RFC 6347 §4.2.2).
    public var messageSeq: UInt16
    /// Where this fragment starts in the message body.
    public var fragmentOffset: Int
    /// The fragment bytes.
    public var body: [UInt8]

    /// Creates a fragment.
    public init(messageType: UInt8, length: Int, messageSeq: UInt16, fragmentOffset: Int, body: [UInt8]) {
        self.messageType = messageType
        self.length = length
        self.messageSeq = messageSeq
        self.fragmentOffset = fragmentOffset
        self.body = body
    }

    /// `true` if this fragment is the whole message.
    public var isComplete: Bool { fragmentOffset == 0 && body.count == length }

    /// Parses all handshake fragments in a (decrypted) handshake record (RFC 6347 §4.2.3).
    public static func parseAll(_ bytes: [UInt8]) throws -> [DTLSHandshakeFragment] {
        var r = DTLSReader(bytes, context: "handshake fragment")
        var out: [DTLSHandshakeFragment] = []
        while !r.isAtEnd {
            let type = try r.u8("msg_type")
            let length = try r.u24("length")
            let seq = try r.u16("message_seq")
            let offset = try r.u24("fragment_offset")
            let fragLength = try r.u24("fragment_length")
            guard offset + fragLength <= length else {
                throw DTLSError.decodeError(reason: "handshake fragment: offset \(offset) + length \(fragLength) exceeds message length \(length) at offset \(r.position)")
            }
            let body = try r.take(fragLength, "fragment body")
            out.append(DTLSHandshakeFragment(messageType: type, length: length, messageSeq: seq, fragmentOffset: offset, body: body))
        }
        return out
    }

    /// Appends header and body to `out`.
    public func serialize(into out: inout [UInt8]) {
        out.put8(messageType)
        out.put24(length)
        out.put16(messageSeq)
        out.put24(fragmentOffset)
        out.put24(body.count)
        out.append(contentsOf: body)
    }
}
