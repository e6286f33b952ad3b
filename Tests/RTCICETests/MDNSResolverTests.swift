import NIOCore
import RTCCore
import RTCICE
import RTCTestSupport
import Testing

/// The multicast DNS querier for `.local` host candidates: the wire format (RFC 1035 §4.1 with
/// RFC 6762's cache-flush bit and compression) and the resolver's timing on virtual time.
@Suite struct MDNSResolverTests {
    static let name = "1f0cdd5e-0b2a-4e8b-9c51-3c1d2c9a7f00.local"

    /// A response as a browser's responder sends it: the answer's owner name compressed to a
    /// pointer at the question, class IN with the cache-flush bit, TTL 120.
    static func response(name: String = name, address: [UInt8] = [10, 78, 1, 1], withQuestion: Bool = true,
                         type: UInt16 = 1) -> ByteBuffer {
        var b = ByteBuffer()
        b.writeInteger(UInt16(0))
        b.writeInteger(UInt16(0x8400))  // response, authoritative
        b.writeInteger(UInt16(withQuestion ? 1 : 0))
        b.writeInteger(UInt16(1))
        b.writeInteger(UInt16(0))
        b.writeInteger(UInt16(0))
        let nameOffset = b.writerIndex
        for label in name.split(separator: ".") {
            b.writeInteger(UInt8(label.utf8.count))
            b.writeBytes(Array(label.utf8))
        }
        b.writeInteger(UInt8(0))
        if withQuestion {
            b.writeInteger(UInt16(1))
            b.writeInteger(UInt16(1))
            b.writeInteger(UInt16(0xC000 | nameOffset))  // the answer's name points at the question's
        } else {
            // No question: the name was written above as the answer's owner name.
        }
        b.writeInteger(type)
        b.writeInteger(UInt16(0x8001))  // cache-flush | IN
        b.writeInteger(UInt32(120))
        b.writeInteger(UInt16(address.count))
        b.writeBytes(address)
        return b
    }

