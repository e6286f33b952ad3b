import NIOCore
import RTCCore
import Testing
@testable import RTCSTUN

/// Encoding and decoding of message types, attributes and protections.
@Suite struct STUNMessagesRoundTripTests {
    var rng = SeededRandom(seed: 7)

    @Test func messageTypeInterleavesClassBits() {
        #expect(STUNMessageType.bindingRequest.rawValue == 0x0001)
        #expect(STUNMessageType.bindingSuccess.rawValue == 0x0101)
        #expect(STUNMessageType.bindingError.rawValue == 0x0111)
        #expect(STUNMessageType.bindingIndication.rawValue == 0x0011)
        #expect(STUNMessageType(method: .allocate, messageClass: .request).rawValue == 0x0003)
        for raw in UInt16(0)..<0x4000 {
            #expect(STUNMessageType(rawValue: raw).rawValue == raw)
        }
    }

    @Test mutating func everyAttributeRoundTrips() throws {
        let tid = STUNTransactionID.random(using: &rng)
        let v6 = TransportAddress("[fe80::1:2]:9")!
        let message = STUNMessage(type: .bindingError, transactionID: tid, attributes: [
            .xorMappedAddress(TransportAddress("10.1.2.3:4567")!, transactionID: tid),
            .xorAddress(.xorPeerAddress, v6, transactionID: tid),
            .mappedAddress(TransportAddress("1.2.3.4:5")!),
            .username("user"), .realm("realm"), .nonce("nonce"), .software("SwiftRTC"),
            .errorCode(.roleConflict), .unknownAttributes([STUNAttributeType(rawValue: 0x7777), .lifetime]),
            .priority(123_456), .useCandidate, .iceControlling(42), .iceControlled(43),
            STUNAttribute(type: STUNAttributeType(rawValue: 0xC001), value: [1, 2, 3]),
        ])
        let key = STUNIntegrityKey.shortTerm(password: "pw")
        let bytes = message.encoded(integrity: key, integritySHA256: key, fingerprint: true)
        let parsed = try STUNParsedMessage(bytes)
        #expect(parsed.message == message)
        #expect(parsed.verifyIntegrity(key))
        #expect(parsed.verifyIntegritySHA256(key))
        #expect(!parsed.verifyIntegritySHA256(.shortTerm(password: "px")))
        #expect(parsed.verifyFingerprint())
        let m = parsed.message
        #expect(m.xorMappedAddress == TransportAddress("10.1.2.3:4567"))
        #expect(try m.xorAddress(.xorPeerAddress) == v6)
        #expect(m.mappedAddress == TransportAddress("1.2.3.4:5"))
        #expect(m.username == "user" && m.realm == "realm" && m.nonce == "nonce" && m.software == "SwiftRTC")
        #expect(m.errorCode == .roleConflict)
        #expect(m.unknownAttributes == [STUNAttributeType(rawValue: 0x7777), .lifetime])
        #expect(m.priority == 123_456 && m.useCandidate && m.iceControlling == 42 && m.iceControlled == 43)
        #expect(m.attribute(STUNAttributeType(rawValue: 0xC001))?.value == [1, 2, 3])
    }

    @Test func unknownComprehensionRequiredAttributesAreReported() {
        let m = STUNMessage(type: .bindingRequest, transactionID: STUNTransactionID(high: 1, low: 2), attributes: [
            .username("a"), STUNAttribute(type: STUNAttributeType(rawValue: 0x7001), value: []),
            STUNAttribute(type: STUNAttributeType(rawValue: 0xC001), value: [9]),
        ])
        #expect(m.unknownComprehensionRequired() == [STUNAttributeType(rawValue: 0x7001)])
    }

    @Test func attributesAfterIntegrityAreIgnored() throws {
        let key = STUNIntegrityKey.shortTerm(password: "k")
        var buffer = STUNMessage(type: .bindingRequest, transactionID: STUNTransactionID(high: 1, low: 2),
                                 attributes: [.username("u")]).encoded(integrity: key)
        // Append SOFTWARE after MESSAGE-INTEGRITY and fix the length: integrity still holds
        // (it covers only the prefix), and the late attribute is dropped.
        buffer.writeBytes([0x80, 0x22, 0x00, 0x04, 0x61, 0x62, 0x63, 0x64])
        buffer.setInteger(UInt16(buffer.readableBytes - 20), at: 2)
        let parsed = try STUNParsedMessage(buffer)
        #expect(parsed.verifyIntegrity(key))
        #expect(parsed.message.software == nil)
    }

