import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import RTCCore
import RTCTestSupport
import RTCUDP
import Testing

/// A core that reports every datagram, answers each one with "echo:" and the text (from the
/// address it arrived on), sends what it is told to, and arms a timer when told to.
struct EchoCore: DatagramCore {
    enum Event: Equatable, Sendable {
        case received(String, from: TransportAddress, on: TransportAddress)
        case timeout
    }

    var deadline: NIODeadline?
    private var transmits: [Transmit] = []
    private var events: [Event] = []

    mutating func handle(_ datagram: ReceivedDatagram, now: NIODeadline) {
        let text = String(buffer: datagram.payload)
        events.append(.received(text, from: datagram.source, on: datagram.destination))
        if !text.hasPrefix("echo:") {
            transmits.append(Transmit(source: datagram.destination, destination: datagram.source,
                                      payload: ByteBuffer(string: "echo:" + text)))
        }
    }

    mutating func send(_ text: String, from source: TransportAddress?, to destination: TransportAddress) {
        transmits.append(Transmit(source: source, destination: destination, payload: ByteBuffer(string: text)))
    }

    mutating func pollTransmit() -> Transmit? { transmits.isEmpty ? nil : transmits.removeFirst() }
    mutating func pollEvent() -> Event? { events.isEmpty ? nil : events.removeFirst() }
    var nextDeadline: NIODeadline? { deadline }

    mutating func handleTimeout(now: NIODeadline) {
        guard let deadline, deadline <= now else { return }
        self.deadline = nil
        events.append(.timeout)
    }
}

/// What a driver handed its owner, and how many of its sockets' handlers are alive.
final class DriverRecorder: Sendable {
    private let box = NIOLockedValueBox<(events: [EchoCore.Event], sockets: Int)>(([], 0))
    var events: [EchoCore.Event] { box.withLockedValue { $0.events } }
    var sockets: Int { box.withLockedValue { $0.sockets } }
    func record(_ event: EchoCore.Event) { box.withLockedValue { $0.events.append(event) } }
    func count(_ delta: Int) { box.withLockedValue { $0.sockets += delta } }
}

/// Owns a driver on its event loop, as `PeerConnection` does: the actor's executor is the loop.
actor DriverHost {
    nonisolated let eventLoop: any EventLoop
    nonisolated var unownedExecutor: UnownedSerialExecutor { eventLoop.executor.asUnownedSerialExecutor() }
    nonisolated let recorder: DriverRecorder
    private let driver: UDPDriver<EchoCore>

    init(eventLoop: any EventLoop = MultiThreadedEventLoopGroup.singleton.next(), maximumPendingWriteBytes: Int = 4 << 20) {
        self.eventLoop = eventLoop
        let recorder = DriverRecorder()
        self.recorder = recorder
        driver = UDPDriver(core: EchoCore(), eventLoop: eventLoop, socketCounter: { recorder.count($0) },
                           maximumPendingWriteBytes: maximumPendingWriteBytes, onEvent: { recorder.record($0) })
    }

    var droppedUnwritable: Int { driver.datagramsDroppedUnwritable }

    func bind(_ addresses: [TransportAddress]) async -> [TransportAddress] { await driver.bind(addresses) }

    func send(_ texts: [String], from source: TransportAddress? = nil, to destination: TransportAddress) {
        for text in texts { driver.core.send(text, from: source, to: destination) }
        driver.pump()
    }

    func arm(after delay: TimeAmount) {
        driver.core.deadline = .now() + delay
        driver.pump()
    }

    func close() async { await driver.close() }

    var busyReadingSocketCount: Int { driver.busyReadingSocketCount }

    var segmentationOffloadWrites: Int { driver.segmentationOffloadWrites }
    var coalescedDatagramsReceived: Int { driver.coalescedDatagramsReceived }
    var receiveOffloadSocketCount: Int { driver.receiveOffloadSocketCount }

    func useSegmentationOffload(_ on: Bool) { driver.usesSegmentationOffload = on }

    func retryReceiveOffload(after datagrams: Int) { driver.receiveOffloadRetryDatagrams = datagrams }
}

