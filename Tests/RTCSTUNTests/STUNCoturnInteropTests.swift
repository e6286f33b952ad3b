import Foundation
import NIOCore
import NIOPosix
import NIOConcurrencyHelpers
import RTCCore
import RTCTestSupport
import Testing
@testable import RTCSTUN

/// A UDP socket on 127.0.0.1 for talking to real STUN servers in tests.
final class STUNTestSocket: @unchecked Sendable {
    let channel: Channel
    private let inbox: Inbox

    final class Inbox: @unchecked Sendable {
        let lock = NIOLock()
        var items: [AddressedEnvelope<ByteBuffer>] = []
        func push(_ e: AddressedEnvelope<ByteBuffer>) { lock.withLock { items.append(e) } }
        func pop() -> AddressedEnvelope<ByteBuffer>? { lock.withLock { items.isEmpty ? nil : items.removeFirst() } }
    }

    private final class Handler: ChannelInboundHandler, @unchecked Sendable {
        typealias InboundIn = AddressedEnvelope<ByteBuffer>
        let inbox: Inbox
        init(_ inbox: Inbox) { self.inbox = inbox }
        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            inbox.push(unwrapInboundIn(data))
        }
    }

    init() async throws {
        let inbox = Inbox()
        self.inbox = inbox
        channel = try await DatagramBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelInitializer { ch in ch.eventLoop.makeCompletedFuture { try ch.pipeline.syncOperations.addHandler(Handler(inbox)) } }
            .bind(host: "127.0.0.1", port: 0).get()
    }

    var localAddress: TransportAddress {
        let a = channel.localAddress!
        return TransportAddress(ip: IPAddress(a.ipAddress!)!, port: UInt16(a.port!))
    }

    func send(_ buffer: ByteBuffer, to port: UInt16) async throws {
        let remote = try SocketAddress(ipAddress: "127.0.0.1", port: Int(port))
        try await channel.writeAndFlush(AddressedEnvelope(remoteAddress: remote, data: buffer))
    }

    /// Sends `request` (retransmitting every 200 ms) until a STUN message with its
    /// transaction id arrives, for at most `timeout` seconds.
    func transact(_ request: STUNMessage, to port: UInt16, integrity: STUNIntegrityKey? = nil, timeout: Double = 10) async throws -> STUNParsedMessage {
        let clock = ContinuousClock()
        var nextSend = clock.now
        return try await waitForValue(timeout, "a response to \(request.type) on port \(port)", every: .milliseconds(5)) {
            if clock.now >= nextSend {
                try await send(request.encoded(integrity: integrity, fingerprint: true), to: port)
                nextSend = clock.now + .milliseconds(200)
            }
            while let envelope = inbox.pop() {
                if let parsed = try? STUNParsedMessage(envelope.data), parsed.message.transactionID == request.transactionID {
                    return parsed
                }
            }
            return nil
        }
    }

    func close() async { try? await channel.close() }
}

/// Binding and Allocate against a real coturn on 127.0.0.1 (private network namespace).
@Suite(.serialized) struct STUNCoturnInteropTests {
    @Test func bindingRequestReturnsOurAddress() async throws {
        try InteropEnvironment.requirePrivateNamespace()
        let server = try CoturnServer()
        defer { server.stop() }
        let socket = try await STUNTestSocket()
        var rng = SystemRandomNumberGenerator()
        let request = STUNMessage(type: .bindingRequest, transactionID: .random(using: &rng), attributes: [.software("SwiftRTC test")])
        let response = try await socket.transact(request, to: server.port)
        #expect(response.message.type == .bindingSuccess)
        #expect(response.message.xorMappedAddress == socket.localAddress)
        await socket.close()
    }

    @Test func allocateWithLongTermCredentials() async throws {
        try InteropEnvironment.requirePrivateNamespace()
        let server = try CoturnServer()
        defer { server.stop() }
        let user = try #require(server.longTermUser)
        let socket = try await STUNTestSocket()
        var rng = SystemRandomNumberGenerator()
        let requestedTransportUDP = STUNAttribute(type: .requestedTransport, value: [17, 0, 0, 0])
        // Unauthenticated first: 401 with REALM and NONCE (RFC 8489 §9.2.4).
        let first = STUNMessage(type: STUNMessageType(method: .allocate, messageClass: .request),
                                transactionID: .random(using: &rng), attributes: [requestedTransportUDP])
        let challenge = try await socket.transact(first, to: server.port)
        #expect(challenge.message.type == STUNMessageType(method: .allocate, messageClass: .errorResponse))
        #expect(challenge.message.errorCode?.code == 401)
        #expect(challenge.message.realm == server.realm)
        let nonce = try #require(challenge.message.nonce)
        #expect(!nonce.isEmpty)
        // Then with MESSAGE-INTEGRITY keyed by MD5(username:realm:password).
        let key = STUNIntegrityKey.longTerm(username: user.username, realm: server.realm, password: user.password)
        let second = STUNMessage(type: STUNMessageType(method: .allocate, messageClass: .request),
                                 transactionID: .random(using: &rng),
                                 attributes: [requestedTransportUDP, .username(user.username), .realm(server.realm), .nonce(nonce)])
        let success = try await socket.transact(second, to: server.port, integrity: key)
        #expect(success.message.type == STUNMessageType(method: .allocate, messageClass: .successResponse),
                "got \(success.message.errorCode.map(\.description) ?? "?")")
        #expect(success.verifyIntegrity(key))
        let relayed = try success.message.xorAddress(.xorRelayedAddress)
        #expect(relayed?.ip == .loopbackV4)
        #expect(success.message.xorMappedAddress == socket.localAddress)
        #expect((success.message.uint32(.lifetime) ?? 0) > 0)
        // A wrong password is refused.
        let wrongKey = STUNIntegrityKey.longTerm(username: user.username, realm: server.realm, password: "nope")
        let third = STUNMessage(type: STUNMessageType(method: .allocate, messageClass: .request),
                                transactionID: .random(using: &rng),
                                attributes: [requestedTransportUDP, .username(user.username), .realm(server.realm), .nonce(nonce)])
        let refused = try await socket.transact(third, to: server.port, integrity: wrongKey)
        #expect(refused.message.type.messageClass == .errorResponse)
        await socket.close()
    }
}
