import FuzzPayloadSupport

/// libFuzzer entry: arbitrary payload lists into the H264 depacketizer (see
/// `fuzzDepacketizer` in FuzzPayloadSupport for the input layout and the checks).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    fuzzDepacketizer(.h264, data, size)
}
