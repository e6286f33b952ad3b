import NIOCore
import RTCRTP

/// Turning each container's frames into ``MediaSample``s, one list per track in file order.
extension MediaFileSource {
    static func parse(_ contents: ByteBuffer, format: MediaContainerFormat, kinds: Set<RTPCodec.Kind>,
                      h264FramesPerSecond: Double) throws(MediaReaderError) -> ParsedFile {
        switch format {
        case .ivf: try parseIVF(contents, kinds: kinds)
        case .ogg: try parseOgg(contents, kinds: kinds)
        case .webm: try parseWebM(contents, kinds: kinds)
        case .annexB: try parseAnnexB(contents, kinds: kinds, framesPerSecond: h264FramesPerSecond)
        }
    }

    static func parseIVF(_ contents: ByteBuffer, kinds: Set<RTPCodec.Kind>) throws(MediaReaderError) -> ParsedFile {
        var reader = try IVFReader(contents)
        let header = reader.header
        let codec: RTPCodec
        switch header.fourCC {
        case "VP80": codec = .vp8
        case "VP90": codec = .vp9
        case "AV01": codec = .av1
        default: throw .unsupportedCodec(header.fourCC)
        }
        let track = MediaTrackDescription(kind: .video, codec: codec, width: Int(header.width), height: Int(header.height))
        guard kinds.contains(.video) else { return ParsedFile(tracks: [], samples: []) }
        guard header.timebaseNumerator > 0, header.timebaseDenominator > 0 else {
            throw .malformed("IVF time base \(header.timebaseNumerator)/\(header.timebaseDenominator)")
        }
        var samples: [MediaSample] = []
        while let frame = try reader.nextFrame() {
            // pts × numerator / denominator seconds, in nanoseconds without overflow.
            let (ticks, overflow) = frame.timestamp.multipliedReportingOverflow(by: UInt64(header.timebaseNumerator))
            let wide = ticks.multipliedFullWidth(by: 1_000_000_000)
            guard !overflow, wide.high < UInt64(header.timebaseDenominator) else { throw .malformed("IVF timestamp \(frame.timestamp) out of range") }
            let nanoseconds = UInt64(header.timebaseDenominator).dividingFullWidth(wide).quotient
            guard nanoseconds <= UInt64(Int64.max) else { throw .malformed("IVF timestamp \(frame.timestamp) out of range") }
            samples.append(MediaSample(kind: .video, codec: codec, data: frame.data, timestamp: .nanoseconds(Int64(nanoseconds)),
                                       isKeyFrame: isKeyFrame(frame.data, codec: codec)))
        }
        return ParsedFile(tracks: [track], samples: [samples])
    }

    static func parseOgg(_ contents: ByteBuffer, kinds: Set<RTPCodec.Kind>) throws(MediaReaderError) -> ParsedFile {
        var reader = OggReader(contents)
        guard let (head, _) = try reader.nextPacket() else { throw .truncated(needed: 1, available: 0) }
        guard head.getBytes(at: head.readerIndex, length: 8) == Array("OpusHead".utf8) else {
            throw .unsupportedCodec(oggCodecName(head))
        }
        guard let (tags, _) = try reader.nextPacket(), tags.getBytes(at: tags.readerIndex, length: 8) == Array("OpusTags".utf8) else {
            throw .malformed("no OpusTags after OpusHead")
        }
        let track = MediaTrackDescription(kind: .audio, codec: .opus)
        guard kinds.contains(.audio) else { return ParsedFile(tracks: [], samples: []) }
        var samples: [MediaSample] = []
        var position: Int64 = 0  // 48 kHz samples
        while let (packet, _) = try reader.nextPacket() {
            let count: Int
            do { count = try OpusPayloadFormat.sampleCount(of: packet) } catch {
                throw .malformed("Opus packet \(samples.count + 1): \(error)")
            }
            samples.append(MediaSample(kind: .audio, codec: .opus, data: packet, timestamp: opusTime(position),
                                       duration: opusTime(Int64(count)), isKeyFrame: true))
            position += Int64(count)
        }
        return ParsedFile(tracks: [track], samples: [samples])
    }

