#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// libFuzzer's per-input callback (`LLVMFuzzerTestOneInput`'s type): the input's bytes and
/// their count; returns 0 (libFuzzer reserves other values).
public typealias FuzzTestOneInput = @convention(c) (UnsafePointer<UInt8>, Int) -> CInt

// libFuzzer's entry for programs that own `main` (compiler-rt FuzzerInterface.h).
@_silgen_name("LLVMFuzzerRunDriver")
private func llvmFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ testOneInput: FuzzTestOneInput
) -> CInt

/// Hands the process to libFuzzer's driver, which parses the command line (`-runs=`, corpus
/// folders, `-artifact_prefix=`…) and calls `testOneInput` for every input; exits with the
/// driver's status. SwiftPM makes an executable target's `main.swift` the process entry
/// (libFuzzer's own `main` is never linked in), so every fuzz target's `main.swift` is one
/// call: `runLibFuzzer { data, size in fuzz(data, size) }`.
public func runLibFuzzer(_ testOneInput: FuzzTestOneInput) -> Never {
    var argc = CommandLine.argc
    var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
    exit(llvmFuzzerRunDriver(&argc, &argv, testOneInput))
}
