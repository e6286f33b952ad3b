import Foundation
import NIOCore
import RTCRTP

/// One captured RTP stream of Tests/RTCMediaTests/Fixtures (see FIXTURES.md there): the
/// manifest entry and the packets in arrival order.
struct RTPFixtureStream {
    /// The manifest entry of a stream.
    struct Entry: Decodable {
        var file: String
        var codec: String
        var payloadType: UInt8
        var clockRate: Int
        var ssrc: UInt32
        var packets: Int
        var paddingOnlyPackets: Int
        var frames: Int
        var width: Int?
        var height: Int?
    }

    struct Manifest: Decodable {
        var source: String
        var streams: [Entry]
    }

    /// The RTP payloads of one frame (one timestamp), in sequence order.
    struct FramePayloads {
        var timestamp: UInt32
        var firstSequenceNumber: Int
        var payloads: [ByteBuffer]
    }

    static let directory: URL = Bundle.module.resourceURL!.appendingPathComponent("Fixtures")

    static func manifest() throws -> Manifest {
        try JSONDecoder().decode(Manifest.self, from: Data(contentsOf: directory.appendingPathComponent("manifest.json")))
    }

    let entry: Entry
    /// The packets in the order they arrived.
    var packets: [RTPPacket]

    /// Loads the stream of `codec` (the manifest's name, case-insensitive).
    init(codec: String) throws {
        guard let entry = try Self.manifest().streams.first(where: { $0.codec.lowercased() == codec.lowercased() }) else {
            throw FixtureError("no \(codec) stream in the manifest")
        }
        self.entry = entry
        let data = try Data(contentsOf: Self.directory.appendingPathComponent(entry.file))
        packets = try Self.split(Array(data)).map { try RTPPacket(parsing: $0) }
    }

    /// Splits the file format: each packet preceded by its length (16-bit big-endian).
    static func split(_ bytes: [UInt8]) throws -> [[UInt8]] {
        var out: [[UInt8]] = []
        var offset = 0
        while offset < bytes.count {
            guard offset + 2 <= bytes.count else { throw FixtureError("cut length at \(offset)") }
            let length = Int(bytes[offset]) << 8 | Int(bytes[offset + 1])
            guard offset + 2 + length <= bytes.count else { throw FixtureError("cut packet at \(offset)") }
            out.append(Array(bytes[offset + 2..<offset + 2 + length]))
            offset += 2 + length
        }
        return out
    }

    /// The packets ordered by sequence number unwrapped across 65535 → 0 relative to the
    /// highest number seen so far, with that extended number.
    static func ordered(_ packets: [RTPPacket]) -> [(extended: Int, packet: RTPPacket)] {
        var highest: Int?
        var numbered: [(extended: Int, packet: RTPPacket)] = []
        for packet in packets {
            let sequence = Int(packet.header.sequenceNumber)
            let extended: Int
            if let highest {
                let delta = Int(Int16(truncatingIfNeeded: (sequence - (highest & 0xFFFF)) & 0xFFFF))
                extended = highest + delta
            } else {
                extended = sequence
            }
            highest = max(highest ?? extended, extended)
            numbered.append((extended, packet))
        }
        return numbered.sorted { $0.extended < $1.extended }
    }

    /// Groups ordered packets into frames by timestamp, leaving out padding-only packets. The
    /// sequence numbers must have no gap (the fixtures are complete streams), and a video frame
    /// (90 kHz) must end with the marker bit; an incomplete frame at the end is dropped.
    static func frames(_ packets: [RTPPacket], clockRate: Int) throws -> [FramePayloads] {
        var frames: [FramePayloads] = []
        var current: FramePayloads?
        var lastExtended = 0
        var lastMarker = false
        func close() throws {
            guard let frame = current else { return }
            if clockRate == 90_000, !lastMarker { throw FixtureError("frame \(frame.timestamp) ends without marker") }
            frames.append(frame)
            current = nil
        }
        var isFirst = true
        for (extended, packet) in ordered(packets) {
            guard isFirst || extended == lastExtended + 1 else { throw FixtureError("gap before sequence \(extended)") }
            isFirst = false
            lastExtended = extended
            guard packet.payload.readableBytes > 0 else { continue }  // padding only
            if let frame = current, frame.timestamp == packet.header.timestamp {
                current?.payloads.append(packet.payload)
            } else {
                try close()
                current = FramePayloads(timestamp: packet.header.timestamp, firstSequenceNumber: extended, payloads: [packet.payload])
            }
            lastMarker = packet.header.marker
        }
        if clockRate != 90_000 || lastMarker { try close() }
        return frames
    }
}

struct FixtureError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
