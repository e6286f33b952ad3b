import NIOCore
import RTCCore
import RTCTestSupport
import Testing
@testable import RTCDTLS

/// A DTLS client may make its X25519 key pair while it waits for the server's flight
/// (`prepareKeyShare`, which the session calls once its ClientHello is out): the reply to that
/// flight then costs one key generation less. The key made ahead is the one the client sends,
/// used once; a server that picks P-256 gets a fresh P-256 key; a server, or a client that has
/// already heard from its peer, makes nothing. Virtual time, 10 ms one way.
@Suite struct DTLSKeyShareAheadTests {
    static let conditions = LinkConditions(delay: .milliseconds(10))

    /// The ECDHE public value of a ClientKeyExchange (handshake type 16) in `datagram`, if any:
    /// records are 13-byte headers, handshake messages 12-byte ones, then a 1-byte length.
    static func clientKeyExchangeKey(in datagram: ByteBuffer) -> [UInt8]? {
        var offset = datagram.readerIndex
        while let type = datagram.getInteger(at: offset, as: UInt8.self),
              let length = datagram.getInteger(at: offset + 11, as: UInt16.self) {
            if type == DTLSContentType.handshake.rawValue, datagram.getInteger(at: offset + 13, as: UInt8.self) == 16,
               let keyLength = datagram.getInteger(at: offset + 25, as: UInt8.self) {
                return datagram.getBytes(at: offset + 26, length: Int(keyLength))
            }
            offset += 13 + Int(length)
        }
        return nil
    }

    final class Sent: @unchecked Sendable { var key: [UInt8]? }

    @Test func theKeyMadeAheadIsTheOneTheClientSendsAndIsUsedOnce() throws {
        var pair = DTLSPair(conditions: Self.conditions)
        pair.pair.withA { client, now in
            client.startHandshake(now: now)
            client.prepareKeyShare()
        }
        let prepared = try #require(pair.client.preparedKeySharePublicBytes)
        #expect(prepared.count == 32)
        let sent = Sent()
        pair.tamper = { side, datagram in
            if side == .a, let key = Self.clientKeyExchangeKey(in: datagram) { sent.key = key }
            return datagram
        }
        #expect(pair.run { $0.client.state == .connected && $0.server.state == .connected })
        #expect(sent.key == prepared)
        #expect(pair.client.preparedKeySharePublicBytes == nil, "used once")
        // Both ends derived the same keys from it.
        #expect(try pair.client.exportKeyingMaterial(label: "EXTRACTOR-test", length: 32)
                == pair.server.exportKeyingMaterial(label: "EXTRACTOR-test", length: 32))
    }

    @Test func aServerThatPicksP256GetsAFreshP256Key() throws {
        var pair = DTLSPair(conditions: Self.conditions, serverConfig: { $0.groups = [.secp256r1] })
        pair.pair.withA { client, now in
            client.startHandshake(now: now)
            client.prepareKeyShare()
        }
        let sent = Sent()
        pair.tamper = { side, datagram in
            if side == .a, let key = Self.clientKeyExchangeKey(in: datagram) { sent.key = key }
            return datagram
        }
        #expect(pair.run { $0.client.state == .connected && $0.server.state == .connected })
        let key = try #require(sent.key)
        #expect(key.count == 65 && key.first == 4, "an uncompressed P-256 point, not the X25519 key")
    }

    @Test func aServerOrAClientThatHeardFromItsPeerMakesNothing() {
        var pair = DTLSPair(conditions: Self.conditions)
        pair.pair.withB { server, _ in server.prepareKeyShare() }
        #expect(pair.server.preparedKeySharePublicBytes == nil)
        pair.pair.withA { client, now in client.startHandshake(now: now) }
        #expect(pair.run { $0.client.state == .connected })
        pair.pair.withA { client, _ in client.prepareKeyShare() }
        #expect(pair.client.preparedKeySharePublicBytes == nil)
    }
}
