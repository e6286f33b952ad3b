import NIOCore
import RTCCore
import RTCSTUN
import RTCTURN

// libFuzzer entry for the TURN client's input paths (RFC 8656 §12.5 ChannelData, §7–§12
// responses, §11.6 Data indications):
// 1. whatever parses as ChannelData must re-encode (plain and padded) and re-parse equal;
// 2. the bytes are fed to a client that is allocating and to one that is allocated with
//    requests in flight; bytes 8–19 are overwritten with a pending transaction id (chosen by
//    the first byte) so responses reach the transaction logic. The clients must not crash,
//    must keep their invariants and must keep making progress on timeouts.

let server = TransportAddress(ip: .v4(0x7F00_0001), port: 3478)
let peer = TransportAddress(ip: .v4(0x7F00_0001), port: 5000)
let local = TransportAddress(ip: .v4(0x7F00_0001), port: 50000)
let configuration = TURNClientConfiguration(server: server, username: "fuzz", password: "fuzz")
let start = NIODeadline.uptimeNanoseconds(1_000_000_000_000)

/// Pending request transaction ids, from the transmits the client produced.
func drainRequests(_ client: inout TURNClient) -> [STUNTransactionID] {
    var ids: [STUNTransactionID] = []
    while let t = client.pollTransmit() {
        if let m = try? STUNParsedMessage(t.payload), m.message.type.messageClass == .request { ids.append(m.message.transactionID) }
    }
    while client.pollEvent() != nil {}
    return ids
}

/// A client in `.allocating` with its unauthenticated Allocate in flight.
func allocatingClient() -> (TURNClient, [STUNTransactionID]) {
    var c = TURNClient(configuration: configuration, rng: SeededRandom(seed: 1))
    c.allocate(now: start)
    let ids = drainRequests(&c)
    return (c, ids)
}

/// A client in `.allocated` with CreatePermission, ChannelBind and Refresh in flight.
let allocated: (TURNClient, [STUNTransactionID]) = {
    var c = TURNClient(configuration: configuration, rng: SeededRandom(seed: 2))
    c.allocate(now: start)
    let first = drainRequests(&c)[0]
    let challenge = STUNMessage(type: STUNMessageType(method: .allocate, messageClass: .errorResponse), transactionID: first,
                                attributes: [.errorCode(.unauthenticated), .realm("fuzz.realm"), .nonce("fuzz-nonce")])
    c.handle(ReceivedDatagram(source: server, destination: local, payload: challenge.encoded()), now: start)
    let second = drainRequests(&c)[0]
    let key = STUNIntegrityKey.longTerm(username: "fuzz", realm: "fuzz.realm", password: "fuzz")
    let success = STUNMessage(type: STUNMessageType(method: .allocate, messageClass: .successResponse), transactionID: second,
                              attributes: [.xorAddress(.xorRelayedAddress, TransportAddress(ip: .v4(0x7F00_0001), port: 40000), transactionID: second),
                                           .uint32(.lifetime, 600), .xorMappedAddress(peer, transactionID: second)])
    c.handle(ReceivedDatagram(source: server, destination: local, payload: success.encoded(integrity: key)), now: start)
    guard c.state == .allocated else { fatalError("fuzz set-up: allocation failed: \(c.state)") }
    _ = drainRequests(&c)
    _ = try? c.bindChannel(to: peer, now: start)
    c.refresh(now: start)
    let ids = drainRequests(&c)
    return (c, ids)
}()

func exercise(_ client: TURNClient, pending ids: [STUNTransactionID], _ bytes: [UInt8]) {
    var c = client
    var input = bytes
    if input.count >= 20, !ids.isEmpty {
        let tid = ids[Int(input[0]) % ids.count].bytes
        for i in 0..<12 { input[8 + i] = tid[i] }
    }
    let stateBefore = c.state
    c.handle(ReceivedDatagram(source: server, destination: local, payload: ByteBuffer(bytes: input)), now: start)
    while let e = c.pollEvent() {
        if case .peerData(let data) = e, data.payload.readableBytes > input.count { fatalError("peer data longer than the datagram") }
    }
    if c.state == .allocated, c.allocation == nil { fatalError("allocated without an allocation") }
    if case .failed = stateBefore, c.state != stateBefore { fatalError("left the failed state") }
    // Timers must always move forward and end (no transaction lives forever).
    var now = start
    for _ in 0..<64 {
        guard let d = c.nextDeadline else { break }
        if d < now { fatalError("deadline in the past") }
        now = d
        c.handleTimeout(now: now)
        while c.pollTransmit() != nil {}
        while c.pollEvent() != nil {}
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let buffer = ByteBuffer(bytes: bytes)
    if let message = try? TURNChannelData(parsing: buffer) {
        for pad in [false, true] {
            guard let again = try? TURNChannelData(parsing: message.encoded(pad: pad)) else { fatalError("re-encoded ChannelData does not parse") }
            guard again == message else { fatalError("ChannelData round trip changed the message") }
        }
    }
    let (client, ids) = allocatingClient()
    exercise(client, pending: ids, bytes)
    exercise(allocated.0, pending: allocated.1, bytes)
    return 0
}
