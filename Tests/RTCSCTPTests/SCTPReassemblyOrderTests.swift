import NIOCore
import RTCCore
import RTCTestSupport
import Testing
@testable import RTCSCTP

/// Reassembly of fragmented messages (RFC 9260 §6.9) whatever order the fragments arrive in:
/// DATA chunks are handed to an established association directly, so the order is exact.
@Suite struct SCTPReassemblyOrderTests {
    /// An association established with a peer, and the TSN its next DATA must carry.
    static func receiver(maxMessage: Int = 1 << 20) throws -> (SCTPAssociation, firstTSN: UInt32) {
        var config = SCTPConfiguration()
        config.maxInboundMessageSize = maxMessage
        var pair = SCTPPair(configA: config, configB: config)
        let connected = pair.connect()
        try #require(connected)
        var b = pair.b
        while b.pollEvent() != nil {}
        while b.pollTransmit() != nil {}
        return (b, b.cumReceived &+ 1)
    }

    /// The DATA chunks of one message of `count` fragments of `size` bytes each.
    static func fragments(stream: UInt16, ssn: UInt16, firstTSN: UInt32, count: Int, size: Int, seed: Int) -> (chunks: [DataChunk], payload: ByteBuffer) {
        let payload = bytes(count * size, seed: seed)
        let chunks = (0..<count).map { i in
            var flags: UInt8 = 0
            if i == 0 { flags |= DataChunk.beginningFlag }
            if i == count - 1 { flags |= DataChunk.endingFlag }
            return DataChunk(flags: flags, tsn: firstTSN &+ UInt32(i), streamIdentifier: stream, streamSequenceNumber: ssn,
                             payloadProtocolIdentifier: 53, userData: payload.getSlice(at: i * size, length: size)!)
        }
        return (chunks, payload)
    }

    static func deliver(_ chunks: [DataChunk], to b: inout SCTPAssociation) -> [SCTPMessage] {
        var messages: [SCTPMessage] = []
        for chunk in chunks {
            let packet = SCTPPacket(sourcePort: 5000, destinationPort: 5000, verificationTag: b.localTag, chunks: [.data(chunk)])
            b.handle(packet.serialized(), now: .virtualStart)
            while let event = b.pollEvent() { if case .message(let m) = event { messages.append(m) } }
            while b.pollTransmit() != nil {}
        }
        return messages
    }

    @Test func fragmentsInOrderReverseAndShuffledMakeTheSameMessage() throws {
        var rng = SeededRandom(seed: 5)
        for order in ["in order", "reverse", "shuffled", "end first"] {
            var (b, tsn) = try Self.receiver()
            let (chunks, payload) = Self.fragments(stream: 0, ssn: 0, firstTSN: tsn, count: 300, size: 1000, seed: 1)
            var arranged = chunks
            switch order {
            case "reverse": arranged.reverse()
            case "shuffled": arranged.shuffle(using: &rng)
            case "end first": arranged = [chunks[299]] + chunks[0..<299]
            default: break
            }
            let messages = Self.deliver(arranged, to: &b)
            #expect(messages.count == 1, "\(order)")
            #expect(messages.first?.payload == payload, "\(order)")
            #expect(b.chunksByTSN.isEmpty && b.heldBytes == 0, "\(order)")
        }
    }

    @Test func twoMessagesOnTwoStreamsArrivingFragmentByFragmentInTurn() throws {
        var (b, tsn) = try Self.receiver()
        // Each message has consecutive TSNs (RFC 9260 §6.9); the packets carrying them arrive
        // alternately, so the run being extended changes with every fragment.
        let (one, p1) = Self.fragments(stream: 1, ssn: 0, firstTSN: tsn, count: 40, size: 500, seed: 2)
        let (two, p2) = Self.fragments(stream: 2, ssn: 0, firstTSN: tsn &+ 40, count: 40, size: 700, seed: 3)
        let chunks = (0..<40).flatMap { [one[$0], two[$0]] }
        let messages = Self.deliver(chunks, to: &b)
        #expect(Set(messages.map(\.stream)) == [1, 2])
        #expect(messages.first { $0.stream == 1 }?.payload == p1)
        #expect(messages.first { $0.stream == 2 }?.payload == p2)
        #expect(b.chunksByTSN.isEmpty)
    }

    @Test func consecutiveMessagesOnOneStreamEachArriveWhole() throws {
        var (b, tsn) = try Self.receiver()
        var chunks: [DataChunk] = []
        var payloads: [ByteBuffer] = []
        for m in 0..<20 {
            let (c, p) = Self.fragments(stream: 0, ssn: UInt16(m), firstTSN: tsn, count: 1 + m % 7, size: 900, seed: 10 + m)
            chunks += c
            payloads.append(p)
            tsn &+= UInt32(c.count)
        }
        // Swap two fragments of message 5 in the middle of the in-order flow.
        let at = chunks.firstIndex { $0.streamSequenceNumber == 5 }! + 1
        chunks.swapAt(at, at + 1)
        let messages = Self.deliver(chunks, to: &b)
        #expect(messages.map(\.payload) == payloads)
        #expect(messages.map(\.stream) == Array(repeating: 0, count: 20))
    }

    @Test func aMessageGrowingPastTheLimitAbortsWhenItsFragmentsCrossIt() throws {
        var (b, tsn) = try Self.receiver(maxMessage: 10_000)
        let (chunks, _) = Self.fragments(stream: 0, ssn: 0, firstTSN: tsn, count: 20, size: 1000, seed: 4)
        // Ten fragments make exactly the limit; the eleventh crosses it.
        _ = Self.deliver(Array(chunks[0..<10]), to: &b)
        #expect(b.state == .established)
        var aborted = false
        let packet = SCTPPacket(sourcePort: 5000, destinationPort: 5000, verificationTag: b.localTag, chunks: [.data(chunks[10])])
        b.handle(packet.serialized(), now: .virtualStart)
        while let event = b.pollEvent() { if case .aborted(.messageTooLarge(11_000)) = event { aborted = true } }
        #expect(aborted)
        #expect(b.state == .closed)
    }
}
