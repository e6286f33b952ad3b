import SwiftRTC
import Testing

/// Settings the stack cannot honour yet are refused with a typed error, never silently ignored.
@Suite struct ConfigurationRefusesWhatItCannotHonourTests {
    func create(_ configure: (inout ConnectionConfiguration) -> Void) async throws {
        let client = WebRTCClient(engine: .native)
        let pc = try await client.createPeerConnection(configure)
        await pc.close()
    }

    @Test(arguments: ["turns:127.0.0.1:5349"])
    func turnOverTLSIsNotSupportedYet(_ url: String) async {
        await #expect {
            try await create { $0.iceServers = [ICEServer(urls: [url], username: "u", credential: "p")] }
        } throws: { error in
            guard case WebRTCError.notSupportedYet(let what) = error else { return false }
            return what.contains(url)
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
