import NIOCore
import RTCCore
import RTCTestSupport
import Testing
@testable import RTCSCTP

/// RFC 9260 §3.2 unknown-chunk actions and §8.5 / §6.2 handling of bad input at an established association.
@Suite struct SCTPMalformedChunkTests {
    static func established() -> SCTPPair {
        var pair = SCTPPair()
        _ = pair.connect()
        return pair
    }

    static func packet(to assoc: SCTPAssociation, tag: UInt32? = nil, _ chunks: [SCTPChunk]) -> ByteBuffer {
        SCTPPacket(sourcePort: 5000, destinationPort: 5000, verificationTag: tag ?? assoc.localTag, chunks: chunks).serialized()
    }

    static func data(_ pair: SCTPPair, _ text: String, offset: UInt32 = 1) -> SCTPChunk {
        .data(DataChunk(flags: 3, tsn: pair.b.cumReceived &+ offset, streamIdentifier: 0, streamSequenceNumber: 0,
                        payloadProtocolIdentifier: 51, userData: ByteBuffer(string: text)))
    }

    static func drain(_ b: inout SCTPAssociation) -> (messages: [String], chunks: [SCTPChunk], packets: [ByteBuffer]) {
        var messages: [String] = []
        var chunks: [SCTPChunk] = []
        var packets: [ByteBuffer] = []
        while let e = b.pollEvent() { if case .message(let m) = e { messages.append(String(buffer: m.payload)) } }
        while let p = b.pollTransmit() {
            packets.append(p)
            chunks += (try? SCTPPacket.parse(p).chunks) ?? []
        }
        return (messages, chunks, packets)
    }

    @Test(arguments: [(UInt8(0x3F), false, false), (0x7F, false, true), (0xBF, true, false), (0xFF, true, true)])
    func unknownChunkUpperBitsDecideStopSkipAndReport(type: UInt8, processesRest: Bool, reports: Bool) throws {
        var pair = Self.established()
        let unknown = SCTPChunk.unknown(UnknownChunk(type: type, flags: 0, value: ByteBuffer(bytes: [1, 2, 3, 4])))
        pair.b.handle(Self.packet(to: pair.b, [unknown, Self.data(pair, "after")]), now: pair.now)
        let out = Self.drain(&pair.b)
        #expect(out.messages == (processesRest ? ["after"] : []))
        let errors = out.chunks.compactMap { if case .error(let e) = $0 { e } else { nil } }
        #expect(errors.count == (reports ? 1 : 0))
        if let e = errors.first {
            #expect(e.causes.first?.code == SCTPErrorCause.unrecognizedChunkType)
            #expect(e.causes.first?.value.getInteger(at: e.causes.first!.value.readerIndex, as: UInt8.self) == type)
        }
        #expect(pair.b.state == .established)
    }

    @Test func dataWithoutUserDataAbortsWithNoUserDataCause() throws {
        var pair = Self.established()
        let empty = SCTPChunk.data(DataChunk(flags: 3, tsn: pair.b.cumReceived &+ 1, streamIdentifier: 0, streamSequenceNumber: 0,
                                             payloadProtocolIdentifier: 51, userData: ByteBuffer()))
        pair.b.handle(Self.packet(to: pair.b, [empty]), now: pair.now)
        #expect(pair.b.state == .closed)
        let out = Self.drain(&pair.b)
        guard case .abort(let abort) = out.chunks.first else { Issue.record("expected ABORT, got \(out.chunks)"); return }
        #expect(abort.causes.first?.code == SCTPErrorCause.noUserData)
        // The peer learns about it.
        for p in out.packets { pair.a.handle(p, now: pair.now) }
        #expect(pair.a.state == .closed)
        #expect(pair.a.pollEvent() == .aborted(.peerAborted(abort.causes)))
    }

    @Test func badLengthsChecksumsAndTagsDropThePacketOnly() throws {
        var pair = Self.established()
        var bad = Self.packet(to: pair.b, [Self.data(pair, "x")])
        bad.setInteger(UInt16(200), at: 14) // chunk length past the end
        SCTPPacket.finalizeChecksum(&bad, packetStart: 0)
        pair.b.handle(bad, now: pair.now)
        var corrupt = Self.packet(to: pair.b, [Self.data(pair, "y")])
        corrupt.setInteger(UInt8(0x55), at: corrupt.writerIndex - 1)
        pair.b.handle(corrupt, now: pair.now)
        pair.b.handle(Self.packet(to: pair.b, tag: pair.b.localTag &+ 1, [Self.data(pair, "z")]), now: pair.now)
        pair.b.handle(ByteBuffer(bytes: [1, 2, 3]), now: pair.now)
        #expect(pair.b.droppedPackets == 4)
        let out = Self.drain(&pair.b)
        #expect(out.messages.isEmpty)
        #expect(pair.b.state == .established)
        // A good packet still goes through.
        pair.b.handle(Self.packet(to: pair.b, [Self.data(pair, "good")]), now: pair.now)
        #expect(Self.drain(&pair.b).messages == ["good"])
    }

    @Test func dataOnAStreamBeyondTheNegotiatedCountIsReportedAndDropped() throws {
        var config = SCTPConfiguration()
        config.inboundStreams = 4
        var pair = SCTPPair(configB: config)
        _ = pair.connect()
        let chunk = SCTPChunk.data(DataChunk(flags: 3, tsn: pair.b.cumReceived &+ 1, streamIdentifier: 9, streamSequenceNumber: 0,
                                             payloadProtocolIdentifier: 51, userData: ByteBuffer(string: "x")))
        pair.b.handle(Self.packet(to: pair.b, [chunk]), now: pair.now)
        let out = Self.drain(&pair.b)
        #expect(out.messages.isEmpty)
        #expect(out.chunks.contains { if case .error(let e) = $0 { e.causes.first?.code == SCTPErrorCause.invalidStreamIdentifier } else { false } })
        #expect(pair.b.cumReceived == chunk.dataTSN)
    }

    @Test func randomGarbageNeverCrashesAnAssociation() {
        var pair = Self.established()
        var rng = SeededRandom(seed: 77)
        for i in 0..<2000 {
            var bytes = rng.bytes(Int(rng.next() % 200) + 12)
            // Make half of them pass the checksum and tag checks so chunk handling is exercised.
            if i % 2 == 0 {
                bytes[0] = 0x13; bytes[1] = 0x88; bytes[2] = 0x13; bytes[3] = 0x88
                let tag = pair.b.localTag
                bytes[4] = UInt8(tag >> 24); bytes[5] = UInt8((tag >> 16) & 0xFF); bytes[6] = UInt8((tag >> 8) & 0xFF); bytes[7] = UInt8(tag & 0xFF)
            }
            var buffer = ByteBuffer(bytes: bytes)
            SCTPPacket.finalizeChecksum(&buffer, packetStart: 0)
            pair.b.handle(buffer, now: pair.now)
            _ = Self.drain(&pair.b)
        }
        #expect(pair.b.droppedPackets > 0)
    }
}

extension SCTPChunk {
    var dataTSN: UInt32? { if case .data(let d) = self { d.tsn } else { nil } }
}
