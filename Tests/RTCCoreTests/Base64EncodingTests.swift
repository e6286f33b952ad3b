import Foundation
import RTCCore
import Testing

@Suite("Base64 encoding (RFC 4648)")
struct Base64EncodingTests {
    @Test func matchesTheRFC4648Section10Vectors() {
        let vectors = ["": "", "f": "Zg==", "fo": "Zm8=", "foo": "Zm9v", "foob": "Zm9vYg==", "fooba": "Zm9vYmE=", "foobar": "Zm9vYmFy"]
        for (input, expected) in vectors {
            #expect(Base64.encode(Array(input.utf8)) == expected, "input \"\(input)\"")
        }
    }

    @Test func usesTheStandardAlphabetForTheLastTwoDigits() {
        // 0xfb 0xff → "+/8=": index 62 is "+", 63 is "/" (not the URL-safe "-" and "_").
        #expect(Base64.encode([0xfb, 0xff]) == "+/8=")
        #expect(Base64.encode([0xff, 0xff, 0xff]) == "////")
        #expect(Base64.encode([0x00, 0x00, 0x00]) == "AAAA")
    }

    @Test func agreesWithFoundationOnSeededRandomInputs() {
        var rng = SeededRandom(seed: 4648)
        for _ in 0..<500 {
            let count = Int.random(in: 0...70, using: &rng)
            let bytes = (0..<count).map { _ in UInt8.random(in: .min ... .max, using: &rng) }
            #expect(Base64.encode(bytes) == Data(bytes).base64EncodedString(), "bytes \(bytes)")
        }
    }

    @Test func encodesASliceFromItsOwnStart() {
        let bytes: [UInt8] = Array("xxfoobar".utf8)
        #expect(Base64.encode(bytes[2...]) == "Zm9vYmFy")
    }
}
