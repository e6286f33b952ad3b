import FuzzPayloadSupport

/// libFuzzer entry: arbitrary payload lists into the VP9 depacketizer (see
/// `fuzzDepacketizer` in FuzzPayloadSupport for the input layout and the checks).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    fuzzDepacketizer(.vp9, data, size)
}
