import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Logging
import RTCSignaling
import RTCSignalingServer
import RTCTestSupport
import Testing

/// Runs a real `SignalingServer` on 127.0.0.1 (a free port) around `body`, then shuts it down.
func withSignalingServer<T: Sendable>(
    _ configure: (inout SignalingServerConfiguration) -> Void = { _ in },
    _ body: @Sendable (SignalingServer, Int) async throws -> T
) async throws -> T {
    try InteropEnvironment.requirePrivateNamespace()
    var configuration = SignalingServerConfiguration()
    configuration.port = 0
    configure(&configuration)
    var logger = Logger(label: "test.signaling")
    logger.logLevel = .warning
    let server = SignalingServer(configuration: configuration, logger: logger)
    // Start and shutdown are bounded: a server that never listens or never stops fails the
    // test with a message instead of hanging the run.
    let running = Task { try await server.run(handleSignals: false) }
    let port: Int
    do {
        port = try await withTimeout(30, "the signaling server listening") { try await server.waitUntilRunning() }
    } catch {
        await server.shutdown()
        running.cancel()
        throw error
    }
    let result: T
    do {
        result = try await body(server, port)
    } catch {
        await server.shutdown()
        _ = try? await withTimeout(30, "the signaling server stopping") { try await running.value }
        throw error
    }
    await server.shutdown()
    try await withTimeout(30, "the signaling server stopping") { try await running.value }
    return result
}

/// Collects a client's events and waits for the ones a test expects (bounded in time).
final class EventRecorder: @unchecked Sendable {
    private let lock = NSLock()
    private var events: [SignalingClientEvent] = []
    private var task: Task<Void, Never>?

    init(_ client: SignalingClient) {
        task = Task { [weak self] in
            for await event in client.events { self?.append(event) }
        }
    }

    private func append(_ event: SignalingClientEvent) { lock.withLock { events.append(event) } }

    var all: [SignalingClientEvent] { lock.withLock { events } }

    /// Whether an event recorded since the last call with `cursor` matches `predicate`; moves
    /// `cursor` past every event looked at (no copy of the list: flood loops call it often).
    func contains(since cursor: inout Int, where predicate: (SignalingClientEvent) -> Bool) -> Bool {
        lock.withLock {
            defer { cursor = events.count }
            return events.dropFirst(cursor).contains(where: predicate)
        }
    }

    /// Waits until an event matches `predicate` (counting from the start) and returns it.
    @discardableResult
    func wait(timeout: Double = 10, _ what: String = "event", where predicate: (SignalingClientEvent) -> Bool) async throws -> SignalingClientEvent {
        try await waitForValue(timeout, "\(what); events:\n" + all.map { "\($0)" }.joined(separator: "\n")) {
            all.first(where: predicate)
        }
    }

    /// Waits until `count` events match `predicate`.
    func waitCount(_ count: Int, timeout: Double = 10, where predicate: (SignalingClientEvent) -> Bool) async throws {
        try await waitUntil(timeout, "\(count) matching events; events:\n" + all.map { "\($0)" }.joined(separator: "\n")) {
            all.filter(predicate).count >= count
        }
    }
}

/// A started client with its recorder and run task.
struct LiveClient {
    let client: SignalingClient
    let recorder: EventRecorder
    let task: Task<Void, Never>

    init(port: Int, peer: String, room: String = "room", token: String? = nil, reconnect: SignalingReconnectPolicy = .never,
         mode: SignalingRoomMode = .mesh) {
        client = SignalingClient(url: "ws://127.0.0.1:\(port)/ws", peerID: peer, roomID: room, token: token, reconnectPolicy: reconnect,
                                 mode: mode)
        recorder = EventRecorder(client)
        let client = self.client
        task = Task { await client.run() }
    }

    func stop() async {
        await client.close()
        _ = await task.value
    }
}

/// GET `path` on the local server; returns status and body.
func httpGET(port: Int, _ path: String) async throws -> (Int, String) {
    let url = URL(string: "http://127.0.0.1:\(port)\(path)")!
    // Bounded twice: URLSession's own request timeout, and a test timeout that cancels it (a
    // cluster test once waited on a request here with no end and hung the whole run).
    let request = URLRequest(url: url, cachePolicy: .reloadIgnoringLocalCacheData, timeoutInterval: 10)
    let (data, response) = try await withTimeout(15, "GET \(path)") { try await URLSession.shared.data(for: request) }
    return ((response as? HTTPURLResponse)?.statusCode ?? 0, String(decoding: data, as: UTF8.self))
}
