// The executable's `main` is aliased by SwiftPM to `FuzzSignalingMessage_main`; with -parse-as-library we
// provide that symbol ourselves and hand control to libFuzzer's driver.

@_silgen_name("LLVMFuzzerRunDriver")
private func runLibFuzzer(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
) -> CInt

/// Process entry point: runs libFuzzer with `fuzz` as the per-input function.
@_cdecl("FuzzSignalingMessage_main")
public func fuzzSignalingMessageEntry(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    var argumentCount = argc
    var arguments = argv
    return runLibFuzzer(&argumentCount, &arguments) { data, size in
        guard let data else { return 0 }
        return fuzz(data, size)
    }
}
