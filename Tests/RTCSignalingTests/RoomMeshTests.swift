import Foundation
import Logging
import RTCSignaling
import RTCSignalingServer
import RTCTestSupport
import SwiftRTC
import Testing

/// `RoomClient`s against a live signaling server: the mesh forms, glare resolves, leavers are dropped.
@Suite("Mesh rooms", .serialized)
struct RoomMeshTests {
    /// a, b and c join one after another; every pair talks both ways on its one `chat`
    /// channel; when c leaves, a and b see it leave and their connections to c close.
    @Test func threeMembersFormAFullMeshAndDropTheOneWhoLeaves() async throws {
        try await withSignalingServer { _, port in
            let a = RoomPeer(port: port, id: "a", room: "mesh")
            let b = RoomPeer(port: port, id: "b", room: "mesh")
            let c = RoomPeer(port: port, id: "c", room: "mesh")
            #expect(try await a.join() == [])
            #expect(try await b.join() == ["a"])
            #expect(try await c.join() == ["a", "b"])

            for (x, y) in [(a, b), (a, c), (b, c)] {
                let xy = try await x.channel(with: y.id)
                let yx = try await y.channel(with: x.id)
                try await xy.send("\(x.id) to \(y.id)")
                #expect(try await withTimeout(10, "\(y.id) receiving") { try await yx.receiveText() } == "\(x.id) to \(y.id)")
                try await yx.send(Array("\(y.id) to \(x.id)".utf8))
                #expect(try await withTimeout(10, "\(x.id) receiving") { try await xy.receiveBinary() } == Array("\(y.id) to \(x.id)".utf8))
            }
            for peer in [a, b, c] {
                let others = ["a", "b", "c"].filter { $0 != peer.id }
                #expect(await peer.room.members.sorted() == others)
                for other in others {
                    #expect(peer.channels(with: other).count == 1, "\(peer.id) has one chat channel with \(other)")
                    #expect(await peer.room.connection(to: other)?.connectionState == .connected)
                }
            }
            #expect(a.members == [.joined(peerID: "b"), .joined(peerID: "c")])
            #expect(c.members == [.joined(peerID: "a"), .joined(peerID: "b")])

            let aToC = try #require(await a.room.connection(to: "c"))
            let bToC = try #require(await b.room.connection(to: "c"))
            await c.close()
            try await a.waitFor(.left(peerID: "c"))
            try await b.waitFor(.left(peerID: "c"))
            #expect(await aToC.connectionState == .closed)
            #expect(await bToC.connectionState == .closed)
            #expect(await a.room.connection(to: "c") == nil)
            #expect(await a.room.members == ["b"])
            #expect(await b.room.members == ["a"])
            #expect(try await a.channel(with: "c").state == .closed)

            // a and b still talk.
            try await a.channel(with: "b").send("still here")
            #expect(try await withTimeout(10, "b receiving") { try await b.channel(with: "a").receiveText() } == "still here")
            await a.close()
            await b.close()
            #expect(await a.room.connection(to: "b") == nil)
        }
    }

    /// Both sides offer at once: `first` offers to the newcomer as soon as it joins while the
    /// newcomer offers to everyone listed in `room_peers`. Each side sees the other's offer
    /// while its own is unanswered (the event order makes that certain). The polite side (the
    /// greater id) must give way, the impolite one must ignore the offer, and exactly one
    /// working connection with one `chat` channel must remain. Run with either side polite.
    @Test(.serialized, arguments: [("a", "b"), ("z", "b")])
    func simultaneousOffersEndInOneWorkingConnection(first: String, second: String) async throws {
        try await withSignalingServer { _, port in
            let x = RoomPeer(port: port, id: first, room: "glare") { $0.offersToNewMembers = true }
            let y = RoomPeer(port: port, id: second, room: "glare")
            try await x.join()
            try await y.join()

            let xy = try await x.channel(with: second)
            let yx = try await y.channel(with: first)
            try await xy.send("from \(first)")
            #expect(try await withTimeout(10, "\(second) receiving") { try await yx.receiveText() } == "from \(first)")
            try await yx.send("from \(second)")
            #expect(try await withTimeout(10, "\(first) receiving") { try await xy.receiveText() } == "from \(second)")

            // The impolite side's offer won: its channel is the one that opened, on both sides.
            let impolite = RoomClient.isPolite(local: first, remote: second) ? second : first
            #expect(RoomClient.isPolite(local: first, remote: second) == (first > second))
            let xConnection = try #require(await x.room.connection(to: second))
            let yConnection = try #require(await y.room.connection(to: first))
            #expect(await xConnection.connectionState == .connected)
            #expect(await yConnection.connectionState == .connected)
            #expect(await (impolite == first ? xConnection : yConnection).localDescription?.type == .offer)
            #expect(await (impolite == first ? yConnection : xConnection).localDescription?.type == .answer)
            try await Task.sleep(for: .milliseconds(300))  // give a stray second channel time to show up
            #expect(x.channels(with: second).count == 1)
            #expect(y.channels(with: first).count == 1)
            #expect(x.channels.count == 1 && y.channels.count == 1)
            #expect(await x.room.connection(to: second) === xConnection)
            #expect(await x.room.glaresResolved == 1)
            #expect(await y.room.glaresResolved == 1)
            await x.close()
            await y.close()
        }
    }

