// On Linux SwiftPM links an executable target with `main` aliased to `FuzzDataChannel_main`. A
// -parse-as-library target has no main of its own, so provide that symbol and hand control to
// libFuzzer's driver with our LLVMFuzzerTestOneInput as the callback.

@_silgen_name("LLVMFuzzerRunDriver")
func llvmFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ callback: @convention(c) (UnsafePointer<UInt8>, Int) -> CInt
) -> CInt

/// Entry point SwiftPM's linker alias points `main` at.
@_cdecl("FuzzDataChannel_main")
public func fuzzDataChannelMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var count = argc
    var vector = argv
    return llvmFuzzerRunDriver(&count, &vector) { data, size in fuzz(data, size) }
}
