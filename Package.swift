// swift-tools-version:6.1
import PackageDescription

// SwiftRTC: a pure-Swift WebRTC stack. See ARCHITECTURE.md for the layout.
// Protocol cores (RTC*) are sans-IO: they import NIOCore and swift-crypto only.

let package = Package(
    name: "SwiftRTC",
    platforms: [.macOS(.v14), .iOS(.v17)],
    products: [
        .library(name: "SwiftRTC", targets: ["SwiftRTC"]),
        .library(name: "RTCCore", targets: ["RTCCore"]),
        .library(name: "RTCSDP", targets: ["RTCSDP"]),
        .library(name: "RTCSTUN", targets: ["RTCSTUN"]),
        .library(name: "RTCICE", targets: ["RTCICE"]),
        .library(name: "RTCTURN", targets: ["RTCTURN"]),
        .library(name: "RTCDTLS", targets: ["RTCDTLS"]),
        .library(name: "RTCSCTP", targets: ["RTCSCTP"]),
        .library(name: "RTCDataChannel", targets: ["RTCDataChannel"]),
        .library(name: "RTCRTP", targets: ["RTCRTP"]),
        .library(name: "RTCSRTP", targets: ["RTCSRTP"]),
        .library(name: "RTCRTPStreams", targets: ["RTCRTPStreams"]),
        .library(name: "RTCMedia", targets: ["RTCMedia"]),
        .library(name: "RTCSession", targets: ["RTCSession"]),
        .library(name: "RTCSignaling", targets: ["RTCSignaling"]),
        .library(name: "RTCSFU", targets: ["RTCSFU"]),
        // Test support (virtual-time pair, simulated link, real-peer launchers), like NIOTestUtils:
        // for tests and fuzz targets, never for apps.
        .library(name: "RTCTestSupport", targets: ["RTCTestSupport"]),
        .library(name: "RTCSignalingServer", targets: ["RTCSignalingServer"]),
        .executable(name: "swiftrtc", targets: ["swiftrtc"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.81.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "4.0.0"),
        .package(url: "https://github.com/apple/swift-certificates.git", from: "1.10.0"),
        .package(url: "https://github.com/apple/swift-asn1.git", from: "1.3.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.5.0"),
        .package(url: "https://github.com/apple/swift-collections.git", from: "1.1.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.5.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.5.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-websocket.git", from: "2.2.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.0.0"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.24.0"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.0.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.27.0"),
        // The cluster backend of the signaling server (`swiftrtc serve --cluster postgres://…`).
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
    ],
    targets: [
        // MARK: Foundation
        .target(name: "RTCCore", dependencies: [
            .product(name: "NIOCore", package: "swift-nio"),
        ]),
        .testTarget(name: "RTCCoreTests", dependencies: ["RTCCore", "RTCTestSupport"]),

        // MARK: SDP
        .target(name: "RTCSDP", dependencies: ["RTCCore"]),
        .testTarget(name: "RTCSDPTests", dependencies: ["RTCSDP", "RTCTestSupport"], resources: [.copy("Fixtures")]),

        // MARK: STUN
        .target(name: "RTCSTUN", dependencies: [
            "RTCCore",
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "NIOCore", package: "swift-nio"),
        ]),
        .testTarget(name: "RTCSTUNTests", dependencies: [
            "RTCSTUN", "RTCTestSupport",
            .product(name: "NIOPosix", package: "swift-nio"),
        ]),

        // MARK: ICE
        .target(name: "RTCICE", dependencies: [
            "RTCSTUN", "RTCSDP", "RTCTURN", "RTCCore",
            .product(name: "NIOCore", package: "swift-nio"),
        ]),
        .testTarget(name: "RTCICETests", dependencies: [
            "RTCICE", "RTCTURN", "RTCUDP", "RTCTestSupport",
            .product(name: "NIOPosix", package: "swift-nio"),
        ]),

        // MARK: TURN
        .target(name: "RTCTURN", dependencies: [
            "RTCSTUN", "RTCCore",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "DequeModule", package: "swift-collections"),
        ]),
        .testTarget(name: "RTCTURNTests", dependencies: [
            "RTCTURN", "RTCTestSupport",
            .product(name: "NIOPosix", package: "swift-nio"),
        ]),

        // MARK: DTLS
        .target(name: "RTCDTLS", dependencies: [
            "RTCCore", "CRTCCrypto",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "CryptoExtras", package: "swift-crypto"),
            .product(name: "X509", package: "swift-certificates"),
            .product(name: "SwiftASN1", package: "swift-asn1"),
        ]),
        .testTarget(name: "RTCDTLSTests", dependencies: [
            "RTCDTLS", "RTCTestSupport",
            .product(name: "NIOPosix", package: "swift-nio"),
        ]),

        // MARK: SCTP + data channels
        .target(name: "RTCSCTP", dependencies: [
            "RTCCore", "CRTCCrypto",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "DequeModule", package: "swift-collections"),
        ]),
        .testTarget(name: "RTCSCTPTests", dependencies: ["RTCSCTP", "RTCTestSupport"]),
        .target(name: "RTCDataChannel", dependencies: ["RTCSCTP", "RTCCore"]),
        .testTarget(name: "RTCDataChannelTests", dependencies: ["RTCDataChannel", "RTCSCTP", "RTCTestSupport"]),

        // MARK: RTP / RTCP
        .target(name: "RTCRTP", dependencies: [
            "RTCCore",
            .product(name: "NIOCore", package: "swift-nio"),
        ]),
        .testTarget(name: "RTCRTPTests", dependencies: ["RTCRTP", "RTCTestSupport"], resources: [.copy("Fixtures")]),

        // MARK: SRTP / SRTCP
        // CRTCCrypto: per-key AES-CTR / AES-GCM (AES-NI, PCLMULQDQ) and HMAC-SHA1 (SHA-NI or
        // portable) so SRTP's and DTLS's per-packet paths allocate nothing (swift-crypto stays the
        // fallback); CRC-32C with SSE4.2 for SCTP.
        .target(name: "CRTCCrypto"),
        .target(name: "RTCSRTP", dependencies: [
            "RTCCore", "CRTCCrypto",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "CryptoExtras", package: "swift-crypto"),
        ]),
        .testTarget(name: "RTCSRTPTests", dependencies: [
            "RTCSRTP", "CRTCCrypto", "RTCTestSupport",
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "CryptoExtras", package: "swift-crypto"),
        ]),

        // MARK: RTP streams (per-SSRC send and receive engines: retransmission, reports, NACK, jitter buffer)
        .target(name: "RTCRTPStreams", dependencies: [
            "RTCCore", "RTCRTP",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "DequeModule", package: "swift-collections"),
        ]),
        .testTarget(name: "RTCRTPStreamsTests", dependencies: ["RTCRTPStreams", "RTCRTP", "RTCTestSupport"]),

        // MARK: Media containers (files only: IVF, Ogg/Opus, Annex B, WebM)
        .target(name: "RTCMedia", dependencies: [
            "RTCCore", "RTCRTP",
            .product(name: "NIOCore", package: "swift-nio"),
        ]),
        .testTarget(name: "RTCMediaTests", dependencies: ["RTCMedia", "RTCRTP", "RTCTestSupport"], resources: [.copy("Fixtures")]),

        // MARK: Session (the composed sans-IO engine)
        .target(name: "RTCSession", dependencies: [
            "RTCCore", "RTCSDP", "RTCICE", "RTCDTLS", "RTCSCTP", "RTCDataChannel", "RTCRTP", "RTCRTPStreams", "RTCSRTP",
            .product(name: "NIOCore", package: "swift-nio"),
        ]),
        .testTarget(name: "RTCSessionTests", dependencies: ["RTCSession", "RTCSCTP", "RTCRTP", "RTCTestSupport"]),

        // MARK: Edges
        .target(name: "RTCUDP", dependencies: [
            "RTCCore", "RTCTURN",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
        ]),
        .testTarget(name: "RTCUDPTests", dependencies: [
            "RTCUDP", "RTCCore", "RTCTestSupport",
            .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
        ]),
        .target(name: "SwiftRTC", dependencies: [
            "RTCSession", "RTCCore", "RTCUDP", "RTCMedia", "RTCTURN",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOSSL", package: "swift-nio-ssl"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        .testTarget(name: "SwiftRTCTests", dependencies: [
            "SwiftRTC", "RTCTURN", "RTCTestSupport", "RTCMedia",
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        // The SFU: SFURouter (sans-IO forwarding: SSRC/sequence/timestamp rewriting, layer and
        // source switches at key frames, key-frame throttling, NACK answers) and, at the edge,
        // many sessions on one socket.
        .target(name: "RTCSFU", dependencies: [
            "RTCCore", "RTCRTP", "RTCRTPStreams", "RTCSTUN", "RTCSession", "RTCUDP",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "DequeModule", package: "swift-collections"),
        ]),
        .testTarget(name: "RTCSFUTests", dependencies: [
            "RTCSFU", "RTCRTP", "RTCRTPStreams", "RTCSTUN", "RTCSession", "RTCDTLS", "RTCTestSupport", "SwiftRTC",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
        ]),
        // The signaling protocol and its clients (SignalingClient, RoomClient): no HTTP server.
        // HummingbirdWSClient is only the WebSocket client (swift-websocket's WSClient over NIO).
        .target(name: "RTCSignaling", dependencies: [
            "SwiftRTC", "RTCSession", "RTCSDP", "RTCCore",
            .product(name: "HummingbirdWSClient", package: "hummingbird-websocket"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
        ]),
        // The signaling server (Hummingbird HTTP + WebSocket, rooms, join tokens, TURN
        // credentials, the demo page).
        .target(name: "RTCSignalingServer", dependencies: [
            "RTCSignaling", "RTCTURN", "RTCSFU", "RTCSession", "RTCSDP", "RTCDTLS", "RTCRTP", "RTCCore",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "HummingbirdCore", package: "hummingbird"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Metrics", package: "swift-metrics"),
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "NIOWebSocket", package: "swift-nio"),
            .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
            .product(name: "NIOHTTPTypesHTTP1", package: "swift-nio-extras"),
            .product(name: "HTTPTypes", package: "swift-http-types"),
            .product(name: "PostgresNIO", package: "postgres-nio"),
            .product(name: "NIOSSL", package: "swift-nio-ssl"),
        ], resources: [.copy("Public")]),
        .testTarget(name: "RTCSignalingTests", dependencies: [
            "RTCSignaling", "RTCSignalingServer", "RTCSession", "RTCTURN", "RTCTestSupport", "SwiftRTC",
            .product(name: "HummingbirdTesting", package: "hummingbird"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOEmbedded", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOWebSocket", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
        ]),
        .executableTarget(name: "swiftrtc-bench", dependencies: [
            "SwiftRTC", "RTCSRTP", "RTCCore", "RTCMedia", "RTCSFU", "RTCRTP", "RTCSession", "RTCDTLS",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        // Load generator for the signaling server (scripts/bench-signaling.sh): NIO WebSocket clients.
        .executableTarget(name: "swiftrtc-loadgen", dependencies: [
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "NIOWebSocket", package: "swift-nio"),
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .executableTarget(name: "swiftrtc", dependencies: [
            "SwiftRTC", "RTCSignaling", "RTCSignalingServer", "RTCSTUN",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "Logging", package: "swift-log"),
        ]),

        // MARK: Test support (interop peers, simulated links, fixtures)
        .target(name: "RTCTestSupport", dependencies: [
            "RTCCore",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            .product(name: "Logging", package: "swift-log"),
        ], path: "Tests/RTCTestSupport"),
        .testTarget(name: "RTCTestSupportTests", dependencies: [
            "RTCTestSupport", "RTCCore", "RTCICE",
            .product(name: "NIOCore", package: "swift-nio"),
        ]),
    ]
)
