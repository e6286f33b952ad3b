import NIOCore
import RTCSTUN

/// libFuzzer entry: parses arbitrary bytes as STUN; whatever parses must re-encode and
/// re-parse to an equal message, and the typed accessors must not crash.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    guard let parsed = try? STUNParsedMessage(bytes: bytes) else { return 0 }
    let key = STUNIntegrityKey.shortTerm(password: "fuzz")
    _ = parsed.verifyIntegrity(key)
    _ = parsed.verifyIntegritySHA256(key)
    _ = parsed.verifyFingerprint()
    let m = parsed.message
    _ = (m.xorMappedAddress, m.mappedAddress, m.username, m.realm, m.nonce, m.software, m.errorCode,
         m.unknownAttributes, m.priority, m.iceControlling, m.iceControlled, m.unknownComprehensionRequired())
    let encoded = m.encoded(integrity: key, fingerprint: true)
    guard let again = try? STUNParsedMessage(encoded) else { fatalError("re-encoded message does not parse") }
    guard again.message == m else { fatalError("round trip changed the message") }
    guard again.verifyIntegrity(key), again.verifyFingerprint() else { fatalError("own integrity/fingerprint fail") }
    return 0
}