    /// A second channel opened with `openChannel` after the connection is up reaches the peer.
    @Test func openChannelAddsAChannelToAConnectedPeer() async throws {
        try await withSignalingServer { _, port in
            let a = RoomPeer(port: port, id: "a", room: "extra") { $0.channelLabel = nil }
            let b = RoomPeer(port: port, id: "b", room: "extra") { $0.channelLabel = nil }
            try await a.join()
            try await b.join()
            // No default channel: wait for the connection itself.
            let connection = try await waitForValue(20, "b's connection to a") { () async -> PeerConnection? in
                guard let connection = await b.room.connection(to: "a"), await connection.connectionState == .connected else { return nil }
                return connection
            }
            #expect(b.channels.isEmpty)
            let mine = try await withTimeout(20, "openChannel") { try await b.room.openChannel("extra", to: "a") }
            #expect(mine.state == .open)
            let theirs = try await a.channel(with: "b", label: "extra")
            try await mine.send("x")
            #expect(try await withTimeout(10, "a receiving") { try await theirs.receiveText() } == "x")
            #expect(b.channels(with: "a", label: "extra").first === mine)
            await #expect(throws: RoomClient.RoomError.unknownPeer("nobody")) { try await b.room.openChannel("x", to: "nobody") }
            await a.close()
            await b.close()
            #expect(await connection.connectionState == .closed)
            await #expect(throws: RoomClient.RoomError.closed) { try await b.room.openChannel("x", to: "a") }
        }
    }

    /// The signaling server restarts: both members reconnect and join again. The one that
    /// rejoins second offers afresh, the other drops its old connection and answers, and the
    /// new connection works.
    @Test func membersReconnectAfterTheServerRestartsAndConnectAgain() async throws {
        try InteropEnvironment.requirePrivateNamespace()
        var logger = Logger(label: "test.signaling")
        logger.logLevel = .critical
        func startServer(port: Int) async throws -> (SignalingServer, Task<Void, any Error>, Int) {
            var configuration = SignalingServerConfiguration()
            configuration.port = port
            // The same port again right after the first server stopped: under load its socket
            // was once still bound (EADDRINUSE), so a refused bind is tried again for a while.
            for attempt in 1...30 {
                let server = SignalingServer(configuration: configuration, logger: logger)
                let task = Task { try await server.run(handleSignals: false) }
                do {
                    return (server, task, try await server.waitUntilRunning())
                } catch where attempt < 30 && "\(error)".contains("in use") {
                    _ = try? await task.value
                    try await Task.sleep(for: .milliseconds(100))
                }
            }
            preconditionFailure("unreachable: the last attempt rethrows")
        }
        let (first, firstTask, port) = try await startServer(port: 0)
        let fast = SignalingReconnectPolicy(initialDelay: .milliseconds(100), maxDelay: .milliseconds(500))
        let a = RoomPeer(port: port, id: "a", room: "again", reconnect: fast)
        let b = RoomPeer(port: port, id: "b", room: "again", reconnect: fast)
        try await a.join()
        try await b.join()
        let oldChannel = try await a.channel(with: "b")
        let oldConnection = try #require(await a.room.connection(to: "b"))

        await first.shutdown()
        try await firstTask.value
        let (second, secondTask, _) = try await startServer(port: port)

        // A new chat channel opens between them on a new connection, and it works.
        let fresh = try await waitForValue(30, "a second chat channel between a and b; a: \(a.members), b: \(b.members)") {
            a.channels(with: "b").count == 2 && b.channels(with: "a").count == 2 ? (a.channels(with: "b")[1], b.channels(with: "a")[1]) : nil
        }
        try await fresh.0.send("after restart")
        #expect(try await withTimeout(10, "b receiving") { try await fresh.1.receiveText() } == "after restart")
        #expect(await oldConnection.connectionState == .closed)
        #expect(oldChannel.state == .closed)
        #expect(await a.room.connection(to: "b") !== oldConnection)
        #expect(await a.room.members == ["b"])
        #expect(await b.room.members == ["a"])
        await a.close()
        await b.close()
        await second.shutdown()
        try await secondTask.value
    }

    /// A join the server refuses (duplicate id) makes `join()` throw instead of hanging.
    @Test func aRefusedJoinThrows() async throws {
        try await withSignalingServer { _, port in
            let first = RoomPeer(port: port, id: "same", room: "dup")
            try await first.join()
            let second = RoomPeer(port: port, id: "same", room: "dup")
            await #expect(throws: RoomClient.RoomError.self) { try await second.join() }
            await second.close()
            await first.close()
        }
    }
}