    static func parseWebM(_ contents: ByteBuffer, kinds: Set<RTPCodec.Kind>) throws(MediaReaderError) -> ParsedFile {
        var reader = try WebMReader(contents)
        // The first track of each kind asked for.
        let chosen = [RTCRTP.RTPCodec.Kind.audio, .video].compactMap { kind in
            kinds.contains(kind) ? reader.tracks.first { $0.kind == kind } : nil
        }
        var samples: [[MediaSample]] = chosen.map { _ in [] }
        while let frame = try reader.nextFrame() {
            guard let index = chosen.firstIndex(where: { $0.number == frame.trackNumber }) else { continue }
            let track = chosen[index]
            var duration = frame.duration
            if track.codec == .opus, let count = try? OpusPayloadFormat.sampleCount(of: frame.data) {
                duration = opusTime(Int64(count))
            }
            samples[index].append(MediaSample(kind: track.kind, codec: track.codec, data: frame.data, timestamp: frame.timestamp,
                                              duration: duration, isKeyFrame: track.kind == .audio || frame.isKeyFrame))
        }
        let tracks = chosen.map { MediaTrackDescription(kind: $0.kind, codec: $0.codec, width: $0.width, height: $0.height) }
        return ParsedFile(tracks: tracks, samples: samples)
    }

    static func parseAnnexB(_ contents: ByteBuffer, kinds: Set<RTPCodec.Kind>, framesPerSecond: Double) throws(MediaReaderError) -> ParsedFile {
        var reader = try AnnexBReader(contents, framesPerSecond: framesPerSecond)
        let track = MediaTrackDescription(kind: .video, codec: .h264)
        guard kinds.contains(.video) else { return ParsedFile(tracks: [], samples: []) }
        var samples: [MediaSample] = []
        while let unit = reader.nextAccessUnit() {
            let end = AnnexBReader.time(ofFrame: unit.index + 1, framesPerSecond: framesPerSecond)
            samples.append(MediaSample(kind: .video, codec: .h264, data: unit.data, timestamp: unit.timestamp,
                                       duration: end - unit.timestamp, isKeyFrame: unit.isKeyFrame))
        }
        guard !samples.isEmpty else { throw .malformed("no H.264 access unit (no coded slice)") }
        return ParsedFile(tracks: [track], samples: [samples])
    }

    /// Whether a video frame can be decoded on its own, from its bitstream: the VP8 frame tag
    /// (RFC 6386 §9.1), the VP9 frame header, an AV1 temporal unit holding a sequence header
    /// OBU, an H.264 access unit holding an IDR slice.
    static func isKeyFrame(_ data: ByteBuffer, codec: RTPCodec) -> Bool {
        switch codec {
        case .vp8: return (data.getInteger(at: data.readerIndex, as: UInt8.self) ?? 1) & 0x01 == 0
        case .vp9: return VP9PayloadFormat.frameHeader(of: data)?.isKeyFrame ?? false
        case .av1: return av1OBUTypes(data).contains(1)
        case .h264:
            return H264PayloadFormat.nalUnits(inAnnexB: data).contains { H264PayloadFormat.type(of: $0) == H264PayloadFormat.NALUnitType.idrSlice }
        case .opus: return true
        }
    }

    /// The OBU types of an AV1 temporal unit whose OBUs carry size fields (AV1 §5.3), up to
    /// the first OBU without one.
    static func av1OBUTypes(_ data: ByteBuffer) -> [UInt8] {
        var types: [UInt8] = []
        var index = data.readerIndex
        let end = data.writerIndex
        while index < end, let header = data.getInteger(at: index, as: UInt8.self) {
            types.append(header >> 3 & 0x0F)
            index += header & 0x04 != 0 ? 2 : 1
            guard header & 0x02 != 0 else { break }
            var size = 0
            var shift = 0
            while true {
                guard shift < 56, index < end, let byte = data.getInteger(at: index, as: UInt8.self) else { return types }
                index += 1
                size |= Int(byte & 0x7F) << shift
                shift += 7
                if byte & 0x80 == 0 { break }
            }
            guard size <= end - index else { break }
            index += size
        }
        return types
    }

    /// 48 kHz samples as time.
    static func opusTime(_ samples: Int64) -> TimeAmount {
        .nanoseconds(samples * 1_000_000_000 / 48_000)
    }

    /// A name for the codec of an Ogg stream's first packet that is not Opus.
    static func oggCodecName(_ head: ByteBuffer) -> String {
        let bytes = head.getBytes(at: head.readerIndex, length: min(8, head.readableBytes)) ?? []
        if bytes.starts(with: [0x01] + Array("vorbis".utf8)) { return "Vorbis" }
        if bytes.starts(with: [0x80] + Array("theora".utf8)) { return "Theora" }
        if bytes.starts(with: Array("Speex".utf8)) { return "Speex" }
        if bytes.starts(with: [0x7F] + Array("FLAC".utf8)) { return "FLAC" }
        return "unknown Ogg codec"
    }
}
