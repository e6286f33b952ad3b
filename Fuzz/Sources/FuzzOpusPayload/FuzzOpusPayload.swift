import FuzzPayloadSupport

/// libFuzzer entry: arbitrary payload lists into the Opus depacketizer (see
/// `fuzzDepacketizer` in FuzzPayloadSupport for the input layout and the checks).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    fuzzDepacketizer(.opus, data, size)
}
