// Process entry: libFuzzer's driver runs this target's `fuzz` (LLVMFuzzerTestOneInput) on
// every input. (A closure, not `fuzz` itself: converting the @_cdecl function to a C pointer
// here would emit a second LLVMFuzzerTestOneInput symbol in this file.)
import FuzzSupport

runLibFuzzer { data, size in fuzz(data, size) }