/// Sends `texts` from `a` to `b`, adds them to `sent`, and waits until `b` has recorded every
/// datagram sent so far.
func deliver(_ texts: [String], from a: DriverHost, _ aLocal: TransportAddress, to b: DriverHost, _ bLocal: TransportAddress,
             sent: inout [String], within seconds: Double) async throws {
    sent += texts
    await a.send(texts, from: aLocal, to: bLocal)
    let count = sent.count
    try await waitUntil(seconds, "\(count) datagrams") { b.recorder.events.count >= count }
}

@Suite struct UDPDriverTests {
    static let loopback = TransportAddress(ip: .loopbackV4, port: 0)

    @Test func datagramsReachTheCoreWithBothAddressesAndAnswersLeaveFromTheSocketTheyName() async throws {
        let a = DriverHost(), b = DriverHost()
        let aLocal = try #require(await a.bind([Self.loopback]).first)
        let bLocal = try #require(await b.bind([Self.loopback]).first)
        #expect(aLocal.port != 0 && bLocal.port != 0)
        await a.send(["hello"], from: aLocal, to: bLocal)
        try await waitUntil(5, "hello at b") { !b.recorder.events.isEmpty }
        #expect(b.recorder.events == [.received("hello", from: aLocal, on: bLocal)])
        try await waitUntil(5, "the echo at a") { !a.recorder.events.isEmpty }
        #expect(a.recorder.events == [.received("echo:hello", from: bLocal, on: aLocal)])
        await a.close()
        await b.close()
    }

    @Test func aBurstWrittenInOnePumpArrivesWholeAndInOrder() async throws {
        let a = DriverHost(), b = DriverHost()
        _ = await a.bind([Self.loopback])
        let bLocal = try #require(await b.bind([Self.loopback]).first)
        let texts = (0..<200).map { "message \($0)" }
        await a.send(texts, to: bLocal)  // no source: the driver picks the socket of the family
        try await waitUntil(5, "200 datagrams") { b.recorder.events.count >= 200 }
        let received = b.recorder.events.compactMap { if case .received(let t, _, _) = $0 { t } else { nil } }
        #expect(received == texts)
        // Every one was answered, so a got 200 echoes back over the same two sockets.
        try await waitUntil(5, "200 echoes") { a.recorder.events.count >= 200 }
        #expect(a.recorder.events.count == 200)
        await a.close()
        await b.close()
    }

    /// Sockets read one datagram at a time (small buffers for idle connections) until a burst
    /// shows data is flowing; then they read several at a time (receive offload or vectors),
    /// and nothing is lost or reordered.
    @Test func aSocketReadsSeveralAtATimeOnlyOnceItIsBusy() async throws {
        let a = DriverHost(), b = DriverHost()
        let aLocal = try #require(await a.bind([Self.loopback]).first)
        let bLocal = try #require(await b.bind([Self.loopback]).first)
        await a.send(["one"], from: aLocal, to: bLocal)
        try await waitUntil(5, "the echo at a") { !a.recorder.events.isEmpty }
        #expect(await a.busyReadingSocketCount == 0)
        #expect(await b.busyReadingSocketCount == 0)
        // 200 datagrams written at once are queued at b faster than it reads four per wake-up.
        let texts = (0..<200).map { "message \($0)" }
        await a.send(texts, from: aLocal, to: bLocal)
        try await waitUntil(5, "201 datagrams") { b.recorder.events.count >= 201 }
        let received = b.recorder.events.compactMap { if case .received(let t, _, _) = $0 { t } else { nil } }
        #expect(received == ["one"] + texts)
        #expect(await b.busyReadingSocketCount == 1)
        await a.close()
        await b.close()
    }

