import Logging
import RTCCore
import RTCSDP
import SwiftRTC

/// A mesh room: one `PeerConnection` to every other member of a signaling room, negotiated over
/// a ``SignalingClient`` with trickle ICE (RFC 8838) and the offer/answer rules of RFC 8829.
///
/// The rules (also in `docs/rooms.md`, and the same as the demo page's):
/// - **The joiner offers.** On `room_peers` the room client offers to every listed peer;
///   existing members answer the newcomer's offer.
/// - **Glare.** If an offer arrives while our own offer to that peer is unanswered, the
///   *polite* side gives way: the peer whose id is greater (compared by UTF-16 code units, as
///   JavaScript compares strings) is polite. The polite side discards its offering connection
///   and answers the incoming offer on a fresh one; the impolite side ignores the incoming offer
///   (and the candidates that follow it) and keeps waiting for its answer.
/// - **Trickle.** Every local candidate is sent as `ice_candidate` once the description it
///   belongs to has been sent; the empty candidate that ends gathering is forwarded as
///   end-of-candidates. Remote candidates that arrive before the remote description are queued.
/// - **Leaving.** On `peer_left` the connection to that peer is closed and dropped.
///
/// The room client *runs* the signaling client: do not call `SignalingClient.run()` or read
/// its `events` yourself.
///
/// ```swift
/// let signaling = SignalingClient(url: "ws://127.0.0.1:8080/ws", peerID: "alice", roomID: "demo")
/// let room = RoomClient(webRTC: WebRTCClient(engine: .native), signaling: signaling)
/// let others = try await room.join()          // offers go to each of them
/// for await opened in room.dataChannels {      // the "chat" channel to each member, as it opens
///     try await opened.channel.send("hello \(opened.peerID)")
/// }
/// await room.close()
/// ```
///
/// Connections heal themselves: when one goes `disconnected` (the peer's address changed, a
/// network went away), the side that offered it restarts ICE and sends the restart offer;
/// one that went `failed` is replaced by a new connection (RoomClient+Restart.swift). The room
/// client reads each connection's `iceConnectionStateUpdates`: read `iceConnectionState`
/// instead.
///
/// **SFU rooms.** With a signaling client whose mode is `.sfu`, the room client holds one
/// connection, to the server's SFU (its peer id is ``SignalingClient/server``): it offers its
/// tracks and channel to the server on joining, answers the server's offers (a member joined or
/// left: tracks come and go on that one connection) and is the impolite side of a glare (the
/// server is polite). Members' tracks arrive on ``remoteTracks`` under their peer id (the
/// MediaStream id the server gives them); ``dataChannels`` yields the channel to the server,
/// which relays its messages to the other members; ``speakerEvents`` says who speaks.
///
/// A rejoin after a signaling reconnect closes the old connections and offers afresh to every
/// listed member (they saw us leave). An offer on an established connection with the same DTLS
/// fingerprint is a renegotiation (a browser adding video) and is answered on that connection.
public actor RoomClient {
    /// Settings of a room client.
    public struct Configuration: Sendable {
        /// The data channel created on every connection this client offers (answerers receive
        /// it on ``RoomClient/dataChannels``); `nil` creates none. The demo page chats on `"chat"`.
        public var channelLabel: String? = "chat"
        /// Reliability and ordering of that channel (RFC 8831 §5).
        public var channelOptions = DataChannelOptions()
        /// Also offer to members that join after us (instead of waiting for their offer).
        /// Both sides then offer at once: a way to exercise glare handling. Off by default.
        public var offersToNewMembers = false
        /// Tracks sent to every member (`swiftrtc play`): added to the connections we offer, and
        /// attached to the matching m-sections of offers we answer (RoomClient+Media.swift).
        public var tracks: [LocalMediaTrack] = []
        /// The MediaStream id of those tracks (`a=msid`); our peer id when `nil`.
        public var mediaStreamID: String?
        /// Whether to receive members' audio and video (`swiftrtc record`): our offers carry
        /// `recvonly` audio and video sections for kinds we do not send. Offers we answer are
        /// received from whatever they send, either way.
        public var receivesMedia = false
        /// STUN/TURN servers given to every connection (W3C `iceServers`), besides those of
        /// ``turnCredentials``.
        public var iceServers: [ICEServer] = []
        /// Which candidates every connection may use; `.relay` (relay only) hides the host's
        /// addresses and needs a TURN server (configured or fetched).
        public var iceTransportPolicy: ICETransportPolicy = .all
        /// What `turns:` servers' certificates are verified against (the system's store by default).
        public var turnTLSTrustRoots: TURNTLSTrustRoots = .system
        /// Where to fetch time-limited TURN credentials (a signaling server's
        /// `/turn-credentials`): fetched by ``RoomClient/join()`` before any connection is
        /// created, and again for new connections when they near expiry. `nil`: none.
        public var turnCredentials: TURNCredentialsSource?

        /// The defaults: a `"chat"` channel on every offered connection.
        public init() {}
    }

    /// A member of the room appeared or went away (from the `room_peers`, `peer_joined` and
    /// `peer_left` signaling messages).
    public enum MemberEvent: Sendable, Hashable, CustomStringConvertible {
        /// The peer is in the room (already there when we joined, or joined after us).
        case joined(peerID: String)
        /// The peer left the room (or its signaling connection dropped); its connection is closed.
        case left(peerID: String)

        /// The peer the event is about.
        public var peerID: String {
            switch self {
            case .joined(let id), .left(let id): id
            }
        }

        /// `joined(bob)` / `left(bob)`.
        public var description: String {
            switch self {
            case .joined(let id): "joined(\(id))"
            case .left(let id): "left(\(id))"
            }
        }
    }

    /// An open data channel to a member: one the peer opened, or one we created (the default
    /// channel of ``Configuration/channelLabel`` or ``openChannel(_:to:options:)``).
    public struct PeerChannel: Sendable {
        /// The member at the other end.
        public let peerID: String
        /// The open channel.
        public let channel: DataChannel
    }

    /// Why a room operation failed.
    public enum RoomError: Error, Sendable, Equatable, CustomStringConvertible {
        /// There is no connection to that member (not in the room, or its offer has not arrived yet).
        case unknownPeer(String)
        /// The connection to the member closed or was replaced before the channel opened.
        case connectionClosed(String)
        /// The signaling client stopped before the room was joined (with the server's reason, if any).
        case joinFailed(String)
        /// ``RoomClient/close()`` was called.
        case closed
        /// The request is for SFU rooms (``RoomClient/isSFU``), and this room is a mesh.
        case notSFURoom

        /// A readable explanation.
        public var description: String {
            switch self {
            case .unknownPeer(let id): "no connection to peer \"\(id)\" (not in the room, or not negotiated yet)"
            case .connectionClosed(let id): "the connection to peer \"\(id)\" closed before the channel opened"
            case .joinFailed(let reason): "could not join the room: \(reason)"
            case .closed: "the room client is closed"
            case .notSFURoom: "only members of SFU rooms can ask the server for a picture size"
            }
        }
    }

    /// Our peer id in the room.
    public nonisolated let localPeerID: String
    /// The room's id.
    public nonisolated let roomID: String
    /// The configuration given at creation.
    public nonisolated let configuration: Configuration
    /// Members joining and leaving, in signaling order (unbounded: membership is low-rate).
    /// Finishes on ``close()``.
    public nonisolated let memberEvents: AsyncStream<MemberEvent>
    /// Every data channel that opens, on any member's connection (unbounded). Finishes on ``close()``.
    public nonisolated let dataChannels: AsyncStream<PeerChannel>
    /// Members' tracks arriving and ending, on any member's connection (unbounded). Finishes on ``close()``.
    public nonisolated let remoteTracks: AsyncStream<PeerTrack>
    let trackSink: AsyncStream<PeerTrack>.Continuation
    /// SFU rooms: the room's dominant speaker as the server elects it (nil: nobody), in order
    /// (unbounded: a change takes at least one detection window). Finishes on ``close()``.
    public nonisolated let speakerEvents: AsyncStream<String?>
    private let speakerSink: AsyncStream<String?>.Continuation
    /// Whether the room is served by the server's SFU (the signaling client's mode).
    public nonisolated var isSFU: Bool { signaling.mode == .sfu }

    let webRTC: WebRTCClient
    let signaling: SignalingClient
    let logger: Logger
    private let memberSink: AsyncStream<MemberEvent>.Continuation
    private let channelSink: AsyncStream<PeerChannel>.Continuation

    /// How many colliding offers (glare) this client has resolved, as the polite or the
    /// impolite side (for diagnostics and tests).
    public internal(set) var glaresResolved = 0
    /// How many offers on an established connection were answered (renegotiations, e.g. a
    /// browser adding a video track; unsupported m-sections are rejected in the answer).
    public internal(set) var renegotiationsAnswered = 0
    /// How many ICE restart offers this client sent for connections that went `disconnected`.
    public internal(set) var iceRestartsSent = 0
    /// How many connections that went `failed` this client replaced with a new one.
    public internal(set) var connectionsReplaced = 0

    var peers: [String: Peer] = [:]
    private var memberIDs: [String] = []
    var nextConnectionID = 0
    private var started = false
    var isClosed = false
    var joinedPeers: [String]?
    /// The picture size asked of the SFU (``setMaximumResolution(width:height:)``).
    var maximumResolution: (width: Int, height: Int)?
    private var joinError: String?
    private var joinWaiters: [CheckedContinuation<[String], any Error>] = []
    private var signalingTask: Task<Void, Never>?
    private var eventTask: Task<Void, Never>?
    /// The TURN credentials last fetched from ``Configuration/turnCredentials``, and when (Unix seconds).
    var fetchedCredentials: (credentials: TURNCredentials, at: Int64)?

    /// One member's connection and its negotiation state.
    final class Peer {
        let id: String
        let connectionID: Int
        let connection: PeerConnection
        var remoteDescriptionSet = false
        var pendingCandidates: [ICECandidateInit] = []
        /// We ignored this peer's colliding offer (impolite): drop its candidates until the next description.
        var ignoringOffer = false
        /// The certificate fingerprint of the remote description: it identifies the remote connection.
        var remoteFingerprint: CertificateFingerprint?
        var candidateTask: Task<Void, Never>?
        var channelTask: Task<Void, Never>?
        var trackTask: Task<Void, Never>?
        /// Whether we made this connection's first offer: that side restarts ICE (RoomClient+Restart.swift).
        var offeredByUs = false
        /// Whether ICE connected at least once (a `failed` connection is replaced only then).
        var wasConnected = false
        /// Reads the connection's ICE states; the restart loop while it is disconnected.
        var iceTask: Task<Void, Never>?
        var restartTask: Task<Void, Never>?
        var openWaiters: [ObjectIdentifier: CheckedContinuation<Void, any Error>] = [:]

        init(id: String, connectionID: Int, connection: PeerConnection) {
            self.id = id
            self.connectionID = connectionID
            self.connection = connection
        }
    }

    /// Creates a room client for the room and peer id of `signaling`; call ``join()`` to start.
    public init(webRTC: WebRTCClient, signaling: SignalingClient, configuration: Configuration = Configuration(),
                logger: Logger = Logger(label: "swiftrtc.room")) {
        self.webRTC = webRTC
        self.signaling = signaling
        self.configuration = configuration
        var logger = logger
        logger[metadataKey: "peer"] = "\(signaling.peerID)"
        logger[metadataKey: "room"] = "\(signaling.roomID)"
        self.logger = logger
        self.localPeerID = signaling.peerID
        self.roomID = signaling.roomID
        (memberEvents, memberSink) = AsyncStream.makeStream(bufferingPolicy: .unbounded)
        (dataChannels, channelSink) = AsyncStream.makeStream(bufferingPolicy: .unbounded)
        (remoteTracks, trackSink) = AsyncStream.makeStream(bufferingPolicy: .unbounded)
        (speakerEvents, speakerSink) = AsyncStream.makeStream(bufferingPolicy: .unbounded)
    }

    /// Whether `local` is the polite side towards `remote` in a glare: the greater id is
    /// polite, comparing UTF-16 code units (JavaScript's `>` on strings, as the demo page does).
    public static func isPolite(local: String, remote: String) -> Bool {
        remote.utf16.lexicographicallyPrecedes(local.utf16)
    }

    /// Connects to the signaling server, joins the room and returns the members already there
    /// (an offer goes to each of them). Throws ``RoomError/joinFailed(_:)`` if the signaling
    /// client stops first (e.g. the server refused the join, or its reconnect policy gave up;
    /// with a policy that never gives up it waits until the server is reachable). Calling it
    /// again returns the member list of the first join.
    ///
    /// With ``Configuration/turnCredentials`` the credentials are fetched first; a failure
    /// throws ``TURNCredentialsError`` (a server without TURN, 404, is no failure when the
    /// source is `optional`).
    @discardableResult
    public func join() async throws -> [String] {
        if isClosed { throw RoomError.closed }
        if let joinedPeers { return joinedPeers }
        if let joinError { throw RoomError.joinFailed(joinError) }
        if !started {
            if let source = configuration.turnCredentials, fetchedCredentials == nil {
                try await fetchCredentials(source)
                if isClosed { throw RoomError.closed }
                if started { return try await join() }  // another join() started meanwhile
            }
            started = true
            let signaling = signaling
            signalingTask = Task { await signaling.run() }
            eventTask = Task { [weak self] in
                for await event in signaling.events {
                    guard let self else { return }
                    await self.handle(event)
                }
                await self?.signalingEnded()
            }
        }
        return try await withCheckedThrowingContinuation { joinWaiters.append($0) }
    }

    /// The members currently in the room (not counting us), in the order we learnt of them.
    public var members: [String] { memberIDs }

    /// The current connection to `peerID`, if one exists.
    public func connection(to peerID: String) -> PeerConnection? { peers[peerID]?.connection }

    /// Opens another data channel to `peerID` on the existing connection and returns it once
    /// it is open (it is also reported on ``dataChannels``). Throws ``RoomError/unknownPeer(_:)``
    /// if there is no connection to that member yet, ``RoomError/connectionClosed(_:)`` if it
    /// closes or is replaced first.
    public func openChannel(_ label: String, to peerID: String, options: DataChannelOptions = DataChannelOptions()) async throws -> DataChannel {
        if isClosed { throw RoomError.closed }
        guard let peer = peers[peerID] else { throw RoomError.unknownPeer(peerID) }
        let channel = try await peer.connection.createDataChannel(label, options: options)
        if channel.state == .open { return channel }
        guard peers[peerID] === peer, peer.channelTask != nil else { throw RoomError.connectionClosed(peerID) }
        try await withCheckedThrowingContinuation { peer.openWaiters[ObjectIdentifier(channel)] = $0 }
        return channel
    }

    /// Leaves the room: closes every peer connection and the signaling client, ends
    /// ``memberEvents`` and ``dataChannels`` and waits for every task the room client started.
    public func close() async {
        guard !isClosed else { return }
        isClosed = true
        await signaling.close()
        signalingTask?.cancel()
        let all = Array(peers.values)
        peers.removeAll()
        memberIDs.removeAll()
        for peer in all { await shutDown(peer) }
        failJoinWaiters(RoomError.closed)
        memberSink.finish()
        channelSink.finish()
        trackSink.finish()
        speakerSink.finish()
        await signalingTask?.value
        await eventTask?.value
    }

    // MARK: - Signaling events (handled one at a time, in order)

    private func handle(_ event: SignalingClientEvent) async {
        guard !isClosed else { return }
        switch event {
        case .joined(_, let others):
            await joined(others)
        case .peerJoined(let id):
            if let stale = peers.removeValue(forKey: id) { await shutDown(stale) }  // it reconnected
            addMember(id)
            if configuration.offersToNewMembers, !isSFU { await offer(to: id) }
        case .peerLeft(let id):
            await removeMember(id)
        case .offer(let description, let from):
            await receivedOffer(description, from: from)
        case .answer(let description, let from):
            await receivedAnswer(description, from: from)
        case .iceCandidate(let candidate, let from):
            await receivedCandidate(candidate, from: from)
        case .error(let error):
            logger.warning("signaling server refused a message", metadata: ["error": "\(error)"])
            if joinedPeers == nil { joinError = "\(error)" }
        case .speakerChanged(let id):
            speakerSink.yield(id)
        case .connected, .serverShutdown, .disconnected, .redirected:
            break
        }
    }

    private func joined(_ others: [String]) async {
        let firstJoin = joinedPeers == nil
        logger.log(level: firstJoin ? .debug : .info, firstJoin ? "joined" : "joined again after a reconnect",
                   metadata: ["members": "\(others.joined(separator: ","))"])
        if firstJoin {
            joinedPeers = others
            let waiters = joinWaiters
            joinWaiters.removeAll()
            for waiter in waiters { waiter.resume(returning: others) }
        }
        // After a reconnect the others have seen us leave and dropped their connections:
        // forget members that are gone and offer afresh to everyone listed.
        for id in memberIDs where !others.contains(id) { await removeMember(id) }
        if isSFU {
            // What we asked of the server's layer choice goes to our new member there too.
            if let size = maximumResolution { try? await signaling.send(.maxResolution(width: size.width, height: size.height)) }
            // One connection, to the server, which sends every member's tracks on it.
            for id in others { addMember(id) }
            if let stale = peers.removeValue(forKey: SignalingClient.server) { await shutDown(stale) }
            await offer(to: SignalingClient.server)
            return
        }
        for id in others {
            if let stale = peers.removeValue(forKey: id) { await shutDown(stale) }
            addMember(id)
            await offer(to: id)
        }
    }

    private func signalingEnded() async {
        if joinedPeers == nil {
            let stopped = await signaling.stopError.map { "\($0)" }
            failJoinWaiters(RoomError.joinFailed(stopped ?? joinError
                ?? "no connection to the signaling server at \(signaling.url) (the signaling client gave up)"))
        }
    }

    private func failJoinWaiters(_ error: RoomError) {
        if joinError == nil, case .joinFailed(let reason) = error { joinError = reason }
        let waiters = joinWaiters
        joinWaiters.removeAll()
        for waiter in waiters { waiter.resume(throwing: error) }
    }

    func addMember(_ id: String) {
        guard !memberIDs.contains(id) else { return }
        memberIDs.append(id)
        logger.info("member joined", metadata: ["member": "\(id)"])
        memberSink.yield(.joined(peerID: id))
    }

    private func removeMember(_ id: String) async {
        if let peer = peers.removeValue(forKey: id) { await shutDown(peer) }
        guard let index = memberIDs.firstIndex(of: id) else { return }
        memberIDs.remove(at: index)
        logger.info("member left", metadata: ["member": "\(id)"])
        memberSink.yield(.left(peerID: id))
    }

    // MARK: - Data channels

    func channelEvent(_ event: DataChannelEvent, peer id: String, connectionID: Int) {
        guard let peer = peers[id], peer.connectionID == connectionID else { return }
        switch event {
        case .open(let channel):
            peer.openWaiters.removeValue(forKey: ObjectIdentifier(channel))?.resume()
            channelSink.yield(PeerChannel(peerID: id, channel: channel))
        case .closed(let channel), .error(let channel, _):
            peer.openWaiters.removeValue(forKey: ObjectIdentifier(channel))?.resume(throwing: RoomError.connectionClosed(id))
        case .closing:
            break
        }
    }

    func channelEventsEnded(peer id: String, connectionID: Int) {
        guard let peer = peers[id], peer.connectionID == connectionID else { return }
        failOpenWaiters(peer)
        peer.channelTask = nil
    }

    private func failOpenWaiters(_ peer: Peer) {
        let waiters = peer.openWaiters
        peer.openWaiters.removeAll()
        for waiter in waiters.values { waiter.resume(throwing: RoomError.connectionClosed(peer.id)) }
    }

    /// Closes a connection that is no longer in `peers` and waits for its tasks, which end as
    /// its streams finish.
    func shutDown(_ peer: Peer) async {
        failOpenWaiters(peer)
        peer.restartTask?.cancel()
        await peer.connection.close()
        let tasks = [peer.candidateTask, peer.channelTask, peer.trackTask, peer.iceTask, peer.restartTask]
        peer.candidateTask = nil
        peer.channelTask = nil
        peer.trackTask = nil
        peer.iceTask = nil
        peer.restartTask = nil
        for task in tasks { await task?.value }
    }
}
