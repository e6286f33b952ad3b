import NIOCore
import RTCRTP

/// Walking the Clusters: SimpleBlocks, BlockGroups and lacing (Matroska §10, Block structure).
extension WebMReader {
    /// The next frame of an audio or video track in file order, or nil after the last one.
    /// Throws ``MediaReaderError/truncated(needed:available:)`` when the file ends inside an
    /// element (or before the Segment's declared end), ``MediaReaderError/malformed(_:)`` for
    /// inconsistent sizes, lacing or timestamps.
    public mutating func nextFrame() throws(MediaReaderError) -> Frame? {
        while true {
            if pendingIndex < pending.count {
                defer { pendingIndex += 1 }
                return pending[pendingIndex]
            }
            pending.removeAll(keepingCapacity: true)
            pendingIndex = 0
            if let end = clusterEnd, position >= end {
                clusterEnd = nil
                clusterTimestamp = nil
            }
            guard position < segmentEnd else { return nil }
            guard position < fileEnd else { throw .truncated(needed: segmentEnd - position, available: 0) }
            // A Cluster is read child by child, so one cut short still gives the frames it holds.
            let isCluster = try EBMLReader.readID(file, at: position, end: fileEnd).id == MatroskaElementID.cluster
            let element = try EBMLReader.readHeader(file, at: position, end: fileEnd, checkingSize: !isCluster)
            let data = position + element.headerLength
            if isCluster {
                clusterEnd = element.size.map { data + Int($0) }
                clusterTimestamp = nil
                position = data
                continue
            }
            guard let size = element.size.map({ Int($0) }) else {
                throw .malformed("element \(Self.hex(element.id)) of unknown size")
            }
            if let end = clusterEnd, data + size > end {
                throw .malformed("element \(Self.hex(element.id)) runs past the end of its Cluster")
            }
            switch element.id {
            case MatroskaElementID.clusterTimestamp:
                let ticks = try EBMLReader.readUnsigned(file, at: data, size: size)
                guard ticks <= UInt64(Int64.max) else { throw .malformed("Cluster Timestamp \(ticks)") }
                clusterTimestamp = Int64(ticks)
            case MatroskaElementID.simpleBlock:
                try readBlock(at: data, size: size, isSimple: true, hasReference: false, duration: nil)
            case MatroskaElementID.blockGroup:
                try readBlockGroup(at: data, size: size)
            default:
                break  // Cues, Tags, Void and the like
            }
            position = data + size
        }
    }

    private mutating func readBlockGroup(at data: Int, size: Int) throws(MediaReaderError) {
        var block: (at: Int, size: Int)?
        var hasReference = false
        var duration: UInt64?
        try Self.forEachChild(file, from: data, to: data + size) { id, at, size throws(MediaReaderError) in
            switch id {
            case MatroskaElementID.block: block = (at, size)
            case MatroskaElementID.referenceBlock: hasReference = true
            case MatroskaElementID.blockDuration: duration = try EBMLReader.readUnsigned(file, at: at, size: size)
            default: break
            }
        }
        guard let block else { throw .malformed("BlockGroup without Block") }
        try readBlock(at: block.at, size: block.size, isSimple: false, hasReference: hasReference, duration: duration)
    }

