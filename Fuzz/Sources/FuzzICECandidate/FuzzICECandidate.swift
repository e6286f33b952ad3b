import RTCICE

/// libFuzzer entry: parses arbitrary text as an `a=candidate` value; whatever parses must
/// serialize and re-parse to an equal candidate.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    guard let candidate = try? ICECandidate(sdpAttributeValue: text) else { return 0 }
    guard let again = try? ICECandidate(sdpAttributeValue: candidate.sdpAttributeValue) else {
        fatalError("serialized candidate does not parse: \(candidate.sdpAttributeValue)")
    }
    guard again == candidate else { fatalError("round trip changed the candidate: \(candidate) vs \(again)") }
    return 0
}
