import NIOCore
import RTCCore
import RTCSTUN
import RTCTestSupport
import Testing
@testable import RTCTURN

/// A scripted TURN server built from RTCSTUN messages (RFC 8656 server side, much simplified):
/// it challenges with 401, checks MESSAGE-INTEGRITY and the nonce, and answers each method.
/// Tests change its script (drops, errors, stale nonces, broken integrity) between steps.
struct FakeTURNServer {
    static let address = TransportAddress(ip: .v4(0x0A00_0001), port: 3478)
    /// The client's own address (where the server's datagrams arrive; what it reports as mapped).
    static let clientAddress = TransportAddress(ip: .v4(0xC0A8_0102), port: 50_000)
    static let relayedAddress = TransportAddress(ip: .v4(0x0A00_0001), port: 49_152)

    var realm = "fake.test"
    var nonce = "nonce-1"
    var username = "alice"
    var password = "wonderland"
    var lifetime: UInt32 = 600
    var key: STUNIntegrityKey { .longTerm(username: username, realm: realm, password: password) }

    /// Requests received (also the dropped ones), with the time they arrived.
    var log: [(time: NIODeadline, message: STUNMessage, parsed: STUNParsedMessage)] = []
    /// Drop (do not answer) this many requests.
    var dropNext = 0
    /// Answer every request of a method with this error (after authentication).
    var errors: [STUNMethod: STUNErrorCode] = [:]
    /// Include MESSAGE-INTEGRITY in error responses.
    var integrityOnErrors = true
    /// Answer the next N authenticated requests with 438 and a fresh nonce.
    var staleNonces = 0
    /// Sign responses with the wrong key.
    var corruptIntegrity = false
    /// Send success responses without MESSAGE-INTEGRITY.
    var omitIntegrity = false
    /// Omit XOR-RELAYED-ADDRESS from Allocate success.
    var omitRelayed = false
    private var nonceCounter = 1

    func requests(_ method: STUNMethod) -> [(time: NIODeadline, message: STUNMessage, parsed: STUNParsedMessage)] {
        log.filter { $0.message.type == STUNMessageType(method: method, messageClass: .request) }
    }

    mutating func rotateNonce() {
        nonceCounter += 1
        nonce = "nonce-\(nonceCounter)"
    }

    /// Answers one datagram from the client, or nothing.
    mutating func handle(_ payload: ByteBuffer, now: NIODeadline) -> ByteBuffer? {
        guard let parsed = try? STUNParsedMessage(payload) else { return nil }
        let request = parsed.message
        guard request.type.messageClass == .request else {
            log.append((now, request, parsed))
            return nil
        }
        log.append((now, request, parsed))
        if dropNext > 0 {
            dropNext -= 1
            return nil
        }
        let method = request.type.method
        func error(_ code: STUNErrorCode, signed: Bool, extra: [STUNAttribute] = []) -> ByteBuffer {
            let m = STUNMessage(type: STUNMessageType(method: method, messageClass: .errorResponse),
                                transactionID: request.transactionID, attributes: [.errorCode(code)] + extra)
            return m.encoded(integrity: signed ? key : nil)
        }
        guard parsed.hasIntegrity else {
            return error(.unauthenticated, signed: false, extra: [.realm(realm), .nonce(nonce)])
        }
        guard parsed.verifyIntegrity(key), request.username == username else {
            return error(.unauthenticated, signed: false, extra: [.realm(realm), .nonce(nonce)])
        }
        if staleNonces > 0 || request.nonce != nonce {
            if staleNonces > 0 {
                staleNonces -= 1
                rotateNonce()
            }
            return error(.staleNonce, signed: false, extra: [.realm(realm), .nonce(nonce)])
        }
        if let code = errors[method] {
            return error(code, signed: integrityOnErrors)
        }
        var attributes: [STUNAttribute] = []
        switch method {
        case .allocate:
            if !omitRelayed { attributes.append(.xorAddress(.xorRelayedAddress, Self.relayedAddress, transactionID: request.transactionID)) }
            attributes.append(.uint32(.lifetime, lifetime))
            attributes.append(.xorMappedAddress(Self.clientAddress, transactionID: request.transactionID))
        case .refresh:
            let asked = request.uint32(.lifetime) ?? lifetime
            attributes.append(.uint32(.lifetime, asked == 0 ? 0 : lifetime))
        default:
            break
        }
        let response = STUNMessage(type: STUNMessageType(method: method, messageClass: .successResponse),
                                   transactionID: request.transactionID, attributes: attributes)
        if omitIntegrity { return response.encoded() }
        let signing = corruptIntegrity ? STUNIntegrityKey.longTerm(username: username, realm: realm, password: "bad") : key
        return response.encoded(integrity: signing)
    }

