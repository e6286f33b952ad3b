import Foundation
import HummingbirdWSClient
import Logging
import NIOCore
import RTCSession

/// Why a ``SignalingClient`` call failed.
public enum SignalingClientError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The server refused a message with a typed `error` reply.
    case server(SignalingProtocolError)
    /// There is no open connection right now (connecting, or waiting to reconnect).
    case notConnected
    /// The client was closed with ``SignalingClient/close()``, or gave up.
    case closed
    /// Connecting failed (the underlying error's description).
    case connectionFailed(String)
    /// The join was redirected (cluster mode: an SFU room's home is another server instance)
    /// more than ``SignalingClient/maxRedirects`` times in a row without being accepted;
    /// `url` is the last redirect's target.
    case tooManyRedirects(hops: Int, url: String)

    /// A readable explanation.
    public var description: String {
        switch self {
        case .server(let error): "server refused: \(error)"
        case .notConnected: "not connected to the signaling server"
        case .closed: "the signaling client is closed"
        case .connectionFailed(let reason): "could not connect: \(reason)"
        case .tooManyRedirects(let hops, let url):
            "the join was redirected more than \(hops) times without being accepted (last to \(url)); the servers' homes for the room disagree"
        }
    }
}

/// What a ``SignalingClient`` reports, in order, on ``SignalingClient/events``.
public enum SignalingClientEvent: Sendable, Equatable {
    /// The WebSocket is open (the `join` has been sent).
    case connected
    /// The server accepted the `join`: the peers already in the room (offer to each of them).
    case joined(roomID: String, peers: [String])
    /// Another peer joined the room.
    case peerJoined(String)
    /// A peer left the room.
    case peerLeft(String)
    /// An SDP offer from a peer; `from` is ``SignalingClient/server`` (empty) for the server's
    /// own offer in an SFU room.
    case offer(SessionDescription, from: String)
    /// An SDP answer from a peer (``SignalingClient/server`` in an SFU room).
    case answer(SessionDescription, from: String)
    /// A trickled ICE candidate from a peer (``SignalingClient/server`` in an SFU room).
    case iceCandidate(ICECandidateInit, from: String)
    /// SFU rooms: the room's dominant speaker is now this member (nil: nobody).
    case speakerChanged(String?)
    /// The server refused something this client sent.
    case error(SignalingProtocolError)
    /// The server announced it is shutting down.
    case serverShutdown(message: String)
    /// The connection dropped; the client reconnects after `reconnectIn` (nil: it stops).
    case disconnected(reconnectIn: Duration?)
    /// Cluster mode: the server sent the join elsewhere (an SFU room's home instance); the
    /// client closes this connection and joins again at `url` at once.
    case redirected(url: String)
}

/// Exponential back-off between reconnect attempts: `initialDelay × multiplier^n`, capped at
/// `maxDelay`; reset once a `join` succeeds.
public struct SignalingReconnectPolicy: Sendable, Equatable {
    /// Delay before the first reconnect.
    public var initialDelay: Duration
    /// Longest delay.
    public var maxDelay: Duration
    /// Growth factor per failed attempt.
    public var multiplier: Double
    /// Give up after this many attempts in a row without a successful join (nil: never).
    public var maxAttempts: Int?

    /// Creates a policy; the defaults go 250 ms, 500 ms, 1 s … up to 10 s, forever.
    public init(initialDelay: Duration = .milliseconds(250), maxDelay: Duration = .seconds(10),
                multiplier: Double = 2, maxAttempts: Int? = nil) {
        self.initialDelay = initialDelay
        self.maxDelay = maxDelay
        self.multiplier = multiplier
        self.maxAttempts = maxAttempts
    }

    /// Never reconnect.
    public static let never = SignalingReconnectPolicy(maxAttempts: 0)

    /// The delay before reconnect attempt `attempt` (0-based).
    public func delay(attempt: Int) -> Duration {
        let factor = pow(multiplier, Double(max(0, attempt)))
        let nanos = min(Double(maxDelay.nanoseconds), Double(initialDelay.nanoseconds) * factor)
        return .nanoseconds(Int64(nanos))
    }
}

extension Duration {
    fileprivate var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds &* 1_000_000_000 &+ attoseconds / 1_000_000_000
    }
}

