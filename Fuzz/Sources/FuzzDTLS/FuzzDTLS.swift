import NIOCore
import RTCCore
import RTCDTLS

// Fuzzes the DTLS record parser, the handshake fragment parser and every handshake message
// parser, checking round trips (parse → serialize → parse gives an equal value), then feeds
// the input to a server connection, which must never crash.
//
// Reproducible: the server's randomness (cookie secret, server random, ephemeral key) comes
// from a SeededRandom whose seed is the input's first 8 bytes, never from the system RNG, so
// an input that crashes once crashes every time. (The certificate is made once per process;
// its key and signatures are not seeded, but they only change bytes this target discards.)

let fuzzCertificate = try! DTLSCertificate.generateSelfSigned(commonName: "fuzz", now: .init(timeIntervalSince1970: 1_700_000_000))

/// The seed for one input: its first 8 bytes, little-endian (fewer bytes give a smaller seed).
func seed(of bytes: [UInt8]) -> UInt64 {
    bytes.prefix(8).enumerated().reduce(0) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))

    if let records = try? DTLSRecord.parseAll(bytes) {
        var out: [UInt8] = []
        for r in records { r.serialize(into: &out) }
        guard let again = try? DTLSRecord.parseAll(out), again == records else { fatalError("record round trip failed") }
        for r in records where r.contentType == DTLSContentType.handshake.rawValue {
            checkHandshake(r.fragment)
        }
    }
    checkHandshake(bytes)
    if size > 12 {
        // Treat the tail as a message body of the type named by the first byte.
        checkMessage(type: bytes[0] % 21, body: Array(bytes[1...]))
    }

    var server = DTLSConnection(role: .server, configuration: DTLSConfiguration(certificate: fuzzCertificate, verification: .acceptAny),
                                rng: SeededRandom(seed: seed(of: bytes)))
    server.handle(ByteBuffer(bytes: bytes), now: .uptimeNanoseconds(1_000_000))
    while server.pollTransmit() != nil {}
    while server.pollEvent() != nil {}
    return 0
}

func checkHandshake(_ bytes: [UInt8]) {
    guard let fragments = try? DTLSHandshakeFragment.parseAll(bytes) else { return }
    var out: [UInt8] = []
    for f in fragments { f.serialize(into: &out) }
    guard out == bytes else { fatalError("handshake fragment round trip changed bytes") }
    for f in fragments where f.isComplete { checkMessage(type: f.messageType, body: f.body) }
}

func checkMessage(type: UInt8, body: [UInt8]) {
    guard let serialized = try? DTLSHandshakeCodec.roundTrip(type: type, body: body) else { return }
    guard let second = try? DTLSHandshakeCodec.roundTrip(type: type, body: serialized), second == serialized else {
        fatalError("handshake message \(type) round trip failed")
    }
}
