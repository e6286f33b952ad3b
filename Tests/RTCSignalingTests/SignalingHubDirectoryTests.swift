import Foundation
import NIOCore
import RTCSignaling
import RTCSignalingServer
import RTCTestSupport
import SwiftRTC
import Testing

/// The hub with a shared room directory (cluster mode), driven without a database: joins wait
/// for the directory, its events in its order make the rooms, members elsewhere are reached
/// through `sendRemote`, and a lost directory disconnects members.
@Suite("Hub with a shared room directory")
struct SignalingHubDirectoryTests {
    static func harness() -> HubHarness {
        var h = HubHarness(SignalingHubConfiguration(maxRoomSize: 3, membership: .directory))
        h.hub.directoryReset(instance: "me", members: [
            SignalingDirectoryMember(roomID: "r", peerID: "far", instance: "other", connection: SignalingConnectionID(7), seq: 1),
        ])
        return h
    }

    static func member(_ peer: String, _ connection: UInt64, seq: Int64, instance: String = "me", room: String = "r") -> SignalingDirectoryMember {
        SignalingDirectoryMember(roomID: room, peerID: peer, instance: instance, connection: SignalingConnectionID(connection), seq: seq)
    }

    /// A join is only a request until the directory reports it; then the joiner gets
    /// `room_peers` with the members of every instance, and local members `peer_joined`.
    @Test func aJoinTakesEffectWhenTheDirectoryReportsIt() {
        var h = Self.harness()
        #expect(h.join(1, "a") == [.directory(.join(HubHarness.id(1), roomID: "r", peerID: "a", mode: .mesh))])
        #expect(h.hub.membership(of: HubHarness.id(1)) == nil)
        #expect(h.send(1, .join(peerID: "a", roomID: "r")).errorCode == .alreadyJoined)
        #expect(h.hub.directoryJoined(Self.member("a", 1, seq: 2)) == [.send(.roomPeers(roomID: "r", peers: ["far"]), to: HubHarness.id(1))])
        #expect(h.hub.membership(of: HubHarness.id(1))?.peerID == "a")

        #expect(h.join(2, "b") == [.directory(.join(HubHarness.id(2), roomID: "r", peerID: "b", mode: .mesh))])
        // Someone on another instance joins first: a hears of it; b's room_peers will list it.
        #expect(h.hub.directoryJoined(Self.member("c", 9, seq: 3, instance: "other")) == [.send(.peerJoined(peerID: "c"), to: HubHarness.id(1))])
        #expect(h.hub.directoryJoinRefused(HubHarness.id(2), error: SignalingProtocolError(.roomFull, "full")) ==
                [.send(.error(code: .roomFull, message: "full"), to: HubHarness.id(2))])
        #expect(h.hub.stats.members == 3)
        #expect(h.hub.stats.peers == 1)
        // The same report twice changes nothing.
        #expect(h.hub.directoryJoined(Self.member("c", 9, seq: 3, instance: "other")) == [])
        #expect(h.hub.stats.members == 3)
    }

    /// Messages to a member on another instance become `sendRemote` (decoded path) or
    /// `forwardRemote` (relay scanner path); to a local member they stay local.
    @Test func messagesToMembersElsewhereGoThroughTheDirectory() {
        var h = Self.harness()
        _ = h.join(1, "a")
        _ = h.hub.directoryJoined(Self.member("a", 1, seq: 2))
        _ = h.join(2, "b")
        _ = h.hub.directoryJoined(Self.member("b", 2, seq: 3))
        let candidate = ICECandidateInit(candidate: "candidate:1 1 udp 1 127.0.0.1 9 typ host", sdpMid: "0", sdpMLineIndex: 0)
        #expect(h.send(1, .iceCandidate(candidate, target: "far")) ==
                [.sendRemote(.iceCandidate(candidate, from: "a"), instance: "other", roomID: "r", target: "far", origin: HubHarness.id(1))])
        #expect(h.send(1, .iceCandidate(candidate, target: "b")) == [.send(.iceCandidate(candidate, from: "a"), to: HubHarness.id(2))])
        #expect(h.hub.receiveRelay(type: "offer", target: "far", size: 100, from: HubHarness.id(2), now: h.now) ==
                .forwardRemote(instance: "other", roomID: "r", target: "far", from: "b"))
        #expect(h.hub.localConnection(roomID: "r", peerID: "b") == HubHarness.id(2))
        #expect(h.hub.localConnection(roomID: "r", peerID: "far") == nil)
    }

    /// A local leave detaches the member at once and asks the directory; the room hears of
    /// it when the directory reports it. A member of a dead instance leaves the same way.
    @Test func leavesAreReportedInTheDirectorysOrder() {
        var h = Self.harness()
        _ = h.join(1, "a")
        _ = h.hub.directoryJoined(Self.member("a", 1, seq: 2))
        _ = h.join(2, "b")
        _ = h.hub.directoryJoined(Self.member("b", 2, seq: 3))
        #expect(h.hub.disconnect(HubHarness.id(2)) == [.directory(.leave(roomID: "r", peerID: "b"))])
        // Until the directory reports the leave, b is listed but unreachable.
        #expect(h.send(1, .offer(SessionDescription(type: .offer, sdp: "v=0"), target: "b")).errorCode == .unknownTarget)
        #expect(h.hub.directoryLeft(roomID: "r", peerID: "b", seq: 3) == [.send(.peerLeft(peerID: "b"), to: HubHarness.id(1))])
        // A stale leave (another membership of that id) changes nothing.
        #expect(h.hub.directoryLeft(roomID: "r", peerID: "far", seq: 99) == [])
        #expect(h.hub.directoryLeft(roomID: "r", peerID: "far", seq: 1) == [.send(.peerLeft(peerID: "far"), to: HubHarness.id(1))])
        // A join completing after its connection closed is undone.
        _ = h.join(3, "c")
        _ = h.hub.disconnect(HubHarness.id(3))
        #expect(h.hub.directoryJoined(Self.member("c", 3, seq: 4)) ==
                [.send(.peerJoined(peerID: "c"), to: HubHarness.id(1)), .directory(.leave(roomID: "r", peerID: "c"))])
    }

    /// Without the directory nothing is stored or acknowledged: members and joiners are told
    /// `unavailable` and disconnected, new joins are refused, and it all works again after a reset.
    @Test func aLostDirectoryDisconnectsMembersAndRefusesJoins() {
        var h = Self.harness()
        _ = h.join(1, "a")
        _ = h.hub.directoryJoined(Self.member("a", 1, seq: 2))
        _ = h.join(2, "b")  // pending
        h.connect(3)         // not in a room: stays
        let outputs = h.hub.directoryLost(message: "gone")
        #expect(outputs == [
            .send(.error(code: .unavailable, message: "gone"), to: HubHarness.id(1)), .close(HubHarness.id(1), reason: .unavailable),
            .send(.error(code: .unavailable, message: "gone"), to: HubHarness.id(2)), .close(HubHarness.id(2), reason: .unavailable),
        ])
        #expect(h.send(3, .join(peerID: "c", roomID: "r")).first == .send(.error(code: .unavailable,
                message: "the room directory is unavailable; reconnect and join again"), to: HubHarness.id(3)))
        #expect(h.hub.stats == SignalingHubStats(connections: 0, rooms: 0, peers: 0, members: 0, messagesRelayed: 0, errorsSent: 3))
        h.hub.directoryReset(instance: "me-again", members: [])
        #expect(h.join(4, "d") == [.directory(.join(HubHarness.id(4), roomID: "r", peerID: "d", mode: .mesh))])
    }
}
