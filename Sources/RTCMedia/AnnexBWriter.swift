import NIOCore
import RTCRTP

/// Writes an H.264 elementary stream in Annex B byte-stream form (ITU-T H.264 Annex B): each
/// access unit's NAL units, each after a 4-byte start code `00 00 00 01`, one access unit after
/// the other. Such a file has no header and no timestamps; players assume a frame rate.
///
/// The writer remembers the last sequence and picture parameter sets (NAL types 7 and 8) and
/// puts them before every access unit with an IDR slice (type 5) that lacks them, so a decoder
/// can start at any key frame. With ``waitsForKeyFrame`` (the default) access units before the
/// first IDR whose parameter sets are known are skipped, as a decoder could not use them.
///
/// Sans-IO: bytes are appended to the buffer you pass; nothing needs patching afterwards.
public struct AnnexBWriter: Sendable {
    /// Whether access units before the first decodable IDR access unit are skipped.
    public let waitsForKeyFrame: Bool
    /// The last sequence parameter set seen (without start code).
    public private(set) var sequenceParameterSet: ByteBuffer?
    /// The last picture parameter set seen (without start code).
    public private(set) var pictureParameterSet: ByteBuffer?
    /// Access units written.
    public private(set) var accessUnitCount = 0
    /// Access units skipped while waiting for a key frame.
    public private(set) var skippedAccessUnitCount = 0
    /// Whether ``finish(into:)`` was called.
    public private(set) var isFinished = false
    private var started: Bool

    /// Creates a writer.
    public init(waitsForKeyFrame: Bool = true) {
        self.waitsForKeyFrame = waitsForKeyFrame
        started = !waitsForKeyFrame
    }

    /// Appends one access unit, given in Annex B form (start codes of 3 or 4 bytes) or as one
    /// bare NAL unit, with SPS and PPS put in front of an IDR access unit that lacks them.
    /// Returns false when the access unit was skipped while waiting for a key frame.
    ///
    /// Throws ``MediaWriterError/emptyFrame`` when it holds no NAL unit, or
    /// ``MediaWriterError/finished``.
    @discardableResult
    public mutating func write(accessUnit: ByteBuffer, into buffer: inout ByteBuffer) throws(MediaWriterError) -> Bool {
        guard !isFinished else { throw .finished }
        let nals = H264PayloadFormat.nalUnits(inAnnexB: accessUnit)
        guard !nals.isEmpty else { throw .emptyFrame }
        var hasSPS = false
        var hasPPS = false
        var hasIDR = false
        for nal in nals {
            switch H264PayloadFormat.type(of: nal) {
            case H264PayloadFormat.NALUnitType.sequenceParameterSet: hasSPS = true; sequenceParameterSet = nal
            case H264PayloadFormat.NALUnitType.pictureParameterSet: hasPPS = true; pictureParameterSet = nal
            case H264PayloadFormat.NALUnitType.idrSlice: hasIDR = true
            default: break
            }
        }
        if !started {
            guard hasIDR, sequenceParameterSet != nil, pictureParameterSet != nil else {
                skippedAccessUnitCount += 1
                return false
            }
            started = true
        }
        buffer.reserveCapacity(minimumWritableBytes: accessUnit.readableBytes + 4 * nals.count + 64)
        if hasIDR {
            if !hasSPS, let sequenceParameterSet { Self.writeNAL(sequenceParameterSet, into: &buffer) }
            if !hasPPS, let pictureParameterSet { Self.writeNAL(pictureParameterSet, into: &buffer) }
        }
        for nal in nals { Self.writeNAL(nal, into: &buffer) }
        accessUnitCount += 1
        return true
    }

    /// Ends the stream. Returns no patches (Annex B has no header); throws
    /// ``MediaWriterError/finished`` when called twice.
    public mutating func finish(into buffer: inout ByteBuffer) throws(MediaWriterError) -> [MediaFilePatch] {
        guard !isFinished else { throw .finished }
        isFinished = true
        return []
    }

    private static func writeNAL(_ nal: ByteBuffer, into buffer: inout ByteBuffer) {
        buffer.writeInteger(UInt32(1))
        buffer.writeImmutableBuffer(nal)
    }
}
