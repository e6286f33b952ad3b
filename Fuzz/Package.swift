// swift-tools-version:6.1
import PackageDescription

// libFuzzer targets for every SwiftRTC parser. Built only by scripts/fuzz.sh, with
// `-sanitize=fuzzer`; each target defines LLVMFuzzerTestOneInput (`fuzz`), and its main.swift
// hands the process to libFuzzer through the one shared shim in FuzzSupport.

/// A fuzz target: `Sources/<name>/` holds its `fuzz` (LLVMFuzzerTestOneInput) and a main.swift
/// that hands it to `runLibFuzzer`.
func fuzzTarget(_ name: String, _ modules: [String], extra: [Target.Dependency] = []) -> Target {
    .executableTarget(name: name, dependencies: ["FuzzSupport"] + extra + modules.map { .product(name: $0, package: "SwiftRTC") })
}

let package = Package(
    name: "SwiftRTCFuzz",
    dependencies: [.package(name: "SwiftRTC", path: "..")],
    targets: [
        // The libFuzzer entry shim every target shares.
        .target(name: "FuzzSupport"),
        // One line per parser; scripts/fuzz.sh runs every target listed here.
        fuzzTarget("FuzzSTUN", ["RTCSTUN"]),
        fuzzTarget("FuzzRTP", ["RTCRTP"]),
        fuzzTarget("FuzzRTCP", ["RTCRTP"]),
        fuzzTarget("FuzzSRTP", ["RTCSRTP", "RTCCore"]),
        // One target per depacketizer, sharing the checks in FuzzPayloadSupport.
        .target(name: "FuzzPayloadSupport", dependencies: [.product(name: "RTCRTP", package: "SwiftRTC")]),
        fuzzTarget("FuzzOpusPayload", ["RTCRTP"], extra: ["FuzzPayloadSupport"]),
        fuzzTarget("FuzzVP8Payload", ["RTCRTP"], extra: ["FuzzPayloadSupport"]),
        fuzzTarget("FuzzVP9Payload", ["RTCRTP"], extra: ["FuzzPayloadSupport"]),
        fuzzTarget("FuzzH264Payload", ["RTCRTP"], extra: ["FuzzPayloadSupport"]),
        fuzzTarget("FuzzAV1Payload", ["RTCRTP"], extra: ["FuzzPayloadSupport"]),
        fuzzTarget("FuzzRTPReceiveStream", ["RTCRTPStreams", "RTCRTP"]),
        fuzzTarget("FuzzICECandidate", ["RTCICE"]),
        fuzzTarget("FuzzSDP", ["RTCSDP"]),
        fuzzTarget("FuzzDTLS", ["RTCDTLS", "RTCCore"]),
        fuzzTarget("FuzzSCTP", ["RTCSCTP", "RTCDataChannel"]),
        fuzzTarget("FuzzDataChannel", ["RTCDataChannel", "RTCSCTP", "RTCCore", "RTCTestSupport"]),
        fuzzTarget("FuzzSignalingMessage", ["RTCSignaling", "RTCSignalingServer"]),
        fuzzTarget("FuzzTURN", ["RTCTURN", "RTCSTUN", "RTCCore"]),
        fuzzTarget("FuzzWebMReader", ["RTCMedia"]),
        fuzzTarget("FuzzAnnexBReader", ["RTCMedia", "RTCRTP"]),
        fuzzTarget("FuzzMediaFileSource", ["RTCMedia"]),
    ]
)
