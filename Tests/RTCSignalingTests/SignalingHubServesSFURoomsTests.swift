import Foundation
import NIOCore
import RTCSession
import RTCSignaling
import RTCSignalingServer
import Testing

/// The hub's SFU room mode (sans-IO): `"mode":"sfu"` joins, typed refusals, members' descriptions
/// and candidates handed to the SFU without a target, leaves and disconnects reported to it,
/// and a mesh room unchanged beside it.
@Suite("Signaling hub: SFU rooms")
struct SignalingHubServesSFURoomsTests {
    static let sfuHub = SignalingHubConfiguration(sfuAvailable: true)

    static func sfuJoin(_ peer: String, room: String = "r") -> SignalingMessage {
        .join(peerID: peer, roomID: room, mode: .sfu)
    }

    @Test func theJoinCarriesTheModeOnTheWire() throws {
        #expect(try SignalingMessage.decode(#"{"type":"join","peer_id":"a","room_id":"r","mode":"sfu"}"#) == Self.sfuJoin("a"))
        #expect(try SignalingMessage.decode(#"{"type":"join","peer_id":"a","room_id":"r","mode":"mesh"}"#) == .join(peerID: "a", roomID: "r"))
        // A mesh join is sent exactly as before the mode existed.
        #expect(SignalingMessage.join(peerID: "a", roomID: "r").jsonString() == #"{"peer_id":"a","room_id":"r","type":"join"}"#)
        #expect(Self.sfuJoin("a").jsonString() == #"{"mode":"sfu","peer_id":"a","room_id":"r","type":"join"}"#)
        do { _ = try SignalingMessage.decode(#"{"type":"join","peer_id":"a","room_id":"r","mode":"star"}"#); Issue.record("decoded") } catch {
            #expect(error.code == .invalidMessage)
        }
        #expect(SignalingMessage.speakerChanged(peerID: "a").jsonString() == #"{"peer_id":"a","type":"speaker_changed"}"#)
        #expect(SignalingMessage.speakerChanged(peerID: nil).jsonString() == #"{"type":"speaker_changed"}"#)
        #expect(try SignalingMessage.decode(#"{"type":"speaker_changed","peer_id":null}"#) == .speakerChanged(peerID: nil))
    }

    @Test func aServerWithoutAnSFURefusesSFUJoins() {
        var h = HubHarness()
        h.connect(1)
        #expect(h.send(1, Self.sfuJoin("alice")).errorCode == .sfuUnavailable)
        #expect(h.hub.stats.peers == 0)
        // Nor does an instance of a cluster that runs none (the directory is not asked).
        var cluster = HubHarness(SignalingHubConfiguration(membership: .directory, sfuAvailable: false))
        cluster.hub.directoryReset(instance: "i1", members: [])
        cluster.connect(1)
        #expect(cluster.send(1, Self.sfuJoin("alice")).errorCode == .sfuUnavailable)
    }

    @Test func membersJoinTheRoomAndTheSFU() {
        var h = HubHarness(Self.sfuHub)
        h.connect(1)
        #expect(h.send(1, Self.sfuJoin("alice")) == [
            .send(.roomPeers(roomID: "r", peers: []), to: HubHarness.id(1)),
            .sfu(.join(HubHarness.id(1), roomID: "r", peerID: "alice")),
        ])
        h.connect(2)
        #expect(h.send(2, Self.sfuJoin("bob")) == [
            .send(.roomPeers(roomID: "r", peers: ["alice"]), to: HubHarness.id(2)),
            .send(.peerJoined(peerID: "bob"), to: HubHarness.id(1)),
            .sfu(.join(HubHarness.id(2), roomID: "r", peerID: "bob")),
        ])
        #expect(h.hub.mode(of: "r") == .sfu)
        #expect(h.hub.peers(in: "r") == ["alice", "bob"])
    }

    @Test func aRoomKeepsItsMode() {
        var h = HubHarness(Self.sfuHub)
        h.connect(1)
        _ = h.send(1, Self.sfuJoin("alice", room: "sfu"))
        h.join(2, "bob", room: "mesh")
        h.connect(3)
        #expect(h.send(3, .join(peerID: "carol", roomID: "sfu")).errorCode == .roomModeMismatch)
        #expect(h.send(3, Self.sfuJoin("carol", room: "mesh")).errorCode == .roomModeMismatch)
        // Refused joins leave the connection free to join a room of the right mode.
        #expect(h.send(3, .join(peerID: "carol", roomID: "mesh")).count == 2)
        #expect(h.hub.mode(of: "mesh") == .mesh)
        #expect(h.hub.mode(of: "gone") == nil)
    }

    @Test func descriptionsAndCandidatesGoToTheSFU() {
        var h = HubHarness(Self.sfuHub)
        h.connect(1)
        _ = h.send(1, Self.sfuJoin("alice"))
        h.connect(2)
        _ = h.send(2, Self.sfuJoin("bob"))
        let offer = SessionDescription(type: .offer, sdp: "v=0\r\n")
        #expect(h.send(1, .offer(offer)) == [.sfu(.description(offer, from: HubHarness.id(1)))])
        let answer = SessionDescription(type: .answer, sdp: "v=0\r\n")
        #expect(h.send(2, .answer(answer)) == [.sfu(.description(answer, from: HubHarness.id(2)))])
        let candidate = ICECandidateInit(candidate: "candidate:1 1 udp 2130706431 127.0.0.1 5000 typ host", sdpMid: "0", sdpMLineIndex: 0)
        #expect(h.send(1, .iceCandidate(candidate)) == [.sfu(.candidate(candidate, from: HubHarness.id(1)))])
        // Members do not signal each other in an SFU room: a target is refused (both parse paths).
        #expect(h.send(1, .offer(offer, target: "bob")).errorCode == .invalidMessage)
        #expect(h.hub.receiveRelay(type: "offer", target: "bob", size: 40, from: HubHarness.id(1), now: h.now)
                == .outputs([.send(.error(code: .invalidMessage,
                                          message: "in SFU room \"r\" \"offer\" goes to the server: omit \"target\""), to: HubHarness.id(1))]))
        #expect(h.hub.stats.messagesRelayed == 0)
        // Without a room there is nothing to send to.
        h.connect(3)
        #expect(h.send(3, .offer(offer)).errorCode == .notJoined)
    }

    @Test func leavingAndDisconnectingEndTheMembersSFUSession() {
        var h = HubHarness(Self.sfuHub)
        for (n, peer) in [(UInt64(1), "alice"), (2, "bob"), (3, "carol")] {
            h.connect(n)
            _ = h.send(n, Self.sfuJoin(peer))
        }
        #expect(h.send(1, .leave) == [
            .sfu(.leave(HubHarness.id(1))),
            .send(.peerLeft(peerID: "alice"), to: HubHarness.id(2)),
            .send(.peerLeft(peerID: "alice"), to: HubHarness.id(3)),
        ])
        #expect(h.hub.disconnect(HubHarness.id(2)) == [
            .sfu(.leave(HubHarness.id(2))),
            .send(.peerLeft(peerID: "bob"), to: HubHarness.id(3)),
        ])
        // The connection that left may join again, a new session at the SFU.
        #expect(h.send(1, Self.sfuJoin("alice")).last == .sfu(.join(HubHarness.id(1), roomID: "r", peerID: "alice")))
    }

    @Test func meshRoomsBesideAnSFUAreUnchanged() {
        var h = HubHarness(Self.sfuHub)
        h.join(1, "alice", room: "mesh")
        h.join(2, "bob", room: "mesh")
        let offer = h.send(2, .offer(.init(type: .offer, sdp: "v=0"), target: "alice"))
        #expect(offer == [.send(.offer(.init(type: .offer, sdp: "v=0"), from: "bob"), to: HubHarness.id(1))])
        #expect(h.send(2, .offer(.init(type: .offer, sdp: "v=0"))).errorCode == .invalidMessage)
        #expect(h.send(1, .leave) == [.send(.peerLeft(peerID: "alice"), to: HubHarness.id(2))])
    }
    @Test func maxResolutionGoesToTheSFUAndIsRefusedElsewhere() throws {
        // On the wire: both sides or neither, in range.
        #expect(try SignalingMessage.decode(#"{"type":"max_resolution","width":320,"height":240}"#) == .maxResolution(width: 320, height: 240))
        #expect(try SignalingMessage.decode(#"{"type":"max_resolution"}"#) == .maxResolution(width: nil, height: nil))
        #expect(SignalingMessage.maxResolution(width: 320, height: 240).jsonString() == #"{"height":240,"type":"max_resolution","width":320}"#)
        for bad in [#"{"type":"max_resolution","width":320}"#, #"{"type":"max_resolution","width":0,"height":240}"#,
                    #"{"type":"max_resolution","width":320,"height":100000}"#, #"{"type":"max_resolution","width":"big","height":1}"#] {
            do { _ = try SignalingMessage.decode(bad); Issue.record("decoded \(bad)") } catch {
                #expect(error.code == .invalidMessage, "\(bad)")
            }
        }
        var h = HubHarness(Self.sfuHub)
        h.connect(1)
        _ = h.send(1, Self.sfuJoin("alice"))
        #expect(h.send(1, .maxResolution(width: 320, height: 240))
                == [.sfu(.maxResolution(width: 320, height: 240, from: HubHarness.id(1)))])
        #expect(h.send(1, .maxResolution(width: nil, height: nil)) == [.sfu(.maxResolution(width: nil, height: nil, from: HubHarness.id(1)))])
        // In a mesh room, or in none, there is no server to choose layers.
        h.join(2, "bob", room: "mesh")
        #expect(h.send(2, .maxResolution(width: 320, height: 240)).errorCode == .invalidMessage)
        h.connect(3)
        #expect(h.send(3, .maxResolution(width: 320, height: 240)).errorCode == .invalidMessage)
    }
}
