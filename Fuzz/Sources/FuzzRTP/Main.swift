// SwiftPM links Linux executables with `--defsym main=FuzzRTP_main`, so a -parse-as-library
// fuzz target needs that symbol: it hands control to libFuzzer's driver with our entry point.

@_silgen_name("LLVMFuzzerRunDriver")
private func llvmFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
) -> CInt

/// Program entry (see above): runs libFuzzer with `fuzz` as the test function.
@_cdecl("FuzzRTP_main")
public func fuzzRTPMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    var count = argc
    var arguments = argv
    return llvmFuzzerRunDriver(&count, &arguments) { data, size in
        guard let data else { return 0 }
        return fuzz(data, size)
    }
}
