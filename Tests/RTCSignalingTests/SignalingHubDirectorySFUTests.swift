import Foundation
import NIOCore
import RTCSession
import RTCSignaling
import RTCSignalingServer
import Testing

/// SFU rooms with a shared room directory (cluster mode), driven without a database: the
/// directory decides the room's home; on the home the joiner gets `room_peers` and a session
/// at the SFU, elsewhere a `redirect`; leaving, or losing the directory, ends the SFU session.
@Suite("Hub with a shared room directory: SFU rooms")
struct SignalingHubDirectorySFUTests {
    static func harness() -> HubHarness {
        var h = HubHarness(SignalingHubConfiguration(maxRoomSize: 4, membership: .directory, sfuAvailable: true))
        h.hub.directoryReset(instance: "me", members: [
            SignalingDirectoryMember(roomID: "mesh", peerID: "far", instance: "other", connection: SignalingConnectionID(7), seq: 1),
            SignalingDirectoryMember(roomID: "hall", peerID: "host", instance: "other", connection: SignalingConnectionID(8), seq: 2,
                                     mode: .sfu),
        ])
        return h
    }

    static func sfuJoin(_ peer: String, room: String) -> SignalingMessage { .join(peerID: peer, roomID: room, mode: .sfu) }

    /// An SFU join is a directory request naming the mode; once the directory reports it
    /// (this instance is the home), the joiner gets `room_peers` and the SFU takes it.
    @Test func anSFUJoinOnTheHomeJoinsTheRoomAndTheSFU() {
        var h = Self.harness()
        h.connect(1)
        #expect(h.send(1, Self.sfuJoin("a", room: "new")) == [.directory(.join(HubHarness.id(1), roomID: "new", peerID: "a", mode: .sfu))])
        let a = SignalingDirectoryMember(roomID: "new", peerID: "a", instance: "me", connection: HubHarness.id(1), seq: 3, mode: .sfu)
        #expect(h.hub.directoryJoined(a) == [
            .send(.roomPeers(roomID: "new", peers: []), to: HubHarness.id(1)),
            .sfu(.join(HubHarness.id(1), roomID: "new", peerID: "a")),
        ])
        #expect(h.hub.mode(of: "new") == .sfu)
        // Descriptions without target go to the SFU, as on a single server.
        let offer = SessionDescription(type: .offer, sdp: "v=0")
        #expect(h.send(1, .offer(offer)) == [.sfu(.description(offer, from: HubHarness.id(1)))])
        // Leaving ends the SFU session now; the directory removes the member.
        #expect(h.send(1, .leave) == [.sfu(.leave(HubHarness.id(1))), .directory(.leave(roomID: "new", peerID: "a"))])
    }

    /// The directory says the room's home is elsewhere: the joiner gets `redirect` with the
    /// home's URL, is in no room, and may join again (here or there).
    @Test func aJoinForARoomHomedElsewhereIsRedirected() {
        var h = Self.harness()
        h.connect(1)
        _ = h.send(1, Self.sfuJoin("a", room: "hall"))
        #expect(h.hub.directoryJoinRedirected(HubHarness.id(1), roomID: "hall", url: "ws://10.0.0.2:8080/ws") ==
                [.send(.redirect(roomID: "hall", url: "ws://10.0.0.2:8080/ws"), to: HubHarness.id(1))])
        #expect(h.hub.membership(of: HubHarness.id(1)) == nil)
        #expect(h.hub.stats.peers == 0)
        // A stale report (no such pending join any more) changes nothing.
        #expect(h.hub.directoryJoinRedirected(HubHarness.id(1), roomID: "hall", url: "ws://x/ws") == [])
        #expect(h.send(1, Self.sfuJoin("a", room: "hall")) == [.directory(.join(HubHarness.id(1), roomID: "hall", peerID: "a", mode: .sfu))])
    }

    /// The `redirect` on the wire, as `docs/signaling-protocol.md` shows it; both fields required.
    @Test func theRedirectMessageHasTheDocumentedShape() throws {
        #expect(SignalingMessage.redirect(roomID: "hall", url: "ws://10.0.0.2:8080/ws").jsonString()
                == #"{"room_id":"hall","type":"redirect","url":"ws://10.0.0.2:8080/ws"}"#)
        #expect(try SignalingMessage.decode(#"{"type":"redirect","room_id":"hall","url":"wss://h/ws"}"#)
                == .redirect(roomID: "hall", url: "wss://h/ws"))
        #expect(throws: SignalingProtocolError.self) { try SignalingMessage.decode(#"{"type":"redirect","room_id":"hall"}"#) }
    }

    /// The mirrored rooms know their modes: a mesh join of an SFU room (members elsewhere) and
    /// an SFU join of a mesh room are refused without asking the directory.
    @Test func modesOfRoomsOnOtherInstancesAreKnown() {
        var h = Self.harness()
        h.connect(1)
        #expect(h.send(1, .join(peerID: "a", roomID: "hall")).errorCode == .roomModeMismatch)
        #expect(h.send(1, Self.sfuJoin("a", room: "mesh")).errorCode == .roomModeMismatch)
        #expect(h.hub.mode(of: "hall") == .sfu)
        #expect(h.hub.mode(of: "mesh") == .mesh)
    }

    /// A lost directory ends every local SFU session with the membership; so does the
    /// directory removing a local member behind the hub's back.
    @Test func losingTheDirectoryEndsSFUSessions() {
        var h = Self.harness()
        h.connect(1)
        h.connect(2)
        _ = h.send(1, Self.sfuJoin("a", room: "new"))
        _ = h.hub.directoryJoined(SignalingDirectoryMember(roomID: "new", peerID: "a", instance: "me", connection: HubHarness.id(1),
                                                           seq: 3, mode: .sfu))
        _ = h.send(2, Self.sfuJoin("b", room: "new"))
        _ = h.hub.directoryJoined(SignalingDirectoryMember(roomID: "new", peerID: "b", instance: "me", connection: HubHarness.id(2),
                                                           seq: 4, mode: .sfu))
        let removed = h.hub.directoryLeft(roomID: "new", peerID: "b", seq: 4)
        #expect(removed.first == .sfu(.leave(HubHarness.id(2))))
        #expect(removed.contains(.close(HubHarness.id(2), reason: .unavailable)))
        #expect(removed.contains(.send(.peerLeft(peerID: "b"), to: HubHarness.id(1))))
        let lost = h.hub.directoryLost()
        #expect(lost.first == .sfu(.leave(HubHarness.id(1))))
        #expect(lost.contains(.close(HubHarness.id(1), reason: .unavailable)))
    }
}
