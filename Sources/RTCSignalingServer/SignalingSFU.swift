import Foundation
import Logging
import NIOCore
import RTCCore
import RTCDTLS
import RTCRTP
import RTCSDP
import RTCSession
import RTCSFU
import RTCSignaling

/// Settings of the SFU a ``SignalingServer`` runs for SFU rooms (`"mode":"sfu"` joins,
/// `docs/signaling-protocol.md`).
public struct SignalingSFUConfiguration: Sendable, Equatable {
    /// The IP addresses the SFU's UDP socket binds, each on an ephemeral port: every member's
    /// session at the server offers them as its host candidates, so they must be addresses the
    /// members can reach (not a wildcard).
    public var addresses: [String]
    /// The rooms' codecs and limits (the member limit is the server's ``SignalingServerConfiguration/maxRoomSize``).
    public var rooms: SFURoomConfiguration

    /// An SFU on `addresses` (loopback by default) with VP8 and Opus rooms.
    public init(addresses: [String] = ["127.0.0.1"], rooms: SFURoomConfiguration = SFURoomConfiguration()) {
        self.addresses = addresses
        self.rooms = rooms
    }
}

/// Why the server's SFU could not start.
public enum SignalingSFUError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The address is no IP address, or no UDP socket could be bound on it.
    case cannotBind(String)
    /// The DTLS certificate the SFU's sessions share could not be made.
    case certificate(String)

    /// A readable explanation.
    public var description: String {
        switch self {
        case .cannotBind(let address): "the SFU cannot bind a UDP socket on \(address) (give an IP address of this host)"
        case .certificate(let reason): "the SFU cannot make its DTLS certificate: \(reason)"
        }
    }
}

/// The signaling server's SFU: an `SFUEdge` whose rooms are the hub's SFU rooms. It performs the
/// hub's ``SignalingSFURequest``s and the edge's room events in one task, in order (one owner of
/// the member table, no lock), and sends the server's side of each member's negotiation —
/// offers, answers, candidates — and `speaker_changed` through the member's WebSocket.
final class SignalingSFU: Sendable {
    private enum Work: Sendable {
        case request(SignalingSFURequest)
        case room(SFURoomEvent)
        case localCandidate(SFUSessionKey, ICECandidateInit)
        case sessionEnded(SFUSessionKey, PeerConnectionState)
    }

    /// One member as the SFU task knows it.
    private struct Member {
        var key: SFUSessionKey
        var roomID: String
        var peerID: String
        /// The server's candidates wait until the member has one of its descriptions.
        var described = false
        var pendingCandidates: [ICECandidateInit] = []
        /// The certificate fingerprint of the member's connection (from its first offer): an
        /// offer with another one comes from a new connection, which gets a new session.
        var remoteFingerprint: CertificateFingerprint?
        /// The member's session failed or closed (consent expired, DTLS failed): its next
        /// offer — from the new connection its client makes — gets a new session.
        var sessionEnded = false
        /// The largest picture the member asked for (`max_resolution`), kept for a new session.
        var maximumSize: SFUPictureSize?
    }

    let configuration: SignalingSFUConfiguration
    let edge: SFUEdge
    private let logger: Logger
    private let certificate: DTLSCertificate
    private let work: AsyncStream<Work>.Continuation
    private let queue: AsyncStream<Work>

    init(configuration: SignalingSFUConfiguration, maxRoomSize: Int, logger: Logger) throws(SignalingSFUError) {
        self.configuration = configuration
        self.logger = logger
        do {
            certificate = try DTLSCertificate.generateSelfSigned(now: Date())
        } catch {
            throw .certificate("\(error)")
        }
        let (queue, work) = AsyncStream.makeStream(of: Work.self, bufferingPolicy: .unbounded)
        self.queue = queue
        self.work = work
        var rooms = configuration.rooms
        rooms.maximumMembers = maxRoomSize
        edge = SFUEdge(rooms: rooms, onEvent: { tagged in
            // Only what the members must hear of; the rest (states, channels) stays at the server.
            switch tagged.event {
            case .ice(.localCandidate(let candidate)): work.yield(.localCandidate(tagged.session, candidate))
            case .connectionStateChanged(let state) where state == .failed || state == .closed:
                work.yield(.sessionEnded(tagged.session, state))
            default: break
            }
        }, onRoomEvent: { work.yield(.room($0)) })
    }