    @Test func aQueryAsksForTheARecordOfTheName() throws {
        let query = try #require(MDNSMessage.query(for: "ab.local."))
        #expect(Array(query.readableBytesView) == [0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0,
                                                   2, 97, 98, 5, 108, 111, 99, 97, 108, 0, 0, 1, 0, 1])
        #expect(MDNSMessage.query(for: "a..local") == nil, "empty label")
        #expect(MDNSMessage.query(for: String(repeating: "x", count: 64) + ".local") == nil, "label over 63 bytes")
    }

    @Test func addressRecordsAreReadThroughCompressionPointers() throws {
        let records = try MDNSMessage.addressRecords(in: Self.response())
        #expect(records == [MDNSMessage.AddressRecord(name: Self.name, address: IPAddress("10.78.1.1")!, ttl: 120)])
        let v6 = try MDNSMessage.addressRecords(in: Self.response(address: [0xfd] + Array(repeating: 0, count: 14) + [1], type: 28))
        #expect(v6.first?.address == IPAddress("fd00::1"))
        #expect(try MDNSMessage.addressRecords(in: Self.response(withQuestion: false)).count == 1)
        #expect(try MDNSMessage.addressRecords(in: try #require(MDNSMessage.query(for: Self.name))).isEmpty, "a query has no answers")
    }

    @Test func malformedMessagesAreTypedErrors() {
        var loop = ByteBuffer(bytes: [0, 0, 0x84, 0, 0, 0, 0, 1, 0, 0, 0, 0])
        loop.writeBytes([0xC0, 12])  // a pointer to itself
        #expect(throws: MDNSMessageError.badName) { try MDNSMessage.addressRecords(in: loop) }
        let whole = Array(Self.response().readableBytesView)
        for cut in [5, 14, whole.count - 3] {
            #expect(throws: MDNSMessageError.truncated) { try MDNSMessage.addressRecords(in: ByteBuffer(bytes: whole.prefix(cut))) }
        }
        var reserved = ByteBuffer(bytes: [0, 0, 0x84, 0, 0, 0, 0, 1, 0, 0, 0, 0])
        reserved.writeBytes([0x40, 1])
        #expect(throws: MDNSMessageError.badName) { try MDNSMessage.addressRecords(in: reserved) }
    }

    /// Seeded random bytes and mutations of a real response: never a crash, only records or errors.
    @Test func hostileBytesNeverCrashTheParser() {
        var rng = SeededRandom(seed: 6762)
        let base = Array(Self.response().readableBytesView)
        for _ in 0..<5_000 {
            var bytes = base
            for _ in 0..<Int.random(in: 1...6, using: &rng) {
                bytes[Int.random(in: 0..<bytes.count, using: &rng)] = UInt8.random(in: 0...255, using: &rng)
            }
            if Bool.random(using: &rng) { bytes = Array(bytes.prefix(Int.random(in: 0...bytes.count, using: &rng))) }
            _ = try? MDNSMessage.addressRecords(in: ByteBuffer(bytes: bytes))
        }
    }

    @Test func aNameResolvesFromAnAnswerAndThenFromTheCache() {
        var resolver = MDNSResolver()
        let t0 = NIODeadline.virtualStart
        #expect(resolver.resolve(Self.name.uppercased() + ".", now: t0) == nil)
        #expect(resolver.pollTransmit() != nil)
        #expect(resolver.pollTransmit() == nil)
        #expect(resolver.resolve(Self.name, now: t0) == nil, "asked once")
        #expect(resolver.pollTransmit() == nil, "no second query for a pending name")
        resolver.handle(Self.response(name: "other.local"), now: t0 + .milliseconds(5))
        #expect(resolver.pollEvent() == nil, "an answer nobody asked for")
        resolver.handle(Self.response(), now: t0 + .milliseconds(10))
        #expect(resolver.pollEvent() == .resolved(name: Self.name, address: IPAddress("10.78.1.1")!))
        #expect(resolver.nextDeadline == nil)
        #expect(resolver.resolve(Self.name, now: t0 + .seconds(60)) == IPAddress("10.78.1.1"))
        #expect(resolver.statistics.cacheHits == 1)
        // The TTL (120 s) ran out: asked again.
        #expect(resolver.resolve(Self.name, now: t0 + .seconds(121)) == nil)
        #expect(resolver.pollTransmit() != nil)
    }

    @Test func unansweredQueriesRepeatWithDoublingIntervalsThenGiveUp() {
        var resolver = MDNSResolver()
        let t0 = NIODeadline.virtualStart
        _ = resolver.resolve(Self.name, now: t0)
        var sent: [TimeAmount] = []
        var now = t0
        while resolver.pollTransmit() != nil { sent.append(now - t0) }
        var events: [MDNSResolver.Event] = []
        while let deadline = resolver.nextDeadline {
            now = deadline
            resolver.handleTimeout(now: now)
            while resolver.pollTransmit() != nil { sent.append(now - t0) }
            while let event = resolver.pollEvent() { events.append(event) }
        }
        #expect(sent == [.zero, .seconds(1), .seconds(3)])
        #expect(events == [.unresolved(name: Self.name)])
        #expect(now - t0 == .seconds(5))
        #expect(resolver.statistics.namesUnresolved == 1)
    }

    @Test func malformedInputIsCountedAndTooManyNamesAreRefused() {
        var configuration = MDNSResolver.Configuration()
        configuration.maximumPending = 1
        var resolver = MDNSResolver(configuration: configuration)
        let t0 = NIODeadline.virtualStart
        resolver.handle(ByteBuffer(bytes: [1, 2, 3]), now: t0)
        #expect(resolver.statistics.malformedMessages == 1)
        _ = resolver.resolve("bad..local", now: t0)
        #expect(resolver.pollEvent() == .unresolved(name: "bad..local"), "no DNS name")
        #expect(resolver.pollTransmit() == nil)
        _ = resolver.resolve("a.local", now: t0)
        _ = resolver.resolve("b.local", now: t0)
        #expect(resolver.pollEvent() == .unresolved(name: "b.local"), "one name may wait at a time")
    }
}
