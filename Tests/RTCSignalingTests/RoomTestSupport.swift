import Foundation
import RTCSignaling
import RTCTestSupport
import SwiftRTC
import Testing

/// A `RoomClient` joined to a live server, with its member events and opened channels recorded
/// so a test can wait for them.
final class RoomPeer: @unchecked Sendable {
    let id: String
    let room: RoomClient
    /// The room client's signaling client (a test may send through it; the room client reads its events).
    let signaling: SignalingClient
    private let lock = NSLock()
    private var memberLog: [RoomClient.MemberEvent] = []
    private var channelLog: [RoomClient.PeerChannel] = []
    private var tasks: [Task<Void, Never>] = []

    init(port: Int, id: String, room roomID: String, reconnect: SignalingReconnectPolicy = .never,
         configure: (inout RoomClient.Configuration) -> Void = { _ in }) {
        self.id = id
        var configuration = RoomClient.Configuration()
        configure(&configuration)
        let signaling = SignalingClient(url: "ws://127.0.0.1:\(port)/ws", peerID: id, roomID: roomID, reconnectPolicy: reconnect)
        self.signaling = signaling
        room = RoomClient(webRTC: WebRTCClient(engine: .native), signaling: signaling, configuration: configuration)
        let room = self.room
        tasks.append(Task { [weak self] in
            for await event in room.memberEvents { self?.lock.withLock { self?.memberLog.append(event) } }
        })
        tasks.append(Task { [weak self] in
            for await opened in room.dataChannels { self?.lock.withLock { self?.channelLog.append(opened) } }
        })
    }

    /// Starts the room client and waits for the server's `room_peers`.
    @discardableResult
    func join() async throws -> [String] {
        try await withTimeout(15, "\(id) joining") { [room] in try await room.join() }
    }

    var members: [RoomClient.MemberEvent] { lock.withLock { memberLog } }
    var channels: [RoomClient.PeerChannel] { lock.withLock { channelLog } }

    /// The channels labelled `label` that opened with `peer`.
    func channels(with peer: String, label: String = "chat") -> [DataChannel] {
        channels.filter { $0.peerID == peer && $0.channel.label == label }.map(\.channel)
    }

    /// Waits for a channel labelled `label` with `peer` to open.
    func channel(with peer: String, label: String = "chat", timeout: Double = 20) async throws -> DataChannel {
        try await waitForValue(timeout, "\(id): channel \"\(label)\" with \(peer); opened: \(channels.map { "\($0.peerID)/\($0.channel.label)" })") {
            self.channels(with: peer, label: label).first
        }
    }

    /// Waits until `event` was reported.
    func waitFor(_ event: RoomClient.MemberEvent, timeout: Double = 15) async throws {
        _ = try await waitForValue(timeout, "\(id): member event \(event); got \(members)") {
            self.members.contains(event) ? true : nil
        }
    }

    /// Closes the room client; its streams end, so the recording tasks end too.
    func close() async {
        await room.close()
        for task in lock.withLock({ tasks }) { await task.value }
    }
}

/// The `swiftrtc` executable built next to the test bundle (`swift build --build-tests` builds it).
func swiftrtcExecutable() throws -> String {
    let candidates = [
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("swiftrtc"),
        InteropEnvironment.repositoryRoot.appendingPathComponent(".build/debug/swiftrtc"),
    ]
    for url in candidates where FileManager.default.isExecutableFile(atPath: url.path) { return url.path }
    throw InteropPeerMissing("the swiftrtc executable is not built (looked at \(candidates.map(\.path))); run swift build --build-tests")
}
