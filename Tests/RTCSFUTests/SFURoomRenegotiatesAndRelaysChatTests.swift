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

/// A room on an `SFUEdge` with three SwiftRTC members, the test playing the signaling server
/// (it forwards the room's offers and answers in order, and the members' answers back): each
/// member's video reaches the two others on transceivers the server added and offered; a
/// member's chat message on its own data channel reaches the others' channels of that label;
/// when a member closes its connection the room drops it by itself, and when the server removes
/// one, the server offers the others descriptions that end its track.
@Suite(.heavyPeers) struct SFURoomRenegotiatesAndRelaysChatTests {
    /// One member: its peer connection, its session at the server, its track and chat channel,
    /// and the remote tracks it has seen added and removed.
    final class Member: Sendable {
        let pc: PeerConnection
        let key: SFUSessionKey
        let video: LocalMediaTrack
        let chat: DataChannel
        let added = NIOLockedValueBox<[RemoteTrack]>([])
        let removed = NIOLockedValueBox<[RemoteTrack]>([])
        init(pc: PeerConnection, key: SFUSessionKey, video: LocalMediaTrack, chat: DataChannel) {
            self.pc = pc
            self.key = key
            self.video = video
            self.chat = chat
        }
    }

    @Test func membersSeeEachOtherChatAndSeeALeaverGo() async throws {
        try InteropEnvironment.requirePrivateNamespace()
        let room = SFURoomID("lobby")
        let (roomEvents, roomSink) = AsyncStream.makeStream(of: SFURoomEvent.self, bufferingPolicy: .unbounded)
        let edge = SFUEdge(onEvent: { _ in }, onRoomEvent: { roomSink.yield($0) })
        let certificate = try DTLSCertificate.generateSelfSigned(now: Date())
        _ = try #require(await edge.bind(TransportAddress(ip: IPAddress("10.99.0.1")!, port: 0)))
        let client = WebRTCClient(engine: .native)
        let peers = NIOLockedValueBox<[SFUSessionKey: PeerConnection]>([:])
        let speakers = NIOLockedValueBox<[SFURoomEvent]>([])

        // The signaling server: room events to members in order, members' answers to the edge.
        let signaling = Task {
            for await event in roomEvents {
                speakers.withLockedValue { $0.append(event) }
                switch event {
                case .answer(let key, let answer):
                    guard let pc = peers.withLockedValue({ $0[key] }) else { continue }
                    try? await pc.setRemoteDescription(answer)
                case .offer(let key, let offer):
                    guard let pc = peers.withLockedValue({ $0[key] }) else { continue }
                    do {
                        try await pc.setRemoteDescription(offer)
                        try await pc.setLocalDescription(try await pc.createAnswer())
                        guard let answer = await pc.localDescription else { continue }
                        try await edge.handleRemoteDescription(answer, from: key)
                    } catch {
                        Issue.record("renegotiating \(key): \(error)")
                    }
                default:
                    break
                }
            }
        }

        var joined: [Member] = []
        for name in ["a", "b", "c"] {
            let pc = try await client.createPeerConnection()
            let video = try await client.createVideoTrack(source: .frames(codec: .vp8))
            _ = try await pc.addTrack(video, streamIDs: [name])
            let chat = try await pc.createDataChannel("chat")
            try await pc.setLocalDescription(try await pc.createOffer())
            try await withTimeout(10, "gathering") { try await pc.awaitIceGatheringComplete() }
            let offer = try #require(await pc.localDescription)
            let key = await edge.addSession(RTCSession(certificate: certificate))
            let member = Member(pc: pc, key: key, video: video, chat: chat)
            Task {
                for await event in pc.trackEvents {
                    switch event {
                    case .add(let track): member.added.withLockedValue { $0.append(track) }
                    case .remove(let track): member.removed.withLockedValue { $0.append(track) }
                    }
                }
            }
            peers.withLockedValue { $0[key] = pc }
            try await edge.join(key, room: room)
            try await edge.handleRemoteDescription(offer, from: key)
            joined.append(member)
        }
        let members = joined
        #expect(await edge.members(of: room) == members.map(\.key))
        try await SFUEdgeHarness.connected(members.map(\.pc))

        // Everyone's video, a key frame every fifth frame, until each member saw both others' frames.
        let writing = Task {
            var n = 0
            while !Task.isCancelled {
                for member in members {
                    member.video.write(SFUForwardsBetweenSwiftPeersTests.frame(n, key: n % 5 == 0, size: 1_500),
                                       isKeyFrame: n % 5 == 0, captureTime: .now())
                }
                n += 1
                try? await Task.sleep(for: .milliseconds(40))
            }
        }
        try await withTimeout(20, "every member receiving both others' video") {
            while !members.allSatisfy({ m in
                let tracks = m.added.withLockedValue { $0 }
                return tracks.count == 2 && tracks.allSatisfy { $0.framesReceived > 0 }
            }) {
                try await Task.sleep(for: .milliseconds(50))
            }
        }
        for member in members {
            let streams = Set(member.added.withLockedValue { $0 }.flatMap(\.streamIDs))
            #expect(streams.count == 2, "\(member.key) receives two members' streams: \(streams)")
        }

        // Chat: a's message on its own channel reaches b and c on theirs, through the server.
        try await withTimeout(10, "channels open") {
            while !members.allSatisfy({ $0.chat.state == .open }) { try await Task.sleep(for: .milliseconds(20)) }
        }
        try await members[0].chat.send("hello from a")
        for member in members.dropFirst() {
            let text = try await withTimeout(10, "\(member.key)'s chat") { try await member.chat.receiveText() }
            #expect(text == "hello from a")
        }
        try await members[2].chat.send("c here")
        for member in members.prefix(2) {
            let text = try await withTimeout(10, "\(member.key)'s chat") { try await member.chat.receiveText() }
            #expect(text == "c here")
        }
        #expect(await edge.roomStatistics.messagesRelayed == 4)

        // a closes its connection (close_notify): the room drops it by itself, and b and c are
        // offered descriptions that end a's track, and keep the other's.
        let leaver = members[0]
        await leaver.pc.close()
        try await withTimeout(10, "a out of the room") {
            while await edge.members(of: room) != [members[1].key, members[2].key] { try await Task.sleep(for: .milliseconds(20)) }
        }
        try await withTimeout(15, "a's track ending at b and c") {
            while !members.dropFirst().allSatisfy({ $0.removed.withLockedValue { $0.count } == 1 }) {
                try await Task.sleep(for: .milliseconds(50))
            }
        }
        for member in members.dropFirst() {
            let gone = try #require(member.removed.withLockedValue { $0.first })
            #expect(gone.streamIDs == ["member-\(leaver.key.rawValue)"], "\(member.key) lost a's track")
            #expect(gone.isEnded)
            let kept = member.added.withLockedValue { $0 }.filter { !$0.isEnded }
            #expect(kept.count == 1, "\(member.key) keeps the other member's track")
            // The kept track still receives.
            let before = try #require(kept.first).framesReceived
            try await withTimeout(10, "\(member.key)'s remaining track going on") {
                while try #require(kept.first).framesReceived <= before { try await Task.sleep(for: .milliseconds(50)) }
            }
        }
        await edge.removeSession(leaver.key)

        // The server removes b: c's track of b ends too, c is alone.
        await edge.removeSession(members[1].key)
        #expect(await edge.members(of: room) == [members[2].key])
        try await withTimeout(15, "b's track ending at c") {
            while members[2].removed.withLockedValue({ $0.count }) < 2 { try await Task.sleep(for: .milliseconds(50)) }
        }
        #expect(members[2].removed.withLockedValue { $0.map(\.streamIDs) }
                == [["member-\(leaver.key.rawValue)"], ["member-\(members[1].key.rawValue)"]])
        let offers = speakers.withLockedValue { $0 }.filter { if case .offer = $0 { return true } else { return false } }
        #expect(offers.count >= 5, "offers: joins of b and c to earlier members, a's leaving to b and c, b's to c")
        #expect(await edge.roomStatistics.rollbacks == 0)

        writing.cancel()
        signaling.cancel()
        roomSink.finish()
        for member in members.dropFirst() { await member.pc.close() }
        try await withTimeout(10, "c out of the room after its close_notify") {
            while await !edge.members(of: room).isEmpty { try await Task.sleep(for: .milliseconds(20)) }
        }
        await edge.close()
    }
}
