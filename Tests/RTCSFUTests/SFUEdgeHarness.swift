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

/// An `SFUEdge` on 10.99.0.1 with SwiftRTC peers connected to it, the test playing signaling.
final class SFUEdgeHarness: Sendable {
    let edge: SFUEdge
    let client = WebRTCClient(engine: .native)
    let certificate: DTLSCertificate
    /// Every session event the edge reported.
    let seen = NIOLockedValueBox<[(SFUSessionKey, SessionEvent)]>([])
    /// The layer choice's decisions the edge reported.
    let layerSwitches = NIOLockedValueBox<[SFULayerSwitch]>([])

    init() async throws {
        let seen = self.seen, layerSwitches = self.layerSwitches
        edge = SFUEdge(onEvent: { event in seen.withLockedValue { $0.append((event.session, event.event)) } },
                       onRoomEvent: { event in
                           if case .layerSwitch(let change) = event { layerSwitches.withLockedValue { $0.append(change) } }
                       })
        certificate = try DTLSCertificate.generateSelfSigned(now: Date())
        _ = try #require(await edge.bind(TransportAddress(ip: IPAddress("10.99.0.1")!, port: 0)))
    }

    /// A peer that offers `tracks` to a new session, which answers; each track is published.
    func connectPublisher(_ tracks: [LocalMediaTrack]) async throws -> (PeerConnection, [RTPCodec.Kind: SFUTrackID]) {
        let pc = try await client.createPeerConnection()
        for track in tracks { _ = try await pc.addTrack(track, streamIDs: ["pub"]) }
        try await pc.setLocalDescription(try await pc.createOffer())
        try await withTimeout(10, "gathering") { try await pc.awaitIceGatheringComplete() }
        let offer = try #require(await pc.localDescription)
        let key = await edge.addSession(RTCSession(certificate: certificate))
        let answer = try await edge.withSession(key) { s throws(SessionError) -> SessionDescription? in
            try s.setRemoteDescription(offer, now: .now())
            try s.setLocalDescription(try s.createAnswer(), now: .now())
            return s.localDescription
        }
        try await pc.setRemoteDescription(try #require(answer ?? nil))
        let added = seen.withLockedValue { events in
            events.compactMap { k, event -> SessionRemoteTrack? in
                if k == key, case .media(.trackAdded(let track)) = event { return track }
                return nil
            }
        }
        #expect(added.count == tracks.count)
        var published: [RTPCodec.Kind: SFUTrackID] = [:]
        for track in added {
            published[track.kind] = try await edge.publish(SFUTransceiver(session: key, handle: track.handle),
                                                           codec: track.kind == .video ? .vp8 : .opus)
        }
        return (pc, published)
    }

    /// A peer whose new session offers it one sending transceiver per codec; returns the peer,
    /// the transceivers and the peer's remote tracks (in `codecs` order).
    func connectSubscriber(_ codecs: [RTPCodec]) async throws -> (PeerConnection, [SFUTransceiver], [RemoteTrack]) {
        let key = await edge.addSession(RTCSession(certificate: certificate))
        let made = try await edge.withSession(key) { s throws(SessionError) -> ([Int], SessionDescription?) in
            var handles: [Int] = []
            for codec in codecs {
                handles.append(try s.addTransceiver(kind: codec.kind, direction: .sendonly,
                                                    sender: SessionMediaSender(trackID: "pub-\(codec)", streamIDs: ["pub"], codec: codec),
                                                    now: .now()))
            }
            try s.setLocalDescription(try s.createOffer(), now: .now())
            return (handles, s.localDescription)
        }
        let (handles, offer) = try #require(made)
        let pc = try await client.createPeerConnection()
        let arriving = Task { () -> [RemoteTrack] in
            var found: [RemoteTrack] = []
            for await event in pc.trackEvents {
                if case .add(let t) = event { found.append(t) }
                if found.count == codecs.count { break }
            }
            return found
        }
        try await pc.setRemoteDescription(try #require(offer))
        try await pc.setLocalDescription(try await pc.createAnswer())
        try await withTimeout(10, "gathering") { try await pc.awaitIceGatheringComplete() }
        let answer = try #require(await pc.localDescription)
        _ = try await edge.withSession(key) { s throws(SessionError) in try s.setRemoteDescription(answer, now: .now()) }
        let remote = try await withTimeout(15, "the subscriber's tracks") { await arriving.value }
        let ordered = codecs.compactMap { codec in remote.first { $0.kind == codec.kind } }
        return (pc, handles.map { SFUTransceiver(session: key, handle: $0) }, ordered)
    }

    /// Waits until every connection is connected, then a little for negotiation to settle.
    static func connected(_ connections: [PeerConnection]) async throws {
        try await withTimeout(15, "everyone connected") {
            for pc in connections {
                for await state in pc.connectionStateUpdates where state == .connected { break }
            }
        }
        try await Task.sleep(for: .milliseconds(300))
    }
}