/// A client of the SwiftRTC signaling server (`docs/signaling-protocol.md`): connects over
/// WebSocket, joins one room, sends typed messages and reports what arrives on ``events``.
/// When the connection drops (or the server shuts down) it reconnects with exponential
/// back-off and joins the same room again. A `redirect` from the server (a cluster's SFU room
/// lives on another instance, `docs/cluster.md`) is followed at once: the client connects to
/// the URL it names and joins there, at most ``maxRedirects`` times in a row.
///
/// ```swift
/// let client = SignalingClient(url: "ws://127.0.0.1:8080/ws", peerID: "alice", roomID: "demo")
/// Task { await client.run() }
/// for await event in client.events {
///     if case .joined(_, let peers) = event { for peer in peers { try await client.sendOffer(offer, to: peer) } }
/// }
/// ```
public actor SignalingClient {
    /// The WebSocket URL, e.g. `ws://127.0.0.1:8080/ws`.
    public nonisolated let url: String
    /// Further servers of the same cluster (`docs/cluster.md`): each reconnect after a
    /// failure tries the next URL of `[url] + fallbackURLs`, round robin, so a member whose
    /// server died keeps its room through another one.
    public nonisolated let fallbackURLs: [String]
    /// The peer id this client joins as.
    public nonisolated let peerID: String
    /// The room this client joins.
    public nonisolated let roomID: String
    /// The join token, when the server requires one.
    public nonisolated let token: String?
    /// How the room connects its members: a mesh, or through the server's SFU.
    public nonisolated let mode: SignalingRoomMode
    /// The peer id the server has in an SFU room: offers, answers and candidates sent "to" it
    /// go to the server (no `target` on the wire), and the server's arrive "from" it. Empty,
    /// which no member's id can be.
    public static let server = ""
    /// How reconnects are spaced.
    public nonisolated let reconnectPolicy: SignalingReconnectPolicy
    /// Everything that happens, in order (one consumer; unbounded buffer — signaling is low-rate).
    public nonisolated let events: AsyncStream<SignalingClientEvent>
    /// Most `redirect`s followed in a row — each connection redirected again at once — before
    /// a join is accepted; one more stops the client with
    /// ``SignalingClientError/tooManyRedirects(hops:url:)`` (a loop between instances that
    /// disagree about a room's home). A redirect target that cannot be reached or closes ends
    /// the run: the client reconnects with back-off from its own URLs.
    public nonisolated let maxRedirects: Int

    private let eventsContinuation: AsyncStream<SignalingClientEvent>.Continuation
    private let logger: Logger
    private var outbox: AsyncStream<String>.Continuation?
    private var stopped = false
    private var fatal: SignalingProtocolError?
    private var attempts = 0
    private var isJoined = false
    /// Index into `[url] + fallbackURLs` of the server to connect to next.
    private var urlIndex = 0
    /// Where the server redirected the join: the next connection (only) goes there.
    private var redirectURL: String?
    /// A redirect received on the current connection, followed when it has closed.
    private var pendingRedirect: String?
    /// Redirects followed since the last accepted join.
    private var redirects = 0
    /// Why the client stopped by itself (a refused join, too many redirects).
    private var stopReason: SignalingClientError?

    /// Creates a client; call ``run()`` to connect. `logger` (with `peer` and `room` metadata
    /// added) records connects, reconnects with their back-off, joins, members coming and
    /// going, and errors from the server. `mode` is sent with every `join`: `.sfu` joins an SFU
    /// room, where the server is this client's only peer (``server``). `maxRedirects` bounds
    /// the `redirect`s followed in a row (``maxRedirects``).
    public init(url: String, peerID: String, roomID: String, token: String? = nil,
                reconnectPolicy: SignalingReconnectPolicy = .init(),
                logger: Logger = Logger(label: "swiftrtc.signaling"), fallbackURLs: [String] = [],
                mode: SignalingRoomMode = .mesh, maxRedirects: Int = 3) {
        self.mode = mode
        self.maxRedirects = max(0, maxRedirects)
        self.url = url
        self.fallbackURLs = fallbackURLs
        self.peerID = peerID
        self.roomID = roomID
        self.token = token
        self.reconnectPolicy = reconnectPolicy
        var logger = logger
        logger[metadataKey: "peer"] = "\(peerID)"
        logger[metadataKey: "room"] = "\(roomID)"
        self.logger = logger
        (events, eventsContinuation) = AsyncStream.makeStream(of: SignalingClientEvent.self, bufferingPolicy: .unbounded)
    }

    /// `true` while connected and in the room.
    public var joined: Bool { isJoined }

    /// The join error that made the client stop reconnecting, if any.
    public var failure: SignalingProtocolError? { fatal }

    /// Why the client stopped by itself, if it did: the server refused the join
    /// (``SignalingClientError/server(_:)``, the same error as ``failure``) or the join was
    /// redirected too often (``SignalingClientError/tooManyRedirects(hops:url:)``).
    public var stopError: SignalingClientError? { stopReason }

    /// Connects, joins, and keeps reconnecting until ``close()``, cancellation, a fatal join
    /// error (unauthorized, expired token, invalid id, room full), too many redirects in a row
    /// or `maxAttempts`. Returns when the client stops; ``events`` finishes then.
    public func run() async {
        defer { eventsContinuation.finish() }
        while !stopped && !Task.isCancelled {
            do {
                try await connectOnce()
            } catch {
                if !stopped { logger.warning("signaling connection failed", metadata: ["url": "\(currentURL)", "error": "\(error)"]) }
            }
            outbox = nil
            isJoined = false
            if let next = pendingRedirect, !stopped, !Task.isCancelled {
                // Joined nowhere yet: straight to the room's home, no back-off.
                pendingRedirect = nil
                redirectURL = next
                continue
            }
            pendingRedirect = nil
            redirectURL = nil  // a redirect target is tried once; reconnects start over
            // A run of hops ends here: only redirects that follow each other at once count (a
            // loop); a home that cannot be reached (it died, the directory does not know yet)
            // is retried with back-off like any other server.
            redirects = 0
            urlIndex = (urlIndex + 1) % (fallbackURLs.count + 1)  // the next server of the cluster, if any
            if stopped || stopReason != nil || Task.isCancelled {
                if let stopReason { logger.error("the join cannot succeed; not reconnecting", metadata: ["error": "\(stopReason)"]) }
                logger.debug("signaling client stopped")
                eventsContinuation.yield(.disconnected(reconnectIn: nil))
                return
            }
            if let max = reconnectPolicy.maxAttempts, attempts >= max {
                logger.error("giving up on the signaling server", metadata: ["url": "\(url)", "attempts": "\(attempts)"])
                eventsContinuation.yield(.disconnected(reconnectIn: nil))
                return
            }
            let delay = reconnectPolicy.delay(attempt: attempts)
            attempts += 1
            logger.notice("reconnecting to the signaling server", metadata: [
                "in": "\(delay)", "attempt": "\(attempts)", "max": "\(reconnectPolicy.maxAttempts.map(String.init) ?? "unlimited")",
            ])
            eventsContinuation.yield(.disconnected(reconnectIn: delay))
            try? await Task.sleep(for: delay)
        }
    }

    /// Sends a message (`target` set by the caller). Throws `.notConnected` between connections.
    public func send(_ message: SignalingMessage) throws(SignalingClientError) {
        try send(text: message.jsonString())
    }

    /// Sends raw text (for tools and tests of the server's error handling).
    public func send(text: String) throws(SignalingClientError) {
        if stopped { throw .closed }
        guard let outbox else { throw .notConnected }
        outbox.yield(text)
    }

    /// Sends an SDP offer to `peer` (``server``: to the SFU of an SFU room): the description
    /// `PeerConnection.createOffer()` returned (its `type` should be `.offer`; it is sent as given).
    public func sendOffer(_ offer: SessionDescription, to peer: String) throws(SignalingClientError) {
        try send(.offer(offer, target: Self.target(peer)))
    }

    /// Sends an SDP answer to `peer` (``server``: to the SFU of an SFU room): the description
    /// `PeerConnection.createAnswer()` returned (its `type` should be `.answer`; it is sent as given).
    public func sendAnswer(_ answer: SessionDescription, to peer: String) throws(SignalingClientError) {
        try send(.answer(answer, target: Self.target(peer)))
    }

    /// Trickles an ICE candidate (as `PeerConnection.iceCandidates` yields it) to `peer`
    /// (``server``: to the SFU of an SFU room).
    public func sendCandidate(_ candidate: ICECandidateInit, to peer: String) throws(SignalingClientError) {
        try send(.iceCandidate(candidate, target: Self.target(peer)))
    }

    /// The `target` field for `peer`: none for ``server``.
    private static func target(_ peer: String) -> String? { peer == server ? nil : peer }

    /// Leaves the room and closes the connection for good (no reconnect).
    public func close() {
        stopped = true
        outbox?.finish()
    }

    // MARK: - One connection

    /// The server this client connects to next.
    private var currentURL: String { redirectURL ?? (urlIndex == 0 ? url : fallbackURLs[urlIndex - 1]) }

    private func connectOnce() async throws {
        let (stream, continuation) = AsyncStream.makeStream(of: String.self, bufferingPolicy: .unbounded)
        continuation.yield(SignalingMessage.join(peerID: peerID, roomID: roomID, token: token, mode: mode).jsonString())
        outbox = continuation
        defer { continuation.finish() }
        try await WebSocketClient.connect(
            url: currentURL,
            configuration: .init(maxFrameSize: 1 << 20, closeTimeout: .seconds(2), autoPing: .enabled(timePeriod: .seconds(20))),
            logger: logger
        ) { inbound, outbound, _ in
            await self.opened()
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    for await text in stream { try await outbound.writeTextMessage(text) }
                    // Outbox finished: close() was called, or a fatal error.
                    try? await outbound.close(.normalClosure, reason: nil)
                }
                for try await message in inbound.messages(maxSize: 1 << 20) {
                    guard case .text(let text) = message else { continue }
                    await self.handle(text)
                }
                group.cancelAll()
            }
        }
    }

    private func opened() {
        logger.info("connected to the signaling server", metadata: ["url": "\(currentURL)"])
        eventsContinuation.yield(.connected)
    }

    private func handle(_ text: String) {
        let message: SignalingMessage
        do {
            message = try SignalingMessage.decode(text)
        } catch {
            logger.warning("undecodable message from the server", metadata: ["error": "\(error)"])
            return
        }
        switch message {
        case .roomPeers(let room, let peers):
            isJoined = true
            attempts = 0
            redirects = 0
            logger.info("joined the room", metadata: ["members": "\(peers.joined(separator: ","))"])
            eventsContinuation.yield(.joined(roomID: room, peers: peers))
        case .peerJoined(let peer):
            logger.debug("member joined", metadata: ["member": "\(peer)"])
            eventsContinuation.yield(.peerJoined(peer))
        case .peerLeft(let peer):
            logger.debug("member left", metadata: ["member": "\(peer)"])
            eventsContinuation.yield(.peerLeft(peer))
        case .offer(let description, _, let from):
            eventsContinuation.yield(.offer(description, from: from ?? Self.server))
        case .answer(let description, _, let from):
            eventsContinuation.yield(.answer(description, from: from ?? Self.server))
        case .iceCandidate(let candidate, _, let from):
            eventsContinuation.yield(.iceCandidate(candidate, from: from ?? Self.server))
        case .speakerChanged(let peer):
            eventsContinuation.yield(.speakerChanged(peer))
        case .redirect(let room, let target):
            redirected(room: room, to: target)
        case .error(let code, let reason):
            let error = SignalingProtocolError(code, reason)
            logger.warning("error from the signaling server", metadata: ["code": "\(code.rawValue)", "reason": "\(reason)"])
            eventsContinuation.yield(.error(error))
            if !isJoined {
                switch code {
                case .unauthorized, .tokenExpired, .invalidMessage, .roomFull, .roomModeMismatch, .sfuUnavailable, .homeUnavailable:
                    // Retrying the same join cannot succeed.
                    fatal = error
                    stopReason = .server(error)
                    outbox?.finish()
                case .duplicatePeerID, .unavailable:
                    // Probably our previous connection, not yet timed out, or a server that
                    // lost its cluster database: reconnect later.
                    outbox?.finish()
                default:
                    break
                }
            }
        case .shutdown(let reason):
            logger.notice("the signaling server is shutting down", metadata: ["message": "\(reason)"])
            eventsContinuation.yield(.serverShutdown(message: reason))
        case .join, .leave, .maxResolution:
            logger.warning("unexpected message from the server", metadata: ["type": "\(message.type)"])
        }
    }

    /// A `redirect` for our join: close this connection and join at `target` (``run()`` does
    /// when the connection has closed), unless that makes too many hops in a row.
    private func redirected(room: String, to target: String) {
        guard !isJoined, room == roomID, pendingRedirect == nil else {
            logger.warning("ignoring an unexpected redirect", metadata: ["to": "\(target)", "redirect_room": "\(room)"])
            return
        }
        redirects += 1
        if redirects > maxRedirects {
            stopReason = .tooManyRedirects(hops: maxRedirects, url: target)
            logger.error("too many redirects; not following", metadata: ["to": "\(target)", "hops": "\(maxRedirects)"])
        } else {
            logger.info("the room lives on another server; following the redirect", metadata: ["to": "\(target)"])
            pendingRedirect = target
            eventsContinuation.yield(.redirected(url: target))
        }
        outbox?.finish()
    }
}
