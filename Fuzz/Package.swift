// swift-tools-version:6.1
import PackageDescription

// libFuzzer targets for every SwiftRTC parser. Built only by scripts/fuzz.sh, with
// `-sanitize=fuzzer`; each target defines LLVMFuzzerTestOneInput and no main.

/// A fuzz target: `Sources/<name>/` holds its `LLVMFuzzerTestOneInput`.
func fuzzTarget(_ name: String, _ modules: [String]) -> Target {
    .executableTarget(name: name, dependencies: modules.map { .product(name: $0, package: "SwiftRTC") })
}

let package = Package(
    name: "SwiftRTCFuzz",
    dependencies: [.package(name: "SwiftRTC", path: "..")],
    targets: [
        // One line per parser; scripts/fuzz.sh runs every target listed here.
        fuzzTarget("FuzzSTUN", ["RTCSTUN"]),
        fuzzTarget("FuzzRTP", ["RTCRTP"]),
        fuzzTarget("FuzzRTCP", ["RTCRTP"]),
        fuzzTarget("FuzzICECandidate", ["RTCICE"]),
        fuzzTarget("FuzzSDP", ["RTCSDP"]),
        fuzzTarget("FuzzDTLS", ["RTCDTLS"]),
        fuzzTarget("FuzzSCTP", ["RTCSCTP", "RTCDataChannel"]),
        fuzzTarget("FuzzDataChannel", ["RTCDataChannel", "RTCSCTP", "RTCCore"]),
        fuzzTarget("FuzzSignalingMessage", ["RTCSignaling", "RTCSignalingServer"]),
        fuzzTarget("FuzzTURN", ["RTCTURN", "RTCSTUN", "RTCCore"]),
    ]
)
