import SwiftRTC
import Testing

/// Settings the stack cannot honour yet are refused with a typed error, never silently ignored.
@Suite struct ConfigurationRefusesWhatItCannotHonourTests {
    func create(_ configure: (inout ConnectionConfiguration) -> Void) async throws {
        let client = WebRTCClient(engine: .native)
        let pc = try await client.createPeerConnection(configure)
        await pc.close()
    }

    @Test func turnsIsAcceptedAndItsTrustRootsMustBeCertificates() async throws {
        let server = ICEServer(urls: ["turns:127.0.0.1:5349", "turns:127.0.0.1", "turns:127.0.0.1?transport=tcp"], username: "u", credential: "p")
        try await create { $0.iceServers = [server] }
        await #expect {
            try await create {
                $0.iceServers = [server]
                $0.turnTLSTrustRoots = .pem("not a certificate")
            }
        } throws: { error in
            if case WebRTCError.invalidICEServer(let url, let reason) = error { url.hasPrefix("turns:") && reason.contains("turnTLSTrustRoots") } else { false }
        }
        await #expect {
            try await create { $0.iceServers = [ICEServer(urls: ["turns:127.0.0.1?transport=udp"], username: "u", credential: "p")] }
        } throws: { error in
            if case WebRTCError.invalidICEServer = error { true } else { false }
        }
    }

    @Test func turnOverUDPAndTCPAndRelayOnlyAreAccepted() async throws {
        try await create {
            $0.iceServers = [ICEServer(urls: ["turn:127.0.0.1:3478?transport=udp", "turn:127.0.0.1", "turn:127.0.0.1:3478?transport=tcp"],
                                       username: "u", credential: "p")]
            $0.iceTransportPolicy = .relay
        }
    }

    @Test func turnWithoutCredentialsIsInvalid() async {
        let url = "turn:127.0.0.1:3478"
        await #expect {
            try await create { $0.iceServers = [ICEServer(urls: [url])] }
        } throws: { error in
            if case WebRTCError.invalidICEServer(let u, let reason) = error { u == url && reason.contains("username") } else { false }
        }
    }

    @Test func unknownSchemesAndHostNamesAreInvalid() async {
        for url in ["http://127.0.0.1:3478", "stun:stun.example.org:3478"] {
            await #expect {
                try await create { $0.iceServers = [ICEServer(urls: [url])] }
            } throws: { error in
                if case WebRTCError.invalidICEServer(let u, _) = error { u == url } else { false }
            }
        }
    }

    @Test func stunIPLiteralsAreAccepted() async throws {
        try await create { $0.iceServers = [ICEServer(urls: ["stun:127.0.0.1:3478", "stun:[::1]"])] }
    }
}
