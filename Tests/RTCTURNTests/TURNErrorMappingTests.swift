import NIOCore
import RTCCore
import RTCSTUN
import RTCTestSupport
import Testing
@testable import RTCTURN

/// Error responses become typed errors (RFC 8656 §19, RFC 8489 §14.8).
@Suite struct TURNErrorMappingTests {
    static let cases: [(Int, TURNError)] = [
        (400, .badRequest(STUNErrorCode(code: 400, reason: "x"))),
        (403, .forbidden(STUNErrorCode(code: 403, reason: "x"))),
        (437, .allocationMismatch),
        (440, .addressFamilyNotSupported),
        (441, .wrongCredentials),
        (442, .unsupportedTransportProtocol),
        (443, .peerAddressFamilyMismatch),
        (486, .allocationQuotaReached),
        (508, .insufficientCapacity),
        (500, .serverError(STUNErrorCode(code: 500, reason: "x"))),
        (599, .serverError(STUNErrorCode(code: 599, reason: "x"))),
    ]

    @Test(arguments: cases.indices)
    func allocateErrorBecomesTypedFailure(_ index: Int) {
        let (code, expected) = Self.cases[index]
        var h = TURNHarness()
        h.server.errors[.allocate] = STUNErrorCode(code: code, reason: "x")
        let result = h.allocate()
        #expect(result == nil)
        #expect(h.client.state == .failed(expected))
        #expect(h.events == [.failed(expected)])
        #expect(h.client.nextDeadline == nil)
    }

    @Test func permissionErrorIsReportedForThatPeerOnly() throws {
        var h = TURNHarness()
        try h.mustAllocate()
        h.server.errors[.createPermission] = STUNErrorCode(code: 403, reason: "Forbidden IP")
        let peer = IPAddress.v4(0x0A00_0063)
        try h.client.createPermission(for: peer, now: h.now)
        h.pump()
        #expect(h.events.last == .permissionFailed(peer, .forbidden(STUNErrorCode(code: 403, reason: "Forbidden IP"))))
        #expect(h.client.state == .allocated)
        #expect(h.client.installedPermissions.isEmpty)
        #expect(throws: TURNError.noPermission(peer)) {
            _ = try h.client.send(ByteBuffer(bytes: [1]), to: TransportAddress(ip: peer, port: 1), now: h.now)
        }
    }

    @Test func operationsBeforeAllocationThrowNotAllocated() {
        var h = TURNHarness()
        #expect(throws: TURNError.notAllocated) { try h.client.createPermission(for: .loopbackV4, now: h.now) }
        #expect(throws: TURNError.notAllocated) { try h.client.bindChannel(to: TransportAddress(ip: .loopbackV4, port: 1), now: h.now) }
        #expect(throws: TURNError.notAllocated) {
            _ = try h.client.send(ByteBuffer(), to: TransportAddress(ip: .loopbackV4, port: 1), now: h.now)
        }
    }

    @Test func tryAlternateCarriesTheAlternateServer() {
        var h = TURNHarness()
        h.client.allocate(now: h.now)
        let request = try! STUNParsedMessage(h.client.pollTransmit()!.payload).message
        let alternate = TransportAddress(ip: .v4(0x0A00_0002), port: 3479)
        let response = STUNMessage(type: STUNMessageType(method: .allocate, messageClass: .errorResponse),
                                   transactionID: request.transactionID,
                                   attributes: [.errorCode(.tryAlternate), STUNAttribute(type: .alternateServer, value: STUNAttribute.mappedAddress(alternate).value)])
        _ = h.receive(response.encoded(), from: FakeTURNServer.address)
        #expect(h.client.state == .failed(.tryAlternate(alternate)))
    }

    @Test func channelNumbersRunOut() throws {
        var h = TURNHarness()
        try h.mustAllocate()
        for i in 0..<4096 {
            _ = try h.client.bindChannel(to: TransportAddress(ip: .v4(0x0A00_0000 | UInt32(i >> 8)), port: UInt16(1000 + i)), now: h.now)
            while h.client.pollTransmit() != nil {}
        }
        #expect(throws: TURNError.channelNumbersExhausted) {
            try h.client.bindChannel(to: TransportAddress(ip: .v4(0x0B00_0001), port: 1), now: h.now)
        }
    }
}
