import NIOCore

/// The start of a WebM file (EBML header, Segment, reserved SeekHead, Info, Tracks) and the
/// SeekHead written over the reservation on finish.
extension WebMWriter {
    /// Appends the EBML header, the Segment's start (size back-filled), room for the SeekHead,
    /// Info (Duration back-filled) and Tracks, the first time. `base` is the file offset of
    /// the buffer's index 0.
    mutating func writeHeaderIfNeeded(base: Int, into buffer: inout ByteBuffer) {
        guard !layout.headerWritten else { return }
        layout.headerWritten = true
        EBMLWriter.writeMaster(MatroskaElementID.ebml, into: &buffer) { header in
            EBMLWriter.writeUnsigned(MatroskaElementID.ebmlVersion, 1, into: &header)
            EBMLWriter.writeUnsigned(MatroskaElementID.ebmlReadVersion, 1, into: &header)
            EBMLWriter.writeUnsigned(MatroskaElementID.ebmlMaxIDLength, 4, into: &header)
            EBMLWriter.writeUnsigned(MatroskaElementID.ebmlMaxSizeLength, 8, into: &header)
            EBMLWriter.writeString(MatroskaElementID.docType, "webm", into: &header)
            EBMLWriter.writeUnsigned(MatroskaElementID.docTypeVersion, 4, into: &header)
            EBMLWriter.writeUnsigned(MatroskaElementID.docTypeReadVersion, 2, into: &header)
        }
        EBMLWriter.writeID(MatroskaElementID.segment, into: &buffer)
        layout.segmentSizeOffset = base + buffer.writerIndex
        buffer.writeBytes(EBMLWriter.unknownSize)
        layout.segmentDataOffset = base + buffer.writerIndex

        layout.seekHeadOffset = base + buffer.writerIndex
        EBMLWriter.writeVoid(totalSize: Self.seekHeadReservation, into: &buffer)

        layout.infoOffset = base + buffer.writerIndex
        var info = ByteBuffer()
        EBMLWriter.writeUnsigned(MatroskaElementID.timestampScale, Self.timestampScale, into: &info)
        EBMLWriter.writeString(MatroskaElementID.muxingApp, application, into: &info)
        EBMLWriter.writeString(MatroskaElementID.writingApp, application, into: &info)
        EBMLWriter.writeFloat(MatroskaElementID.duration, 0, into: &info)  // last: back-filled
        EBMLWriter.writeHeader(MatroskaElementID.info, size: info.readableBytes, into: &buffer)
        buffer.writeBuffer(&info)
        layout.durationOffset = base + buffer.writerIndex - 8

        layout.tracksOffset = base + buffer.writerIndex
        var entries = ByteBuffer()
        var widthOffsetInEntries: Int?
        if let video, let number = videoTrackNumber {
            var entry = ByteBuffer()
            Self.writeTrackStart(number: number, type: 1, codecID: video.codec.codecID, into: &entry)
            let pictureStart = entry.writerIndex
            EBMLWriter.writeMaster(MatroskaElementID.video, into: &entry) { picture in
                // A size still unknown is written in 4 bytes and back-filled on finish.
                let given = video.width != nil && video.height != nil
                EBMLWriter.writeUnsigned(MatroskaElementID.pixelWidth, UInt64(video.width ?? 0), length: given ? nil : 4, into: &picture)
                EBMLWriter.writeUnsigned(MatroskaElementID.pixelHeight, UInt64(video.height ?? 0), length: given ? nil : 4, into: &picture)
            }
            EBMLWriter.writeHeader(MatroskaElementID.trackEntry, size: entry.readableBytes, into: &entries)
            if video.width == nil || video.height == nil {
                // Video's ID and size, then PixelWidth's ID and size, then its 4 bytes.
                widthOffsetInEntries = entries.writerIndex + pictureStart + 2 + 2
            }
            entries.writeBuffer(&entry)
        }
        if let audio, let number = audioTrackNumber {
            var entry = ByteBuffer()
            Self.writeTrackStart(number: number, type: 2, codecID: "A_OPUS", into: &entry)
            EBMLWriter.writeBinary(MatroskaElementID.codecPrivate, audio.opusHead, into: &entry)
            EBMLWriter.writeUnsigned(MatroskaElementID.codecDelay, UInt64(audio.preSkip) * 1_000_000_000 / 48_000, into: &entry)
            EBMLWriter.writeUnsigned(MatroskaElementID.seekPreRoll, Self.opusSeekPreRoll, into: &entry)
            EBMLWriter.writeMaster(MatroskaElementID.audio, into: &entry) { sound in
                EBMLWriter.writeFloat(MatroskaElementID.samplingFrequency, 48_000, into: &sound)
                EBMLWriter.writeUnsigned(MatroskaElementID.channels, UInt64(audio.channelCount), into: &sound)
            }
            EBMLWriter.writeHeader(MatroskaElementID.trackEntry, size: entry.readableBytes, into: &entries)
            entries.writeBuffer(&entry)
        }
        EBMLWriter.writeHeader(MatroskaElementID.tracks, size: entries.readableBytes, into: &buffer)
        layout.widthOffset = widthOffsetInEntries.map { base + buffer.writerIndex + $0 }
        buffer.writeBuffer(&entries)
        bytesWritten = base + buffer.writerIndex
    }

    /// TrackNumber, TrackUID (the number: unique within the file), TrackType, FlagLacing 0, CodecID.
    private static func writeTrackStart(number: UInt64, type: UInt64, codecID: String, into entry: inout ByteBuffer) {
        EBMLWriter.writeUnsigned(MatroskaElementID.trackNumber, number, into: &entry)
        EBMLWriter.writeUnsigned(MatroskaElementID.trackUID, number, into: &entry)
        EBMLWriter.writeUnsigned(MatroskaElementID.trackType, type, into: &entry)
        EBMLWriter.writeUnsigned(MatroskaElementID.flagLacing, 0, into: &entry)
        EBMLWriter.writeString(MatroskaElementID.codecID, codecID, into: &entry)
    }

    /// The SeekHead (Info, Tracks, and Cues when written) padded with a Void to exactly
    /// ``seekHeadReservation`` bytes. Seek positions take 8 bytes, so the size is fixed.
    func seekHead(cuesPosition: Int?) -> [UInt8] {
        var targets: [(id: UInt32, position: Int)] = [
            (MatroskaElementID.info, layout.infoOffset - layout.segmentDataOffset),
            (MatroskaElementID.tracks, layout.tracksOffset - layout.segmentDataOffset),
        ]
        if let cuesPosition { targets.append((MatroskaElementID.cues, cuesPosition)) }
        var bytes = ByteBuffer()
        EBMLWriter.writeMaster(MatroskaElementID.seekHead, into: &bytes) { head in
            for target in targets {
                EBMLWriter.writeMaster(MatroskaElementID.seek, into: &head) { seek in
                    var id = ByteBuffer()
                    EBMLWriter.writeID(target.id, into: &id)
                    EBMLWriter.writeBinary(MatroskaElementID.seekID, id, into: &seek)
                    EBMLWriter.writeUnsigned(MatroskaElementID.seekPosition, UInt64(target.position), length: 8, into: &seek)
                }
            }
        }
        EBMLWriter.writeVoid(totalSize: Self.seekHeadReservation - bytes.readableBytes, into: &bytes)
        return Array(bytes.readableBytesView)
    }
}