    /// Receive offload only while it pays: a busy socket whose datagrams never arrive
    /// coalesced (its peer sends no GSO writes) moves on to vector reads, losing nothing.
    @Test func aBusySocketWhoseDatagramsAreNeverCoalescedMovesToVectorReads() async throws {
        try #require(System.supportsUDPReceiveOffload, "Linux with UDP_GRO")
        let a = DriverHost(), b = DriverHost()
        await a.useSegmentationOffload(false)
        let aLocal = try #require(await a.bind([Self.loopback]).first)
        let bLocal = try #require(await b.bind([Self.loopback]).first)
        var sent: [String] = []
        for round in 0..<4 {
            try await deliver((0..<200).map { "round \(round) message \($0)" }, from: a, aLocal, to: b, bLocal, sent: &sent, within: 5)
            if round == 0 { #expect(await b.receiveOffloadSocketCount == 1, "busy: receive offload first") }
        }
        // One more, after the queue ran empty, completes the move.
        try await deliver(["last"], from: a, aLocal, to: b, bLocal, sent: &sent, within: 5)
        let received = b.recorder.events.compactMap { if case .received(let t, _, _) = $0 { t } else { nil } }
        #expect(received == sent)
        #expect(await b.receiveOffloadSocketCount == 0, "moved off receive offload")
        #expect(await b.busyReadingSocketCount == 1, "reading in vectors")
        #expect(await b.coalescedDatagramsReceived == 0)
        await a.close()
        await b.close()
    }

    @Test func theTimerRunsTheCoreAtItsDeadlineAndNotBefore() async throws {
        let host = DriverHost()
        _ = await host.bind([Self.loopback])
        let start = NIODeadline.now()
        await host.arm(after: .milliseconds(80))
        try await waitUntil(5, "the timeout") { host.recorder.events == [.timeout] }
        #expect(NIODeadline.now() - start >= .milliseconds(80))
        await host.close()
    }

    @Test func anAddressThatCannotBeBoundIsSkipped() async throws {
        let host = DriverHost()
        // 192.0.2.1 (TEST-NET-1, RFC 5737) is on no interface here.
        let unbindable = TransportAddress(ip: IPAddress("192.0.2.1")!, port: 0)
        let bound = await host.bind([unbindable, Self.loopback])
        #expect(bound.count == 1)
        #expect(bound.first?.ip == .loopbackV4)
        await host.close()
    }

    @Test func closingStopsDeliveryAndTimersAndReleasesEverySocket() async throws {
        let a = DriverHost(), b = DriverHost()
        let bLocal = try #require(await b.bind([Self.loopback, Self.loopback]).first)
        _ = await a.bind([Self.loopback])
        #expect(b.recorder.sockets == 2)
        await b.arm(after: .milliseconds(30))
        await b.close()
        await a.send(["after close"], to: bLocal)
        try await Task.sleep(for: .milliseconds(150))
        #expect(b.recorder.events.isEmpty)
        try await waitUntil(5, "b's sockets released") { b.recorder.sockets == 0 }
        await a.close()
    }

    @Test func socketAddressConversionRoundTrips() throws {
        var rng = SeededRandom(seed: 11)
        for _ in 0..<500 {
            let port = UInt16.random(in: 0...UInt16.max, using: &rng)
            let ip: IPAddress = Bool.random(using: &rng)
                ? .v4(UInt32.random(in: 0...UInt32.max, using: &rng))
                : .v6(rng.next(), rng.next())
            let address = TransportAddress(ip: ip, port: port)
            #expect(TransportAddress(socketAddress: address.socketAddress) == address)
        }
        #expect(TransportAddress(socketAddress: try SocketAddress(ipAddress: "2001:db8::1", port: 443))
                == TransportAddress("[2001:db8::1]:443"))
        #expect(TransportAddress(socketAddress: try SocketAddress(ipAddress: "10.1.2.3", port: 5000))
                == TransportAddress("10.1.2.3:5000"))
    }
}
