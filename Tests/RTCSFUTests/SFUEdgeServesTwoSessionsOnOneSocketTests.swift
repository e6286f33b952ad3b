import Foundation
import NIOConcurrencyHelpers
import NIOCore
import RTCCore
import RTCDTLS
import RTCSession
import RTCSFU
import RTCTestSupport
import SwiftRTC
import Testing

/// One UDP socket, two server sessions: two SwiftRTC peers each connect (ICE, DTLS, SCTP) to
/// their own session through the same socket, and each session's data channel carries only its
/// own peer's messages both ways.
@Suite(.heavyPeers) struct SFUEdgeServesTwoSessionsOnOneSocketTests {
    @Test func twoPeersReachTheirOwnSessionsThroughOneSocket() async throws {
        try InteropEnvironment.requirePrivateNamespace()
        let seen = NIOLockedValueBox<[(SFUSessionKey, SessionEvent)]>([])
        let edge = SFUEdge { event in seen.withLockedValue { $0.append((event.session, event.event)) } }
        let local = try #require(await edge.bind(TransportAddress(ip: IPAddress("10.99.0.1")!, port: 0)))
        let certificate = try DTLSCertificate.generateSelfSigned(now: Date())
        let client = WebRTCClient(engine: .native)
        var peers: [(PeerConnection, DataChannel, SFUSessionKey)] = []
        for i in 0..<2 {
            let pc = try await client.createPeerConnection()
            let channel = try await pc.createDataChannel("chat")
            try await pc.setLocalDescription(try await pc.createOffer())
            try await withTimeout(10, "gathering") { try await pc.awaitIceGatheringComplete() }
            let offer = try #require(await pc.localDescription)
            let key = await edge.addSession(RTCSession(certificate: certificate))
            let answer = try await edge.withSession(key) { session throws(SessionError) -> SessionDescription? in
                try session.setRemoteDescription(offer, now: .now())
                try session.setLocalDescription(try session.createAnswer(), now: .now())
                return session.localDescription
            }
            let sdp = try #require(answer ?? nil)
            #expect(sdp.sdp.contains(" \(local.port) typ host"), "session \(i) offers the shared socket")
            try await pc.setRemoteDescription(sdp)
            peers.append((pc, channel, key))
        }
        #expect(peers[0].2 != peers[1].2)
        // Both channels open, each at its own session.
        try await waitUntil(15, "both channels open at the server") {
            seen.withLockedValue { events in
                Set(events.compactMap { key, event -> SFUSessionKey? in
                    if case .dataChannel(.opened) = event { return key }
                    return nil
                }).count == 2
            }
        }
        try await waitUntil(10, "both channels open at the peers") { peers.allSatisfy { $0.1.state == .open } }
        for (i, peer) in peers.enumerated() { try await peer.1.send("hello from peer \(i)") }
        try await waitUntil(10, "both messages at the server") {
            seen.withLockedValue { events in events.filter { if case .dataChannel(.message) = $0.1 { true } else { false } }.count == 2 }
        }
        let messages = seen.withLockedValue { events in
            events.compactMap { key, event -> (SFUSessionKey, String)? in
                if case .dataChannel(.message(_, .text(let text))) = event { return (key, text) }
                return nil
            }
        }
        for (i, peer) in peers.enumerated() {
            #expect(messages.filter { $0.0 == peer.2 }.map(\.1) == ["hello from peer \(i)"])
        }
        // And back: each session answers on its channel; each peer hears only its own.
        for (key, handle) in seen.withLockedValue({ events in
            events.compactMap { key, event -> (SFUSessionKey, Int)? in
                if case .dataChannel(.opened(let info)) = event { return (key, info.handle) }
                return nil
            }
        }) {
            _ = try await edge.withSession(key) { session throws(SessionError) in
                try session.send(.text("welcome, \(key)"), on: handle, now: .now())
            }
        }
        for peer in peers {
            let text = try await withTimeout(10, "the welcome") { try await peer.1.receiveText() }
            #expect(text == "welcome, \(peer.2)")
        }
        let drops = await edge.drops
        #expect(drops.isEmpty, "\(drops)")
        for peer in peers { await peer.0.close() }
        await edge.close()
    }
}