    /// Binds the edge's socket on every configured address.
    func start() async throws(SignalingSFUError) {
        for address in configuration.addresses {
            guard let ip = IPAddress(address), await edge.bind(TransportAddress(ip: ip, port: 0)) != nil else {
                throw .cannotBind(address)
            }
        }
        let bound = await edge.localAddresses
        logger.info("SFU listening", metadata: ["addresses": "\(bound)"])
    }

    /// Queues one of the hub's requests (called under the connections' lock, so in the hub's order).
    func submit(_ request: SignalingSFURequest) { work.yield(.request(request)) }

    /// The session configuration of every member's session at the server: the rooms' codecs
    /// only, simulcast accepted (each subscriber gets the layer its bandwidth and
    /// `max_resolution` choose).
    private var sessionConfiguration: SessionConfiguration {
        var session = SessionConfiguration()
        session.acceptsSimulcast = true
        session.mediaCapabilities.videoCodecs = JSEPCapabilities.default.videoCodecs.filter {
            RTPCodec(encodingName: $0.name) == configuration.rooms.videoCodec
        }
        session.mediaCapabilities.audioCodecs = JSEPCapabilities.default.audioCodecs.filter {
            RTPCodec(encodingName: $0.name) == configuration.rooms.audioCodec
        }
        return session
    }

    /// A new session at the server for a member, joined to its room; nil (the member told why)
    /// when the SFU refuses it (the room is full, …).
    private func newSession(room roomID: String, peer peerID: String, connection id: SignalingConnectionID,
                            connections: SignalingConnections) async -> SFUSessionKey? {
        let key = await edge.addSession(RTCSession(configuration: sessionConfiguration, certificate: certificate))
        do {
            try await edge.join(key, room: SFURoomID(roomID), streamID: peerID)
            return key
        } catch {
            logger.warning("SFU refused a member", metadata: ["room": "\(roomID)", "peer": "\(peerID)", "error": "\(error)"])
            await edge.removeSession(key)
            let code: SignalingErrorCode = switch error {
            case .roomFull: .roomFull
            default: .negotiationFailed
            }
            connections.deliver(.error(code: code, message: "the SFU cannot take \"\(peerID)\" into room \"\(roomID)\": \(error)"), to: id)
            return nil
        }
    }

