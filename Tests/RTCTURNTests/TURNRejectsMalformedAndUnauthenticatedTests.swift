import NIOCore
import RTCCore
import RTCSTUN
import RTCTestSupport
import Testing
@testable import RTCTURN

/// Responses must authenticate once the nonce is known (RFC 8489 §9.2.5); responses to
/// transactions we did not send, datagrams from elsewhere and garbage are dropped and counted.
@Suite struct TURNRejectsMalformedAndUnauthenticatedTests {
    @Test func responseWithWrongIntegrityIsDiscardedAndRetransmissionContinues() {
        var h = TURNHarness()
        h.server.corruptIntegrity = true
        h.client.allocate(now: h.now)
        h.pump()
        #expect(h.client.state == .allocating)
        #expect(h.client.statistics.unauthenticatedResponses == 1)
        h.server.corruptIntegrity = false
        h.advance(by: .milliseconds(500))
        #expect(h.client.state == .allocated)
        #expect(h.client.statistics.unauthenticatedResponses == 1)
    }

    @Test func successWithoutIntegrityIsDiscarded() {
        var h = TURNHarness()
        h.server.omitIntegrity = true
        h.client.allocate(now: h.now)
        h.pump()
        #expect(h.client.state == .allocating)
        #expect(h.client.statistics.unauthenticatedResponses == 1)
    }

    @Test func errorWithoutIntegrityIsDiscardedUnlessItBringsANonce() {
        var h = TURNHarness()
        h.server.errors[.allocate] = STUNErrorCode(code: 486, reason: "Quota")
        h.server.integrityOnErrors = false
        h.client.allocate(now: h.now)
        h.pump()
        #expect(h.client.state == .allocating)
        #expect(h.client.statistics.unauthenticatedResponses == 1)
    }

    @Test func responsesToUnknownTransactionsAreIgnored() throws {
        var h = TURNHarness()
        try h.mustAllocate()
        let stray = STUNMessage(type: STUNMessageType(method: .refresh, messageClass: .successResponse),
                                transactionID: STUNTransactionID(high: 1, low: 2), attributes: [.uint32(.lifetime, 0)])
        #expect(h.receive(stray.encoded(integrity: h.server.key), from: FakeTURNServer.address) == nil)
        #expect(h.client.statistics.unknownTransactions == 1)
        #expect(h.client.state == .allocated)
        // A duplicate of an answered response is also unknown now.
        let last = h.server.requests(.allocate).last!.message
        let dup = STUNMessage(type: STUNMessageType(method: .allocate, messageClass: .successResponse), transactionID: last.transactionID)
        _ = h.receive(dup.encoded(integrity: h.server.key), from: FakeTURNServer.address)
        #expect(h.client.statistics.unknownTransactions == 2)
    }

    @Test func responseWithTheRightIDButWrongMethodIsIgnored() {
        var h = TURNHarness()
        h.client.allocate(now: h.now)
        let request = try! STUNParsedMessage(h.client.pollTransmit()!.payload).message
        let wrong = STUNMessage(type: STUNMessageType(method: .refresh, messageClass: .errorResponse),
                                transactionID: request.transactionID, attributes: [.errorCode(.unauthenticated), .realm("r"), .nonce("n")])
        _ = h.receive(wrong.encoded(), from: FakeTURNServer.address)
        #expect(h.client.statistics.unknownTransactions == 1)
        #expect(h.client.pollTransmit() == nil)
    }

    @Test func datagramsFromOtherAddressesAreIgnored() throws {
        var h = TURNHarness()
        h.client.allocate(now: h.now)
        let request = try STUNParsedMessage(h.client.pollTransmit()!.payload)
        let answer = h.server.handle(ByteBuffer(bytes: request.bytes), now: h.now)
        let challenge = try #require(answer)
        _ = h.receive(challenge, from: TransportAddress(ip: .v4(0x0A00_0009), port: 3478))
        #expect(h.client.statistics.foreignSources == 1)
        #expect(h.client.pollTransmit() == nil)
    }

    @Test func allocateSuccessWithoutRelayedAddressIsMalformed() {
        var h = TURNHarness()
        h.server.omitRelayed = true
        let result = h.allocate()
        #expect(result == nil)
        #expect(h.client.state == .failed(.malformedResponse(method: .allocate, reason: "no XOR-RELAYED-ADDRESS")))
    }

    @Test func garbageAndTruncatedInputIsCountedNotCrashing() throws {
        var h = TURNHarness()
        try h.mustAllocate()
        let inputs: [[UInt8]] = [[], [0x00], [0x40, 0x00], [0x40, 0x00, 0x00, 0x09, 1, 2], [0x01, 0x01, 0x00, 0x00, 0x21, 0x12],
                                 [0x80] + Array(repeating: 0, count: 30), [0x00, 0x01, 0x00, 0x04, 0x21, 0x12, 0xA4, 0x42] + Array(repeating: 0, count: 12)]
        for bytes in inputs {
            #expect(h.receive(ByteBuffer(bytes: bytes), from: FakeTURNServer.address) == nil)
        }
        #expect(h.client.statistics.malformedDatagrams == inputs.count)
        #expect(h.client.state == .allocated)
    }

    @Test func randomInputWithPendingTransactionIDsKeepsInvariants() throws {
        var rng = SeededRandom(seed: 99)
        var h = TURNHarness()
        try h.mustAllocate()
        // Requests in flight whose ids random input will carry.
        h.server.dropNext = 1000
        try h.client.bindChannel(to: TransportAddress(ip: .v4(0x0A00_0063), port: 5000), now: h.now)
        h.client.refresh(now: h.now)
        h.pump()
        let ids = h.server.log.suffix(3).map(\.message.transactionID)
        #expect(ids.count == 3)
        let templates = h.server.log.suffix(3).map(\.parsed.bytes)
        for i in 0..<3000 {
            var c = h.client
            var bytes: [UInt8]
            if i % 2 == 0 {
                // Mutate a real request into a "response": flip class bits and a few bytes.
                bytes = templates[i % templates.count]
                bytes[0] |= 0x01
                for _ in 0..<Int(rng.next() % 4) { bytes[Int(rng.next() % UInt64(bytes.count))] = UInt8(truncatingIfNeeded: rng.next()) }
            } else {
                bytes = rng.bytes(Int(rng.next() % 80))
                if bytes.count >= 20 {
                    bytes[4...7] = [0x21, 0x12, 0xA4, 0x42]
                    bytes[0] &= 0x3F
                    let tid = ids[i % ids.count].bytes
                    for j in 0..<12 { bytes[8 + j] = tid[j] }
                }
            }
            c.handle(ReceivedDatagram(source: FakeTURNServer.address, destination: FakeTURNServer.clientAddress,
                                      payload: ByteBuffer(bytes: bytes)), now: h.now)
            while let e = c.pollEvent() {
                if case .peerData(let data) = e { #expect(data.payload.readableBytes <= bytes.count) }
            }
            if c.state == .allocated { #expect(c.allocation != nil) }
            var now = h.now
            for _ in 0..<20 {
                guard let d = c.nextDeadline else { break }
                #expect(d >= now)
                now = d
                c.handleTimeout(now: now)
                while c.pollTransmit() != nil {}
                while c.pollEvent() != nil {}
            }
        }
    }
}