    /// Parses a (Simple)Block's header and lacing into ``pending`` frames.
    private mutating func readBlock(at data: Int, size: Int, isSimple: Bool, hasReference: Bool, duration: UInt64?) throws(MediaReaderError) {
        let end = data + size
        let (trackNumber, numberLength) = try EBMLReader.readVInt(file, at: data, end: end)
        guard let trackNumber else { throw .malformed("block with an unknown track number") }
        guard data + numberLength + 3 <= end,
              let relative = file.getInteger(at: data + numberLength, as: Int16.self),
              let flags = file.getInteger(at: data + numberLength + 2, as: UInt8.self)
        else { throw .truncated(needed: numberLength + 3, available: size) }
        guard let track = track(number: trackNumber) else { return }  // a track that is not audio or video
        guard let clusterTimestamp else { throw .malformed("block before its Cluster's Timestamp") }
        guard clusterTimestamp <= Int64.max - 32_768 else { throw .malformed("Cluster Timestamp \(clusterTimestamp)") }
        let (nanoseconds, overflow) = (clusterTimestamp + Int64(relative)).multipliedReportingOverflow(by: Int64(timestampScale))
        guard !overflow else { throw .malformed("block timestamp out of range") }
        let isKeyFrame = isSimple ? flags & 0x80 != 0 : !hasReference
        let frames = try Self.laces(file, from: data + numberLength + 3, to: end, lacing: (flags >> 1) & 0x03)
        var blockDuration: TimeAmount?
        if let duration, frames.count == 1 {
            let (product, overflow) = duration.multipliedReportingOverflow(by: timestampScale)
            if !overflow, product <= UInt64(Int64.max) { blockDuration = .nanoseconds(Int64(product)) }
        }
        var offset: Int64 = 0
        for frame in frames {
            pending.append(Frame(trackNumber: trackNumber, timestamp: .nanoseconds(nanoseconds &+ offset), duration: blockDuration,
                                 isKeyFrame: isKeyFrame, data: frame))
            // Laced frames after the first: DefaultDuration apart, or each Opus packet's own length.
            if let step = track.defaultDuration {
                offset &+= Int64(clamping: step)
            } else if track.codec == .opus, let samples = try? OpusPayloadFormat.sampleCount(of: frame) {
                offset &+= Int64(samples) * 1_000_000_000 / 48_000
            }
        }
    }

    /// The frames of a block's data between `from` and `to` under `lacing` (0 none, 1 Xiph,
    /// 2 fixed-size, 3 EBML).
    static func laces(_ file: ByteBuffer, from: Int, to: Int, lacing: UInt8) throws(MediaReaderError) -> [ByteBuffer] {
        guard lacing != 0 else { return [file.getSlice(at: from, length: to - from) ?? ByteBuffer()] }
        guard from < to, let countByte = file.getInteger(at: from, as: UInt8.self) else { throw .truncated(needed: 1, available: 0) }
        let count = Int(countByte) + 1
        var index = from + 1
        var sizes: [Int] = []
        switch lacing {
        case 1:  // Xiph: each size but the last as a run of 255s and a final byte below 255
            for _ in 0..<(count - 1) {
                var size = 0
                while true {
                    guard index < to, let byte = file.getInteger(at: index, as: UInt8.self) else { throw .truncated(needed: 1, available: 0) }
                    index += 1
                    size += Int(byte)
                    if byte < 255 { break }
                }
                sizes.append(size)
            }
        case 3:  // EBML: the first size as a vint, then signed differences
            guard count > 1 else { break }
            let (first, length) = try EBMLReader.readVInt(file, at: index, end: to)
            guard let first, first <= UInt64(to - from) else { throw .malformed("EBML lace size") }
            index += length
            var size = Int(first)
            sizes.append(size)
            for _ in 1..<(count - 1) {
                let (raw, length) = try EBMLReader.readVInt(file, at: index, end: to)
                guard let raw else { throw .malformed("EBML lace size") }
                index += length
                size += Int(raw) - ((1 << (7 * length - 1)) - 1)
                guard size >= 0, size <= to - from else { throw .malformed("EBML lace size") }
                sizes.append(size)
            }
        default:  // fixed-size: the rest split evenly
            guard (to - index) % count == 0 else { throw .malformed("fixed-size lacing of \(to - index) bytes in \(count) frames") }
            sizes = Array(repeating: (to - index) / count, count: count - 1)
        }
        let laced = sizes.reduce(0, +)
        guard laced <= to - index else { throw .malformed("laced frames larger than their block") }
        sizes.append(to - index - laced)
        var frames: [ByteBuffer] = []
        frames.reserveCapacity(count)
        for size in sizes {
            frames.append(file.getSlice(at: index, length: size) ?? ByteBuffer())
            index += size
        }
        return frames
    }
}
