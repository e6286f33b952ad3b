import Foundation
import NIOCore
import RTCSession
import RTCSignaling
import RTCSignalingServer
import Testing

@Suite("Signaling hub: rooms and relaying")
struct SignalingHubRoomTests {
    @Test func joinerGetsRoomPeersAndMembersGetPeerJoined() {
        var h = HubHarness()
        let first = h.join(1, "alice")
        #expect(first == [.send(.roomPeers(roomID: "r", peers: []), to: HubHarness.id(1))])
        let second = h.join(2, "bob")
        #expect(second == [
            .send(.roomPeers(roomID: "r", peers: ["alice"]), to: HubHarness.id(2)),
            .send(.peerJoined(peerID: "bob"), to: HubHarness.id(1)),
        ])
        let third = h.join(3, "carol")
        #expect(third.first == .send(.roomPeers(roomID: "r", peers: ["alice", "bob"]), to: HubHarness.id(3)))
        #expect(third.count == 3)
        #expect(h.hub.stats.peers == 3)
        #expect(h.hub.stats.rooms == 1)
        #expect(h.hub.peers(in: "r") == ["alice", "bob", "carol"])
    }

    @Test func roomsAreIsolated() {
        var h = HubHarness()
        h.join(1, "alice", room: "one")
        let out = h.join(2, "alice", room: "two")
        #expect(out == [.send(.roomPeers(roomID: "two", peers: []), to: HubHarness.id(2))])
        #expect(h.send(2, #"{"type":"offer","target":"bob","offer":{"type":"offer","sdp":"v=0"}}"#).errorCode == .unknownTarget)
        #expect(h.hub.stats.rooms == 2)
    }

    @Test func relayReplacesTargetWithFrom() {
        var h = HubHarness()
        h.join(1, "alice")
        h.join(2, "bob")
        let offer = h.send(2, #"{"type":"offer","target":"alice","offer":{"type":"offer","sdp":"v=0\r\n"}}"#)
        #expect(offer == [.send(.offer(.init(type: .offer, sdp: "v=0\r\n"), from: "bob"), to: HubHarness.id(1))])
        let answer = h.send(1, .answer(.init(type: .answer, sdp: "v=0"), target: "bob"))
        #expect(answer == [.send(.answer(.init(type: .answer, sdp: "v=0"), from: "alice"), to: HubHarness.id(2))])
        let candidate = h.send(2, #"{"type":"ice_candidate","target":"alice","candidate":{"candidate":"candidate:1 1 udp 2130706431 127.0.0.1 5000 typ host","sdpMid":"0","sdpMLineIndex":0}}"#)
        #expect(candidate == [.send(.iceCandidate(.init(candidate: "candidate:1 1 udp 2130706431 127.0.0.1 5000 typ host",
                                                         sdpMid: "0", sdpMLineIndex: 0), from: "bob"), to: HubHarness.id(1))])
        #expect(h.hub.stats.messagesRelayed == 3)
        // The forwarded JSON carries "from" and no "target".
        if case .send(let message, _) = offer[0] {
            let json = message.jsonString()
            #expect(json.contains(#""from":"bob""#))
            #expect(!json.contains("target"))
        }
    }

    @Test func leaveAndDisconnectNotifyTheRoom() {
        var h = HubHarness()
        h.join(1, "alice")
        h.join(2, "bob")
        h.join(3, "carol")
        let left = h.send(2, #"{"type":"leave"}"#)
        #expect(left == [.send(.peerLeft(peerID: "bob"), to: HubHarness.id(1)), .send(.peerLeft(peerID: "bob"), to: HubHarness.id(3))])
        // After leaving, bob's connection may join again (another room).
        #expect(h.send(2, .join(peerID: "bob", roomID: "other")) == [.send(.roomPeers(roomID: "other", peers: []), to: HubHarness.id(2))])
        let gone = h.hub.disconnect(HubHarness.id(1))
        #expect(gone == [.send(.peerLeft(peerID: "alice"), to: HubHarness.id(3))])
        #expect(h.hub.peers(in: "r") == ["carol"])
        _ = h.hub.disconnect(HubHarness.id(3))
        #expect(h.hub.stats.rooms == 1)  // "r" is gone, "other" remains
        #expect(h.hub.disconnect(HubHarness.id(3)) == [])  // twice is harmless
    }

    @Test func peerIDIsFreeAgainAfterLeaving() {
        var h = HubHarness()
        h.join(1, "alice")
        _ = h.hub.disconnect(HubHarness.id(1))
        #expect(h.join(2, "alice").count == 1)
    }

    @Test func shutdownTellsEveryoneAndClosesAll() {
        var h = HubHarness()
        h.join(1, "alice")
        h.connect(2)
        let out = h.hub.shutdown(message: "bye")
        #expect(out == [
            .send(.shutdown(message: "bye"), to: HubHarness.id(1)), .close(HubHarness.id(1), reason: .shutdown),
            .send(.shutdown(message: "bye"), to: HubHarness.id(2)), .close(HubHarness.id(2), reason: .shutdown),
        ])
        #expect(h.hub.stats == SignalingHubStats(connections: 0, rooms: 0, peers: 0, messagesRelayed: 0, errorsSent: 0))
        let late = h.hub.connect(HubHarness.id(3), now: h.now)
        #expect(late.last == .close(HubHarness.id(3), reason: .shutdown))
    }
}
