import Foundation
import RTCSignaling
import RTCTestSupport
import SwiftRTC
import Testing

/// An offer from a member we are already connected to is a renegotiation when it comes from the
/// same remote connection (the same DTLS certificate fingerprint in its SDP): the room client
/// answers it on that connection. An offer with another fingerprint comes from a new remote
/// connection (the peer restarted): the room client replaces its connection.
@Suite("Room re-offers: same fingerprint renegotiates, a new one replaces", .serialized)
struct RoomReofferTests {
    @Test func aReofferFromTheSameConnectionIsAnsweredOnItAndANewConnectionReplacesIt() async throws {
        try await withSignalingServer { _, port in
            let a = RoomPeer(port: port, id: "a", room: "reoffer")
            let b = RoomPeer(port: port, id: "b", room: "reoffer")
            #expect(try await a.join() == [])
            #expect(try await b.join() == ["a"])  // b offers to a
            let ab = try await a.channel(with: "b")
            let ba = try await b.channel(with: "a")
            let aToB = try #require(await a.room.connection(to: "b"))
            let bToA = try #require(await b.room.connection(to: "a"))

            // b re-offers on its connection (what a browser adding a track does) and sends it
            // itself; b's room client applies a's answer, since b has an offer outstanding.
            let reOffer = try await bToA.createOffer()
            try await bToA.setLocalDescription(reOffer)
            try await b.signaling.sendOffer(reOffer, to: "a")
            _ = try await waitForValue(15, "a to answer the re-offer") { await a.room.renegotiationsAnswered == 1 ? true : nil }
            _ = try await waitForValue(15, "b to apply the answer") { await bToA.signalingState == .stable ? true : nil }
            #expect(await a.room.connection(to: "b") === aToB, "the re-offer was answered on the same connection")
            try await ab.send("after the re-offer")
            #expect(try await withTimeout(10, "b receiving") { try await ba.receiveText() } == "after the re-offer")

            // A fresh connection's offer from b carries another certificate fingerprint: a
            // replaces its connection to b instead of renegotiating.
            let fresh = try await WebRTCClient(engine: .native).createPeerConnection()
            #expect(fresh.localFingerprint != bToA.localFingerprint)
            _ = try await fresh.createDataChannel("chat")
            let freshOffer = try await fresh.createOffer()
            try await fresh.setLocalDescription(freshOffer)
            try await b.signaling.sendOffer(freshOffer, to: "a")
            let replaced = try await waitForValue(15, "a to replace its connection to b") { () async -> PeerConnection? in
                guard let current = await a.room.connection(to: "b"), current !== aToB else { return nil }
                return current
            }
            #expect(await a.room.renegotiationsAnswered == 1, "a new connection is not a renegotiation")
            #expect(await aToB.connectionState == .closed)
            #expect(await replaced.remoteDescription?.sdp == freshOffer.sdp)

            await fresh.close()
            await a.close()
            await b.close()
        }
    }
}
