import NIOCore

/// RE-CONFIG chunk: one or two re-configuration parameters. RFC 6525 §3.1.
public struct ReconfigChunk: Equatable, Sendable {
    /// A re-configuration parameter. RFC 6525 §4.
    public enum Parameter: Equatable, Sendable {
        /// Outgoing SSN Reset Request: the sender resets its outgoing streams (the receiver's
        /// incoming ones) once all TSNs up to `senderLastTSN` arrived. RFC 6525 §4.1.
        case outgoingReset(requestSequence: UInt32, responseSequence: UInt32, senderLastTSN: UInt32, streams: [UInt16])
        /// Incoming SSN Reset Request. RFC 6525 §4.2.
        case incomingReset(requestSequence: UInt32, streams: [UInt16])
        /// Re-configuration Response. RFC 6525 §4.4.
        case response(responseSequence: UInt32, result: UInt32)
        /// Any other parameter, kept verbatim.
        case other(SCTPParameter)
    }

    /// Result codes of a Re-configuration Response. RFC 6525 §4.4.
    public enum Result {
        /// Success - Nothing to do.
        public static let successNothingToDo: UInt32 = 0
        /// Success - Performed.
        public static let successPerformed: UInt32 = 1
        /// Denied.
        public static let denied: UInt32 = 2
        /// Error - Wrong SSN.
        public static let errorWrongSSN: UInt32 = 3
        /// Error - Request already in progress.
        public static let errorRequestInProgress: UInt32 = 4
        /// Error - Bad Sequence Number.
        public static let errorBadSequenceNumber: UInt32 = 5
        /// In progress.
        public static let inProgress: UInt32 = 6
    }

    /// The parameters, in order.
    public var parameters: [Parameter]

    /// Creates a RE-CONFIG.
    public init(parameters: [Parameter]) {
        self.parameters = parameters
    }

    /// Decodes the chunk value. RFC 6525 §3.1, §4.
    public init(value: ByteBuffer) throws(SCTPParseError) {
        var out: [Parameter] = []
        for p in try SCTPParameter.parseList(value) {
            let v = p.value
            let r = v.readerIndex
            switch p.type {
            case SCTPParameter.outgoingSSNResetRequest:
                guard v.readableBytes >= 12, v.readableBytes % 2 == 0 else {
                    throw .invalidField(chunk: SCTPChunkType.reconfig, field: "Outgoing SSN Reset Request length")
                }
                var streams: [UInt16] = []
                var o = r + 12
                while o + 2 <= v.writerIndex { streams.append(v.getInteger(at: o)!); o += 2 }
                out.append(.outgoingReset(requestSequence: v.getInteger(at: r)!, responseSequence: v.getInteger(at: r + 4)!,
                                          senderLastTSN: v.getInteger(at: r + 8)!, streams: streams))
            case SCTPParameter.incomingSSNResetRequest:
                guard v.readableBytes >= 4, v.readableBytes % 2 == 0 else {
                    throw .invalidField(chunk: SCTPChunkType.reconfig, field: "Incoming SSN Reset Request length")
                }
                var streams: [UInt16] = []
                var o = r + 4
                while o + 2 <= v.writerIndex { streams.append(v.getInteger(at: o)!); o += 2 }
                out.append(.incomingReset(requestSequence: v.getInteger(at: r)!, streams: streams))
            case SCTPParameter.reconfigurationResponse:
                guard v.readableBytes == 8 || v.readableBytes == 16 else {
                    throw .invalidField(chunk: SCTPChunkType.reconfig, field: "Re-configuration Response length")
                }
                out.append(.response(responseSequence: v.getInteger(at: r)!, result: v.getInteger(at: r + 4)!))
            default:
                out.append(.other(p))
            }
        }
        parameters = out
    }

    /// Writes the chunk. RFC 6525 §3.1.
    public func write(to buffer: inout ByteBuffer) {
        SCTPChunk.writeTLVChunk(type: SCTPChunkType.reconfig, flags: 0, to: &buffer) { b in
            var pad = 0
            for p in parameters {
                let start = b.writerIndex
                switch p {
                case .outgoingReset(let req, let resp, let last, let streams):
                    b.writeInteger(SCTPParameter.outgoingSSNResetRequest)
                    b.writeInteger(UInt16(truncatingIfNeeded: 16 + 2 * streams.count))
                    b.writeInteger(req)
                    b.writeInteger(resp)
                    b.writeInteger(last)
                    for s in streams { b.writeInteger(s) }
                case .incomingReset(let req, let streams):
                    b.writeInteger(SCTPParameter.incomingSSNResetRequest)
                    b.writeInteger(UInt16(truncatingIfNeeded: 8 + 2 * streams.count))
                    b.writeInteger(req)
                    for s in streams { b.writeInteger(s) }
                case .response(let resp, let result):
                    b.writeInteger(SCTPParameter.reconfigurationResponse)
                    b.writeInteger(UInt16(12))
                    b.writeInteger(resp)
                    b.writeInteger(result)
                case .other(let param):
                    param.write(to: &b)
                }
                let unpadded = b.writerIndex
                b.writeSCTPPadding(from: start)
                pad = b.writerIndex - unpadded
            }
            return pad
        }
    }
}
