import NIOCore
import RTCCore
import Testing

@testable import RTCRTP

@Suite struct RTPPacketRoundTripTests {
    @Test func buildsAndReparsesEveryHeaderFeature() throws {
        let ext = try RTPHeaderExtension(oneByte: [
            RTPHeaderExtensionElement(id: 1, bytes: Array("0".utf8)),
            RTPHeaderExtensionElement(id: 3, bytes: [0x12, 0x34, 0x56]),
            RTPHeaderExtensionElement(id: 5, bytes: [0x00, 0x07]),
        ])
        let header = RTPHeader(marker: true, payloadType: 111, sequenceNumber: 65535, timestamp: 0xFFFF_FFFF,
                               ssrc: 0xCAFE_BABE, csrcs: [1, 2, 3], headerExtension: ext)
        let packet = RTPPacket(header: header, payload: ByteBuffer(bytes: [9, 8, 7, 6, 5]), paddingLength: 7)
        var out = ByteBuffer()
        packet.serialize(into: &out)
        #expect(out.readableBytes == packet.serializedSize)
        #expect(out.readableBytes == 12 + 12 + 4 + 12 + 5 + 7)
        let bytes = Array(out.readableBytesView)
        #expect(bytes[0] == 0xB3)  // V=2 P=1 X=1 CC=3
        #expect(bytes.last == 7)
        let parsed = try RTPPacket(parsing: out)
        #expect(parsed == packet)
        #expect(parsed.header.headerExtension?.value(forID: 5).map { Array($0.readableBytesView) } == [0, 7])
    }

    @Test func twoByteFormCarriesWhatOneByteCannot() throws {
        let big = [UInt8](repeating: 0xAB, count: 40)
        let ext = try RTPHeaderExtension(elements: [
            RTPHeaderExtensionElement(id: 2, bytes: [1]),
            RTPHeaderExtensionElement(id: 100, bytes: big),
            RTPHeaderExtensionElement(id: 7, bytes: []),
        ])
        #expect(ext.form == .twoByte(appBits: 0))
        let packet = RTPPacket(header: RTPHeader(payloadType: 96, sequenceNumber: 1, timestamp: 2, ssrc: 3, headerExtension: ext),
                               payload: ByteBuffer(bytes: [1, 2, 3]))
        let parsed = try RTPPacket(parsing: packet.serialized())
        #expect(parsed == packet)
        #expect(parsed.header.headerExtension?.elements.map(\.id) == [2, 100, 7])
        #expect(parsed.header.headerExtension?.value(forID: 100)?.readableBytes == 40)
    }

    @Test func oneByteBuilderRejectsOutOfRangeElements() {
        #expect(throws: RTPHeaderExtension.BuildError.invalidID(15)) {
            try RTPHeaderExtension(oneByte: [RTPHeaderExtensionElement(id: 15, bytes: [1])])
        }
        #expect(throws: RTPHeaderExtension.BuildError.invalidLength(id: 1, length: 17)) {
            try RTPHeaderExtension(oneByte: [RTPHeaderExtensionElement(id: 1, bytes: [UInt8](repeating: 0, count: 17))])
        }
        #expect(throws: RTPHeaderExtension.BuildError.invalidID(0)) {
            try RTPHeaderExtension(twoByte: [RTPHeaderExtensionElement(id: 0, bytes: [1])])
        }
    }

    @Test func serializesIntoOneReusedBuffer() throws {
        var buffer = ByteBuffer()
        buffer.reserveCapacity(1500)
        var sequence: UInt16 = 65530
        for i in 0..<12 {
            buffer.clear()
            let packet = RTPPacket(header: RTPHeader(payloadType: 96, sequenceNumber: sequence, timestamp: UInt32(i) * 3000, ssrc: 42),
                                   payload: ByteBuffer(repeating: UInt8(i), count: 100 + i))
            packet.serialize(into: &buffer)
            let parsed = try RTPPacket(parsing: buffer)
            #expect(parsed.header.sequenceNumber == sequence)
            #expect(parsed.payload.readableBytes == 100 + i)
            sequence &+= 1
        }
        #expect(buffer.capacity >= 1500)
    }

    @Test func randomPacketsRoundTrip() throws {
        var rng = SeededRandom(seed: 7)
        for _ in 0..<500 {
            var elements: [RTPHeaderExtensionElement] = []
            for _ in 0..<Int.random(in: 0...4, using: &rng) {
                elements.append(RTPHeaderExtensionElement(id: UInt8.random(in: 1...14, using: &rng),
                                                          bytes: (0..<Int.random(in: 1...16, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }))
            }
            let ext = elements.isEmpty ? nil : try RTPHeaderExtension(elements: elements)
            let packet = RTPPacket(
                header: RTPHeader(marker: Bool.random(using: &rng), payloadType: UInt8.random(in: 0...127, using: &rng),
                                  sequenceNumber: UInt16.random(in: 0...UInt16.max, using: &rng),
                                  timestamp: UInt32.random(in: 0...UInt32.max, using: &rng),
                                  ssrc: UInt32.random(in: 0...UInt32.max, using: &rng),
                                  csrcs: (0..<Int.random(in: 0...15, using: &rng)).map { _ in UInt32.random(in: 0...UInt32.max, using: &rng) },
                                  headerExtension: ext),
                payload: ByteBuffer(bytes: (0..<Int.random(in: 0...64, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }),
                paddingLength: Bool.random(using: &rng) ? UInt8.random(in: 1...255, using: &rng) : 0)
            let bytes = packet.serialized()
            let parsed = try RTPPacket(parsing: bytes)
            #expect(parsed == packet)
            #expect(parsed.header.headerExtension?.elements == ext?.elements)
            #expect(parsed.serialized() == bytes)
        }
    }
}
