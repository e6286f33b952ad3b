import NIOCore

/// A variable-length parameter (type, length, value), as carried by INIT, INIT-ACK, HEARTBEAT
/// and RE-CONFIG chunks. RFC 9260 §3.2.1.
public struct SCTPParameter: Equatable, Sendable {
    /// The parameter type. The two high bits say what a receiver that does not know it does. RFC 9260 §3.2.1.
    public var type: UInt16
    /// The value, without the 4-byte header and padding.
    public var value: ByteBuffer

    /// Creates a parameter.
    public init(type: UInt16, value: ByteBuffer) {
        self.type = type
        self.value = value
    }

    /// Creates a parameter from bytes.
    public init(type: UInt16, bytes: [UInt8]) {
        self.type = type
        self.value = ByteBuffer(bytes: bytes)
    }

    /// Heartbeat Info. RFC 9260 §3.3.5.
    public static let heartbeatInfo: UInt16 = 1
    /// State Cookie. RFC 9260 §3.3.3.1.
    public static let stateCookie: UInt16 = 7
    /// Unrecognized Parameter (in INIT-ACK). RFC 9260 §3.3.3.1.
    public static let unrecognizedParameter: UInt16 = 8
    /// Forward-TSN-Supported. RFC 3758 §3.1.
    public static let forwardTSNSupported: UInt16 = 0xC000
    /// Supported Extensions. RFC 5061 §4.2.7.
    public static let supportedExtensions: UInt16 = 0x8008
    /// Outgoing SSN Reset Request. RFC 6525 §4.1.
    public static let outgoingSSNResetRequest: UInt16 = 13
    /// Incoming SSN Reset Request. RFC 6525 §4.2.
    public static let incomingSSNResetRequest: UInt16 = 14
    /// Re-configuration Response. RFC 6525 §4.4.
    public static let reconfigurationResponse: UInt16 = 16

    /// Writes the parameter, padded to four bytes; returns the padding written. RFC 9260 §3.2.1.
    @discardableResult
    public func write(to buffer: inout ByteBuffer) -> Int {
        buffer.writeSCTPTypeLengthValue(type, value)
    }

    /// Parses consecutive parameters filling `buffer` (padding between them is skipped; the
    /// last one may lack its padding). RFC 9260 §3.2.1.
    public static func parseList(_ buffer: ByteBuffer) throws(SCTPParseError) -> [SCTPParameter] {
        try buffer.parseSCTPTypeLengthValues(
            badLength: { SCTPParseError.badParameterLength(type: $0, offset: $1, length: $2) },
            SCTPParameter.init(type:value:))
    }
}

/// An error cause inside an ERROR or ABORT chunk. RFC 9260 §3.3.10.
public struct SCTPErrorCause: Equatable, Sendable {
    /// The cause code. RFC 9260 §3.3.10.
    public var code: UInt16
    /// The cause-specific information, without the 4-byte header and padding.
    public var value: ByteBuffer

    /// Creates an error cause.
    public init(code: UInt16, value: ByteBuffer = ByteBuffer()) {
        self.code = code
        self.value = value
    }

    /// Invalid Stream Identifier. RFC 9260 §3.3.10.1.
    public static let invalidStreamIdentifier: UInt16 = 1
    /// Missing Mandatory Parameter. RFC 9260 §3.3.10.2.
    public static let missingMandatoryParameter: UInt16 = 2
    /// Stale Cookie. RFC 9260 §3.3.10.3.
    public static let staleCookie: UInt16 = 3
    /// Unrecognized Chunk Type. RFC 9260 §3.3.10.6.
    public static let unrecognizedChunkType: UInt16 = 6
    /// No User Data. RFC 9260 §3.3.10.9.
    public static let noUserData: UInt16 = 9
    /// User-Initiated Abort. RFC 9260 §3.3.10.12.
    public static let userInitiatedAbort: UInt16 = 12
    /// Protocol Violation. RFC 9260 §3.3.10.13.
    public static let protocolViolation: UInt16 = 13

    /// Writes the cause, padded to four bytes; returns the padding written. RFC 9260 §3.3.10.
    @discardableResult
    public func write(to buffer: inout ByteBuffer) -> Int {
        buffer.writeSCTPTypeLengthValue(code, value)
    }

    /// Parses consecutive error causes filling `buffer`. RFC 9260 §3.3.10.
    public static func parseList(_ buffer: ByteBuffer) throws(SCTPParseError) -> [SCTPErrorCause] {
        try buffer.parseSCTPTypeLengthValues(
            badLength: { SCTPParseError.badCauseLength(code: $0, offset: $1, length: $2) },
            SCTPErrorCause.init(code:value:))
    }
}

extension ByteBuffer {
    /// Writes a 4-byte type/length header, the value and padding to four bytes (the TLV layout
    /// shared by parameters and error causes); returns the padding written. RFC 9260 §3.2.1.
    fileprivate mutating func writeSCTPTypeLengthValue(_ type: UInt16, _ value: ByteBuffer) -> Int {
        let start = writerIndex
        writeInteger(type)
        writeInteger(UInt16(truncatingIfNeeded: 4 + value.readableBytes))
        var v = value
        writeBuffer(&v)
        let unpadded = writerIndex
        writeSCTPPadding(from: start)
        return writerIndex - unpadded
    }

    /// Parses consecutive TLVs filling the readable bytes (padding between them skipped, the
    /// last one may lack its padding); `badLength(type, offset, length)` makes the error for a
    /// length below 4 or past the end. RFC 9260 §3.2.1.
    fileprivate func parseSCTPTypeLengthValues<T>(
        badLength: (UInt16, Int, Int) -> SCTPParseError, _ make: (UInt16, ByteBuffer) -> T
    ) throws(SCTPParseError) -> [T] {
        var out: [T] = []
        var offset = readerIndex
        let end = writerIndex
        while end - offset >= 4 {
            let type = getInteger(at: offset, as: UInt16.self)!
            let length = Int(getInteger(at: offset + 2, as: UInt16.self)!)
            guard length >= 4, length <= end - offset else { throw badLength(type, offset - readerIndex, length) }
            out.append(make(type, getSlice(at: offset + 4, length: length - 4)!))
            offset += (length + 3) & ~3
        }
        return out
    }
}
