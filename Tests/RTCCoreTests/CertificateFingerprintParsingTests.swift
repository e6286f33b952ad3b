import RTCCore
import Testing

/// RFC 8122 §5 fingerprints: what SDP carries and DTLS checks, parsed once.
@Suite struct CertificateFingerprintParsingTests {
    @Test func parsesEitherCaseAndPrintsUpperCase() throws {
        let f = try #require(CertificateFingerprint(sdpValue: "SHA-256 ab:CD:0f"))
        #expect(f.algorithm == "sha-256")
        #expect(f.digest == [0xAB, 0xCD, 0x0F])
        #expect(f.sdpValue == "sha-256 AB:CD:0F")
        #expect(CertificateFingerprint(sdpValue: f.sdpValue) == f)
    }

    @Test(arguments: ["sha-256", "sha-256 AB:CD:E", "sha-256 AB:XY", "sha-256 ABC:D", "sha-256 AB::CD", "sha-256 :AB",
                      "sha-256 AB CD", " AB:CD", "sha-256 +A:CD", "sha-256 AB:CD:", "ü AB"])
    func rejectsMalformedValues(_ text: String) {
        #expect(CertificateFingerprint(sdpValue: text) == nil, "\(text)")
    }

    @Test func randomDigestsRoundTrip() {
        var rng = SeededRandom(seed: 8122)
        for _ in 0..<500 {
            let f = CertificateFingerprint(algorithm: ["sha-1", "sha-256", "sha-512"][Int(rng.next() % 3)],
                                           digest: rng.bytes(1 + Int(rng.next() % 64)))
            #expect(CertificateFingerprint(sdpValue: f.sdpValue) == f)
        }
    }
}
