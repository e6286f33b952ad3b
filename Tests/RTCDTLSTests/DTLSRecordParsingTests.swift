import Testing
@testable import RTCDTLS

/// Wire codecs: round trips and typed errors on bad input (RFC 6347 §4.1, §4.2.2).
@Suite struct DTLSRecordParsingTests {
    @Test func recordsRoundTripAndPackIntoOneDatagram() throws {
        let a = DTLSRecord(contentType: 22, epoch: 0, sequenceNumber: 7, fragment: [1, 2, 3])
        let b = DTLSRecord(contentType: 23, epoch: 1, sequenceNumber: 0xFFFF_FFFF_FFFF, fragment: [])
        var bytes: [UInt8] = []
        a.serialize(into: &bytes)
        b.serialize(into: &bytes)
        #expect(bytes.count == 2 * DTLSRecord.headerLength + 3)
        #expect(try DTLSRecord.parseAll(bytes) == [a, b])
    }

    @Test func truncatedRecordIsATypedDecodeError() {
        var bytes: [UInt8] = []
        DTLSRecord(contentType: 22, epoch: 0, sequenceNumber: 1, fragment: [9, 9, 9, 9]).serialize(into: &bytes)
        #expect(throws: DTLSError.self) { _ = try DTLSRecord.parseAll(Array(bytes.dropLast())) }
        do {
            _ = try DTLSRecord.parseAll(Array(bytes.prefix(5)))
            Issue.record("expected an error")
        } catch let DTLSError.decodeError(reason) {
            #expect(reason.contains("record"))
            #expect(reason.contains("offset"))
        } catch { Issue.record("wrong error \(error)") }
        // Not DTLS at all (TLS 1.2 version bytes).
        #expect(throws: DTLSError.self) { _ = try DTLSRecord.parseAll([22, 3, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]) }
    }

    @Test func handshakeFragmentsRoundTripAndRejectOverflow() throws {
        let f = DTLSHandshakeFragment(messageType: 11, length: 10, messageSeq: 3, fragmentOffset: 4, body: [1, 2, 3])
        var bytes: [UInt8] = []
        f.serialize(into: &bytes)
        #expect(try DTLSHandshakeFragment.parseAll(bytes) == [f])
        let bad = DTLSHandshakeFragment(messageType: 11, length: 5, messageSeq: 3, fragmentOffset: 4, body: [1, 2, 3])
        var badBytes: [UInt8] = []
        bad.serialize(into: &badBytes)
        #expect(throws: DTLSError.self) { _ = try DTLSHandshakeFragment.parseAll(badBytes) }
    }

    @Test func handshakeMessagesRoundTrip() throws {
        let hello = DTLSClientHello(random: Array(repeating: 5, count: 32), cookie: [1, 2], cipherSuites: [0xC02B, 0xCCA9],
                                    extensions: [DTLSExtension(type: DTLSExtensionType.extendedMasterSecret, data: [])])
        #expect(try DTLSClientHello(parsing: hello.serialize()) == hello)
        let ske = DTLSServerKeyExchange(namedGroup: 29, publicKey: Array(repeating: 1, count: 32), signatureScheme: 0x0403, signature: [0x30, 0])
        #expect(try DTLSServerKeyExchange(parsing: ske.serialize()) == ske)
        let cr = DTLSCertificateRequest(certificateTypes: [64], signatureSchemes: [0x0403])
        #expect(try DTLSCertificateRequest(parsing: cr.serialize()) == cr)
        let cert = DTLSCertificateMessage(certificates: [[1, 2, 3], [4]])
        #expect(try DTLSCertificateMessage(parsing: cert.serialize()) == cert)
        #expect(throws: DTLSError.self) { _ = try DTLSClientHello(parsing: Array(hello.serialize().dropLast())) }
        #expect(throws: DTLSError.self) { _ = try DTLSHelloVerifyRequest(parsing: [0xFE, 0xFF, 5, 1]) }
    }
}