    /// A Data indication from `peer` (RFC 8656 §11.4).
    static func dataIndication(from peer: TransportAddress, _ bytes: [UInt8]) -> ByteBuffer {
        let tid = STUNTransactionID(high: 7, low: 7)
        return STUNMessage(type: STUNMessageType(method: .data, messageClass: .indication), transactionID: tid,
                           attributes: [.xorAddress(.xorPeerAddress, peer, transactionID: tid),
                                        STUNAttribute(type: .data, value: bytes)]).encoded()
    }
}

/// A client wired to a `FakeTURNServer` with zero delay, on virtual time.
struct TURNHarness {
    var client: TURNClient
    var server = FakeTURNServer()
    var now = NIODeadline.virtualStart
    var events: [TURNEvent] = []
    var extraTransmits: [Transmit] = []

    init(lifetime: UInt32? = nil, maxStaleNonceRetries: Int = 3, password: String = "wonderland") {
        let config = TURNClientConfiguration(server: FakeTURNServer.address, username: "alice", password: password,
                                             requestedLifetime: lifetime, maxStaleNonceRetries: maxStaleNonceRetries)
        client = TURNClient(configuration: config, rng: SeededRandom(seed: 42))
    }

    /// Seconds since virtual start.
    func elapsed(_ t: NIODeadline) -> Int64 { (t - .virtualStart).nanoseconds / 1_000_000 }

    /// Delivers everything the client sends to the server and the answers back, until quiet.
    mutating func pump() {
        var rounds = 0
        while let t = client.pollTransmit() {
            rounds += 1
            precondition(rounds < 10_000, "client keeps transmitting")
            #expect(t.destination == FakeTURNServer.address)
            if let answer = server.handle(t.payload, now: now) {
                client.handle(ReceivedDatagram(source: FakeTURNServer.address, destination: FakeTURNServer.clientAddress, payload: answer), now: now)
            }
        }
        while let e = client.pollEvent() { events.append(e) }
    }

    /// Hands the client a datagram from `source` (the server by default) and returns the peer
    /// data it carried; every other event is kept in `events`.
    mutating func receive(_ payload: ByteBuffer, from source: TransportAddress = FakeTURNServer.address) -> TURNPeerData? {
        client.handle(ReceivedDatagram(source: source, destination: FakeTURNServer.clientAddress, payload: payload), now: now)
        var data: TURNPeerData?
        while let e = client.pollEvent() {
            if case .peerData(let d) = e { data = d } else { events.append(e) }
        }
        return data
    }

    /// Runs timers up to `now + amount`.
    mutating func advance(by amount: TimeAmount) {
        let end = now + amount
        var rounds = 0
        while let d = client.nextDeadline, d <= end {
            rounds += 1
            precondition(rounds < 100_000, "deadline does not advance")
            now = max(now, d)
            client.handleTimeout(now: now)
            pump()
        }
        now = end
    }

    struct NotAllocated: Error {}

    /// Allocates, or throws.
    @discardableResult
    mutating func mustAllocate() throws -> TURNAllocation {
        guard let a = allocate() else { throw NotAllocated() }
        return a
    }

    /// Allocates and returns the allocation.
    mutating func allocate() -> TURNAllocation? {
        client.allocate(now: now)
        pump()
        for e in events { if case .allocated(let a) = e { return a } }
        return nil
    }
}
