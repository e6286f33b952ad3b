import NIOCore
import NIOPosix
import RTCCore
import RTCTestSupport
import RTCUDP
import Testing

/// Consecutive equal-sized datagrams to one destination leave in UDP GSO writes (one system
/// call for up to 64): the receiver still gets every datagram, byte for byte and in order,
/// whatever the sizes, and the same as with GSO off. A busy receiver reads them with receive
/// offload (`UDP_GRO`): a GSO write arrives in one read and is cut back into its datagrams.
@Suite struct UDPDriverSegmentationOffloadTests {
    static let loopback = TransportAddress(ip: .loopbackV4, port: 0)

    /// 300 texts: runs of 1,000-byte ones, with a shorter one (ends a GSO write early) and a
    /// longer one (starts a new write) in between.
    static let texts: [String] = (0..<300).map { i in
        let size = i == 100 ? 400 : i == 200 ? 1_300 : 1_000
        let head = "datagram \(i) "
        return head + String(repeating: Character(UnicodeScalar(UInt8(97 + i % 26))), count: size - head.utf8.count)
    }

    func transfer(segmentationOffload: Bool) async throws -> (received: [String], writes: Int) {
        let a = DriverHost(), b = DriverHost()
        await a.useSegmentationOffload(segmentationOffload)
        let aLocal = try #require(await a.bind([Self.loopback]).first)
        let bLocal = try #require(await b.bind([Self.loopback]).first)
        await a.send(Self.texts, from: aLocal, to: bLocal)
        try await waitUntil(10, "300 datagrams") { b.recorder.events.count >= 300 }
        let received = b.recorder.events.compactMap { if case .received(let t, _, _) = $0 { t } else { nil } }
        let writes = await a.segmentationOffloadWrites
        await a.close()
        await b.close()
        return (received, writes)
    }

    @Test func equalDatagramsGoOutInGSOWritesAndArriveAsSent() async throws {
        try #require(System.supportsUDPSegmentationOffload, "Linux with UDP_SEGMENT (4.18+)")
        let (received, writes) = try await transfer(segmentationOffload: true)
        #expect(received == Self.texts)
        // Runs 0…100 (the 400-byte one ends it), 101…199, 200 alone (1,300 bytes), 201…299,
        // at most 64 datagrams (and 65,000 bytes) per write.
        #expect(writes >= 5 && writes <= 8)
    }

    @Test func aBusyReceiverGetsGSOWritesCoalescedAndCutsThemApart() async throws {
        try #require(System.supportsUDPSegmentationOffload && System.supportsUDPReceiveOffload, "Linux with UDP_SEGMENT and UDP_GRO")
        let a = DriverHost(), b = DriverHost()
        let aLocal = try #require(await a.bind([Self.loopback]).first)
        let bLocal = try #require(await b.bind([Self.loopback]).first)
        // Without GSO, a burst of single datagrams makes b busy (it reads four per wake-up).
        await a.useSegmentationOffload(false)
        let warmUp = (0..<200).map { "warm-up \($0)" }
        await a.send(warmUp, from: aLocal, to: bLocal)
        try await waitUntil(10, "200 warm-up datagrams") { b.recorder.events.count >= 200 }
        #expect(await b.busyReadingSocketCount == 1)
        #expect(await b.coalescedDatagramsReceived == 0, "single writes are not coalesced")
        // Then the texts in GSO writes: each write arrives in one read, cut at its segment size
        // (the 400-byte and 1,300-byte ones end and start writes of their own).
        await a.useSegmentationOffload(true)
        await a.send(Self.texts, from: aLocal, to: bLocal)
        try await waitUntil(10, "300 datagrams") { b.recorder.events.count >= 500 }
        let received = b.recorder.events.compactMap { if case .received(let t, _, _) = $0 { t } else { nil } }
        #expect(Array(received.prefix(200)) == warmUp)
        #expect(Array(received.dropFirst(200)) == Self.texts)
        let coalesced = await b.coalescedDatagramsReceived
        #expect(coalesced >= 200 && coalesced <= 300, "\(coalesced) of the 300 arrived several to a read")
        await a.close()
        await b.close()
    }

    /// A socket that moved to vector reads (its peer sent no GSO writes) tries receive offload
    /// again after `receiveOffloadRetryDatagrams`: once the peer sends GSO writes, they arrive
    /// coalesced again, and nothing is lost or reordered across the switches. The retry count
    /// (1,000) is above the 801 single datagrams of the first part, however many of them the
    /// socket reads in vectors (that depends on the machine's load).
    @Test func aSocketReadingInVectorsTriesReceiveOffloadAgain() async throws {
        try #require(System.supportsUDPSegmentationOffload && System.supportsUDPReceiveOffload, "Linux with UDP_SEGMENT and UDP_GRO")
        let a = DriverHost(), b = DriverHost()
        await b.retryReceiveOffload(after: 1_000)
        let aLocal = try #require(await a.bind([Self.loopback]).first)
        let bLocal = try #require(await b.bind([Self.loopback]).first)
        await a.useSegmentationOffload(false)
        var sent: [String] = []
        // Single datagrams: busy, then offload reviewed (256 reads, none coalesced) and left.
        for round in 0..<4 {
            try await deliver((0..<200).map { "single \(round) \($0)" }, from: a, aLocal, to: b, bLocal, sent: &sent, within: 10)
        }
        try await deliver(["empty queue"], from: a, aLocal, to: b, bLocal, sent: &sent, within: 10)
        #expect(await b.receiveOffloadSocketCount == 0, "moved to vector reads")
        #expect(await b.busyReadingSocketCount == 1)
        // Equal-sized datagrams in GSO writes: read in vectors (cut apart by the kernel) until
        // 1,000 have come that way (at most 1,000 of these 1,600), then with receive offload,
        // coalesced.
        await a.useSegmentationOffload(true)
        for round in 0..<16 {
            let texts = (0..<100).map { "gso " + String(round + 10) + " " + String(repeating: "0", count: 3 - String($0).count) + String($0) }
            try await deliver(texts, from: a, aLocal, to: b, bLocal, sent: &sent, within: 10)
        }
        let received = b.recorder.events.compactMap { if case .received(let t, _, _) = $0 { t } else { nil } }
        #expect(received == sent)
        #expect(await b.receiveOffloadSocketCount == 1, "back on receive offload")
        let coalesced = await b.coalescedDatagramsReceived
        #expect(coalesced >= 100, "\(coalesced) datagrams arrived several to a read after the retry")
        await a.close()
        await b.close()
    }

    @Test func withoutGSOTheSameDatagramsArrive() async throws {
        let (received, writes) = try await transfer(segmentationOffload: false)
        #expect(received == Self.texts)
        #expect(writes == 0)
    }
}
