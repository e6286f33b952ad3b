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
    }

    /// One member as the SFU task knows it.
    private struct Member {
        var key: SFUSessionKey
        var roomID: String
        var peerID: String
        /// The server's candidates wait until the member has one of its descriptions.
        var described = false
        var pendingCandidates: [ICECandidateInit] = []
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
            if case .ice(.localCandidate(let candidate)) = tagged.event { work.yield(.localCandidate(tagged.session, candidate)) }
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

    /// The session configuration of every member's session at the server: the rooms' codecs only.
    private var sessionConfiguration: SessionConfiguration {
        var session = SessionConfiguration()
        session.mediaCapabilities.videoCodecs = JSEPCapabilities.default.videoCodecs.filter {
            RTPCodec(encodingName: $0.name) == configuration.rooms.videoCodec
        }
        session.mediaCapabilities.audioCodecs = JSEPCapabilities.default.audioCodecs.filter {
            RTPCodec(encodingName: $0.name) == configuration.rooms.audioCodec
        }
        return session
    }

    /// Performs requests and room events until cancelled (the server's shutdown), then closes the edge.
    func run(connections: SignalingConnections) async {
        var members: [SignalingConnectionID: Member] = [:]
        var connectionOf: [SFUSessionKey: SignalingConnectionID] = [:]
        func send(_ message: SignalingMessage, to id: SignalingConnectionID) { connections.deliver(message, to: id) }

        for await item in queue {
            switch item {
            case .request(.join(let id, let roomID, let peerID)):
                let key = await edge.addSession(RTCSession(configuration: sessionConfiguration, certificate: certificate))
                do {
                    try await edge.join(key, room: SFURoomID(roomID), streamID: peerID)
                } catch {
                    logger.warning("SFU refused a member", metadata: ["room": "\(roomID)", "peer": "\(peerID)", "error": "\(error)"])
                    await edge.removeSession(key)
                    let code: SignalingErrorCode = switch error {
                    case .roomFull: .roomFull
                    default: .negotiationFailed
                    }
                    send(.error(code: code, message: "the SFU cannot take \"\(peerID)\" into room \"\(roomID)\": \(error)"), to: id)
                    continue
                }
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
                guard let member = members[id] else { continue }
                do {
                    try await edge.handleRemoteDescription(description, from: member.key)
                } catch {
                    send(.error(code: .negotiationFailed, message: "the SFU cannot apply the \(description.type.rawValue): \(error)"), to: id)
                }
            case .request(.candidate(let candidate, let id)):
                guard let member = members[id] else { continue }
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
            case .room(.activeSpeakerChanged(let room, let key)):
                let speaker = key.flatMap { connectionOf[$0] }.flatMap { members[$0]?.peerID }
                for (id, member) in members where member.roomID == room.name { send(.speakerChanged(peerID: speaker), to: id) }
            case .room(.published), .room(.unpublished):
                break
            }
        }
        await edge.close()
    }
}
