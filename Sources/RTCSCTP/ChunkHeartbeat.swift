import NIOCore

/// HEARTBEAT and HEARTBEAT ACK chunks: one Heartbeat Info parameter, echoed back verbatim.
/// RFC 9260 §3.3.5, §3.3.6.
public struct HeartbeatChunk: Equatable, Sendable {
    /// The sender-specific Heartbeat Information (opaque to the peer).
    public var info: ByteBuffer

    /// Creates a heartbeat (or heartbeat ack) carrying `info`.
    public init(info: ByteBuffer) {
        self.info = info
    }

    /// Decodes the chunk value; it must hold a Heartbeat Info parameter. RFC 9260 §3.3.5.
    public init(type: UInt8, value: ByteBuffer) throws(SCTPParseError) {
        let params = try SCTPParameter.parseList(value)
        guard let p = params.first(where: { $0.type == SCTPParameter.heartbeatInfo }) else {
            throw .invalidField(chunk: type, field: "missing Heartbeat Info parameter")
        }
        info = p.value
    }

    /// Writes the chunk with the given type (HEARTBEAT or HEARTBEAT ACK). RFC 9260 §3.3.5.
    public func write(type: UInt8, to buffer: inout ByteBuffer) {
        SCTPChunk.writeTLVChunk(type: type, flags: 0, to: &buffer) { b in
            SCTPParameter(type: SCTPParameter.heartbeatInfo, value: info).write(to: &b)
        }
    }
}
