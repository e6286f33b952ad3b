import NIOCore
import RTCCore
import RTCTestSupport
import Testing
@testable import RTCDTLS

/// Record protection after the handshake: data both ways, and what gets dropped and counted
/// (RFC 6347 §4.1.2.6, §4.1.2.7).
@Suite struct DTLSRecordLayerTests {
    static func connected() throws -> DTLSPair {
        var pair = DTLSPair()
        let ok = pair.handshake()
        try #require(ok)
        return pair
    }

    static func appData(_ conn: inout DTLSConnection, _ text: String) throws -> ByteBuffer {
        try conn.send(applicationData: ByteBuffer(string: text), now: .virtualStart)
        let datagram = conn.pollTransmit()
        return try #require(datagram)
    }

    static func received(_ conn: inout DTLSConnection) -> [String] {
        var out: [String] = []
        while let e = conn.pollEvent() { if case .applicationData(let b) = e { out.append(String(buffer: b)) } }
        return out
    }

    @Test func applicationDataFlowsBothWays() throws {
        var pair = try Self.connected()
        let d1 = try Self.appData(&pair.client, "to server")
        pair.server.handle(d1, now: pair.now)
        #expect(Self.received(&pair.server) == ["to server"])
        let d2 = try Self.appData(&pair.server, "to client")
        pair.client.handle(d2, now: pair.now)
        #expect(Self.received(&pair.client) == ["to client"])
        // Records are AEAD protected: the plaintext is not visible on the wire.
        #expect(!String(decoding: d1.readableBytesView, as: UTF8.self).contains("to server"))
    }

    @Test func replayedRecordIsDroppedAndCounted() throws {
        var pair = try Self.connected()
        let d = try Self.appData(&pair.client, "once")
        pair.server.handle(d, now: pair.now)
        pair.server.handle(d, now: pair.now)
        #expect(Self.received(&pair.server) == ["once"])
        #expect(pair.server.statistics.recordsDroppedReplay == 1)
    }

    @Test func outOfOrderRecordsWithinTheWindowAreAccepted() throws {
        var pair = try Self.connected()
        let a = try Self.appData(&pair.client, "a"), b = try Self.appData(&pair.client, "b")
        pair.server.handle(b, now: pair.now)
        pair.server.handle(a, now: pair.now)
        #expect(Self.received(&pair.server) == ["b", "a"])
        // Far older than the 64-record window: dropped as a replay.
        var old: ByteBuffer? = nil
        for i in 0..<70 {
            let d = try Self.appData(&pair.client, "x\(i)")
            if i == 0 { old = d } else { pair.server.handle(d, now: pair.now) }
        }
        pair.server.handle(old!, now: pair.now)
        #expect(!Self.received(&pair.server).contains("x0"))
        #expect(pair.server.statistics.recordsDroppedReplay == 1)
    }

    @Test func badMACIsDroppedAndCounted() throws {
        var pair = try Self.connected()
        var d = try Self.appData(&pair.client, "tampered")
        let last = d.writerIndex - 1
        d.setInteger(d.getInteger(at: last, as: UInt8.self)! ^ 0x01, at: last)
        pair.server.handle(d, now: pair.now)
        #expect(Self.received(&pair.server).isEmpty)
        #expect(pair.server.statistics.recordsDroppedBadMAC == 1)
        #expect(pair.server.state == .connected)
        // A later good record still gets through (the tampered one did not poison the window).
        pair.server.handle(try Self.appData(&pair.client, "good"), now: pair.now)
        #expect(Self.received(&pair.server) == ["good"])
    }

    @Test func wrongEpochIsDropped() throws {
        var pair = try Self.connected()
        var d = try Self.appData(&pair.client, "epoch")
        d.setInteger(UInt16(2), at: d.readerIndex + 3)
        pair.server.handle(d, now: pair.now)
        var plaintext = ByteBuffer()
        plaintext.writeBytes([23, 0xFE, 0xFD, 0, 0, 0, 0, 0, 0, 0, 99, 0, 4])
        plaintext.writeString("evil")
        pair.server.handle(plaintext, now: pair.now)
        #expect(Self.received(&pair.server).isEmpty)
        #expect(pair.server.statistics.recordsDroppedWrongEpoch == 2)
    }

    @Test func garbageIsCountedAsMalformed() throws {
        var pair = try Self.connected()
        pair.server.handle(ByteBuffer(bytes: [0x17, 0xFE]), now: pair.now)
        pair.server.handle(ByteBuffer(bytes: [0x17, 0x03, 0x03, 0, 1, 0, 0, 0, 0, 0, 1, 0, 0]), now: pair.now)
        #expect(pair.server.statistics.recordsDroppedMalformed == 2)
        #expect(pair.server.state == .connected)
    }

    @Test func closeNotifyClosesBothSides() throws {
        var pair = try Self.connected()
        pair.client.close(now: pair.now)
        #expect(pair.client.state == .closed)
        let sent = pair.client.pollTransmit()
        let notify = try #require(sent)
        pair.server.handle(notify, now: pair.now)
        #expect(pair.server.state == .closed)
        var events: [DTLSEvent] = []
        while let e = pair.server.pollEvent() { events.append(e) }
        #expect(events.contains(.closed))
        // The server answers with its own close_notify.
        #expect(pair.server.pollTransmit() != nil)
        #expect(throws: DTLSError.notConnected) { try pair.client.send(applicationData: ByteBuffer(string: "late"), now: pair.now) }
    }

    @Test func sendBeforeHandshakeThrows() {
        var conn = DTLSConnection(role: .client, configuration: DTLSConfiguration(certificate: TestIdentities.client, verification: .acceptAny))
        #expect(throws: DTLSError.notConnected) { try conn.send(applicationData: ByteBuffer(string: "x"), now: .virtualStart) }
        #expect(throws: DTLSError.notConnected) { _ = try conn.exportKeyingMaterial(label: "x", length: 1) }
    }
}