    /// Performs requests and room events until cancelled (the server's shutdown), then closes the edge.
    func run(connections: SignalingConnections) async {
        var members: [SignalingConnectionID: Member] = [:]
        var connectionOf: [SFUSessionKey: SignalingConnectionID] = [:]
        func send(_ message: SignalingMessage, to id: SignalingConnectionID) { connections.deliver(message, to: id) }

        for await item in queue {
            switch item {
            case .request(.join(let id, let roomID, let peerID)):
                guard let key = await newSession(room: roomID, peer: peerID, connection: id, connections: connections) else { continue }
                members[id] = Member(key: key, roomID: roomID, peerID: peerID)
                connectionOf[key] = id
                // The others were told when the speaker changed; a member joining now is told who
                // speaks (seen in a loaded run: the tone's page was elected before the rest joined).
                if let speakerKey = await edge.activeSpeaker(of: SFURoomID(roomID)),
                   let speaker = connectionOf[speakerKey].flatMap({ members[$0]?.peerID }) {
                    send(.speakerChanged(peerID: speaker), to: id)
                }
            case .request(.leave(let id)):
                guard let member = members.removeValue(forKey: id) else { continue }
                connectionOf[member.key] = nil
                await edge.removeSession(member.key)
            case .request(.description(let description, let id)):
                guard var member = members[id] else { continue }
                let fingerprint = description.type == .offer ? (try? SDPDocument(parsing: description.sdp))?.firstCertificateFingerprint : nil
                if description.type == .offer,
                   member.sessionEnded || (member.remoteFingerprint != nil && fingerprint != nil && fingerprint != member.remoteFingerprint) {
                    // The member's client replaced its connection (ours failed, or its own did):
                    // a new session joins the room in place of the old one.
                    logger.info("a member's new connection replaces its SFU session",
                                metadata: ["room": "\(member.roomID)", "peer": "\(member.peerID)", "ended": "\(member.sessionEnded)"])
                    connectionOf[member.key] = nil
                    await edge.removeSession(member.key)
                    guard let key = await newSession(room: member.roomID, peer: member.peerID, connection: id, connections: connections) else {
                        members[id] = nil
                        continue
                    }
                    member = Member(key: key, roomID: member.roomID, peerID: member.peerID, maximumSize: member.maximumSize)
                    connectionOf[key] = id
                    if let size = member.maximumSize { await edge.setMaximumResolution(size, for: key) }
                }
                if let fingerprint { member.remoteFingerprint = fingerprint }
                members[id] = member
                do {
                    try await edge.handleRemoteDescription(description, from: member.key)
                } catch {
                    send(.error(code: .negotiationFailed, message: "the SFU cannot apply the \(description.type.rawValue): \(error)"), to: id)
                }
            case .request(.maxResolution(let width, let height, let id)):
                guard members[id] != nil else { continue }
                let size = width.flatMap { w in height.map { SFUPictureSize(width: w, height: $0) } }
                members[id]?.maximumSize = size
                if let key = members[id]?.key { await edge.setMaximumResolution(size, for: key) }
            case .request(.candidate(let candidate, let id)):
                guard let member = members[id], !member.sessionEnded else { continue }
                do {
                    _ = try await edge.withSession(member.key) { s throws(SessionError) in try s.addRemoteCandidate(candidate, now: .now()) }
                } catch {
                    send(.error(code: .negotiationFailed, message: "the SFU cannot use the candidate: \(error)"), to: id)
                }
            case .room(.offer(let key, let description)), .room(.answer(let key, let description)):
                guard let id = connectionOf[key], var member = members[id] else { continue }
                send(description.type == .offer ? .offer(description) : .answer(description), to: id)
                if !member.described {
                    member.described = true
                    for candidate in member.pendingCandidates { send(.iceCandidate(candidate), to: id) }
                    member.pendingCandidates.removeAll()
                    members[id] = member
                }
            case .localCandidate(let key, let candidate):
                guard let id = connectionOf[key] else { continue }
                if members[id]?.described == true {
                    send(.iceCandidate(candidate), to: id)
                } else {
                    members[id]?.pendingCandidates.append(candidate)
                }
            case .sessionEnded(let key, let state):
                // The core has taken the member out of the room (the others stop receiving its
                // tracks). The member stays in the signaling room: its client notices its own
                // connection failing and offers a new one, which gets a new session.
                guard let id = connectionOf.removeValue(forKey: key), var member = members[id] else { continue }
                member.sessionEnded = true
                members[id] = member
                logger.warning("a member's SFU session ended", metadata: ["room": "\(member.roomID)", "peer": "\(member.peerID)", "state": "\(state)"])
                await edge.removeSession(key)
            case .room(.activeSpeakerChanged(let room, let key)):
                let speaker = key.flatMap { connectionOf[$0] }.flatMap { members[$0]?.peerID }
                for (id, member) in members where member.roomID == room.name { send(.speakerChanged(peerID: speaker), to: id) }
            case .room(.layerSwitch(let change)):
                let peer = connectionOf[change.subscriber].flatMap { members[$0] }
                logger.info("SFU layer switch", metadata: [
                    "room": "\(peer?.roomID ?? "-")", "peer": "\(peer?.peerID ?? "-")", "track": "\(change.track)",
                    "from": "\(change.from ?? "-")", "to": "\(change.to ?? "-")",
                    "budget": "\(change.budget.map { "\($0 / 1_000) kbit/s" } ?? "none")",
                    "max_resolution": "\(change.maximumSize.map { "\($0)" } ?? "-")"])
            case .room(.published), .room(.unpublished):
                break
            }
        }
        await edge.close()
    }
}