    @Test func tamperedBytesFailIntegrityAndFingerprint() throws {
        let key = STUNIntegrityKey.shortTerm(password: "secret")
        let good = Array(STUNMessage(type: .bindingRequest, transactionID: STUNTransactionID(high: 9, low: 9),
                                     attributes: [.username("a:b"), .priority(1)]).encoded(integrity: key, fingerprint: true).readableBytesView)
        for index in 20..<(good.count - 8) {
            var bad = good
            bad[index] ^= 0x01
            guard let parsed = try? STUNParsedMessage(bytes: bad) else { continue }
            #expect(!parsed.verifyIntegrity(key) || !parsed.verifyFingerprint(), "flip at \(index)")
        }
    }

    @Test func malformedInputThrowsTypedErrors() {
        #expect(throws: STUNParseError.truncatedHeader(length: 3)) { try STUNParsedMessage(bytes: [0, 1, 0]) }
        var header: [UInt8] = [0x00, 0x01, 0x00, 0x00, 0x21, 0x12, 0xA4, 0x42] + Array(repeating: 0, count: 12)
        #expect(throws: Never.self) { try STUNParsedMessage(bytes: header) }
        header[0] = 0x80
        #expect(throws: STUNParseError.notSTUN(firstByte: 0x80)) { try STUNParsedMessage(bytes: header) }
        header[0] = 0; header[4] = 0
        #expect(throws: STUNParseError.badMagicCookie(0x0012_A442)) { try STUNParsedMessage(bytes: header) }
        header[4] = 0x21; header[3] = 2
        #expect(throws: STUNParseError.lengthNotMultipleOfFour(declared: 2)) { try STUNParsedMessage(bytes: header) }
        header[3] = 8
        #expect(throws: STUNParseError.lengthMismatch(declared: 8, available: 0)) { try STUNParsedMessage(bytes: header) }
        header[3] = 4
        #expect(throws: STUNParseError.truncatedAttribute(type: 6, offset: 20, declaredLength: 9)) {
            try STUNParsedMessage(bytes: header + [0x00, 0x06, 0x00, 0x09])
        }
        header[3] = 8
        #expect(throws: STUNParseError.badAttributeLength(type: 0x8028, offset: 20, length: 0)) {
            try STUNParsedMessage(bytes: header + [0x80, 0x28, 0x00, 0x00, 0x00, 0x06, 0x00, 0x00])
        }
        header[3] = 12
        #expect(throws: STUNParseError.attributeAfterFingerprint(type: 6, offset: 28)) {
            try STUNParsedMessage(bytes: header + [0x80, 0x28, 0x00, 0x04, 1, 2, 3, 4, 0x00, 0x06, 0x00, 0x00])
        }
    }

    @Test func malformedAttributeValuesThrowTypedErrors() {
        let bad = STUNAttribute(type: .xorMappedAddress, value: [0, 3, 0, 0, 1, 2, 3, 4])
        #expect(throws: STUNAttributeError.unknownAddressFamily(type: .xorMappedAddress, family: 3)) {
            try bad.address(xor: true, transactionID: STUNTransactionID(high: 0, low: 0))
        }
        let short = STUNAttribute(type: .mappedAddress, value: [0, 1, 0, 0, 1])
        #expect(throws: STUNAttributeError.badLength(type: .mappedAddress, length: 5)) {
            try short.address(xor: false, transactionID: STUNTransactionID(high: 0, low: 0))
        }
        #expect(throws: STUNAttributeError.badErrorCode(type: .errorCode, classDigit: 7, number: 0)) {
            try STUNAttribute(type: .errorCode, value: [0, 0, 7, 0]).errorCodeValue()
        }
        #expect(throws: STUNAttributeError.notUTF8(type: .username)) { try STUNAttribute(type: .username, value: [0xff]).text() }
    }

    @Test mutating func randomAndMutatedInputsNeverCrash() {
        // A quick in-process sweep; the libFuzzer target FuzzSTUN runs millions more.
        let seed = Array(STUNMessage(type: .bindingRequest, transactionID: .random(using: &rng), attributes: [
            .username("x:y"), .priority(7), .iceControlling(9), .useCandidate,
        ]).encoded(integrity: .shortTerm(password: "p"), fingerprint: true).readableBytesView)
        var parsedCount = 0
        for _ in 0..<20_000 {
            var input = seed
            for _ in 0..<Int(rng.next() % 4) + 1 {
                let i = Int(rng.next() % UInt64(input.count))
                input[i] = UInt8(truncatingIfNeeded: rng.next())
            }
            if rng.next() % 5 == 0 { input = Array(input.prefix(Int(rng.next() % UInt64(input.count + 1)))) }
            if let parsed = try? STUNParsedMessage(bytes: input) {
                parsedCount += 1
                let again = try? STUNParsedMessage(parsed.message.encoded())
                #expect(again?.message == parsed.message)
            }
        }
        #expect(parsedCount > 0)
    }
}
