import Foundation
import RTCSession

/// One message of the SwiftRTC signaling protocol (JSON over WebSocket, documented in
/// `docs/signaling-protocol.md`). The same enum models both directions: client → server
/// messages carry `target`, the server's forwarded copies carry `from` instead.
///
/// WebRTC leaves signaling to the application (RFC 8829 §3); this is ours. Descriptions and
/// candidates are the API's own Codable types, ``SessionDescription`` (`{"type":"offer","sdp":…}`,
/// the browser's `RTCSessionDescriptionInit`) and ``ICECandidateInit`` (`RTCIceCandidateInit`),
/// so what `PeerConnection` produces is what goes on the wire.
public enum SignalingMessage: Sendable, Hashable {
    /// Client → server: join `roomID` as `peerID`; `token` is required when the server checks
    /// join tokens (`SignalingJoinToken` in RTCSignalingServer mints and checks them); `mode`
    /// says whether the room is a mesh (members connect to each other) or an SFU room (the
    /// server is every member's only peer). The first member's mode is the room's.
    case join(peerID: String, roomID: String, token: String? = nil, mode: SignalingRoomMode = .mesh)
    /// Client → server: leave the current room (the connection stays open).
    case leave
    /// An SDP offer: `target` when sent by a client, `from` when forwarded by the server. In an
    /// SFU room neither is set: the member and the server negotiate with each other.
    case offer(SessionDescription, target: String? = nil, from: String? = nil)
    /// An SDP answer: `target` when sent by a client, `from` when forwarded by the server.
    case answer(SessionDescription, target: String? = nil, from: String? = nil)
    /// A trickled ICE candidate: `target` when sent by a client, `from` when forwarded.
    case iceCandidate(ICECandidateInit, target: String? = nil, from: String? = nil)
    /// Server → joiner: the peers already in the room (the joiner offers to each of them).
    case roomPeers(roomID: String, peers: [String])
    /// Server → room members: a peer joined.
    case peerJoined(peerID: String)
    /// Server → room members: a peer left or disconnected.
    case peerLeft(peerID: String)
    /// Server → client: a request was refused; the connection stays open unless followed by a close.
    case error(code: SignalingErrorCode, message: String)
    /// Server → every client: the server is shutting down; the connection closes next.
    case shutdown(message: String)
    /// Server → members of an SFU room: the room's dominant speaker (from the members' audio
    /// levels, RFC 6464) is now `peerID`; nil when nobody speaks any more.
    case speakerChanged(peerID: String?)
    /// Client → server, in an SFU room: send me simulcast layers no larger than `width` ×
    /// `height` pixels (both nil: any size again). The server picks, per published track, the
    /// best layer within this and the member's bandwidth.
    case maxResolution(width: Int?, height: Int?)
    /// Server → joiner (cluster mode): SFU room `roomID` is served by another server instance,
    /// its home; join it there, at the WebSocket URL `url` (`docs/cluster.md`). Nothing was
    /// joined here; the connection stays open.
    case redirect(roomID: String, url: String)

    /// The value of the JSON `type` field for this message.
    public var type: String {
        switch self {
        case .join: "join"
        case .leave: "leave"
        case .offer: "offer"
        case .answer: "answer"
        case .iceCandidate: "ice_candidate"
        case .roomPeers: "room_peers"
        case .peerJoined: "peer_joined"
        case .peerLeft: "peer_left"
        case .error: "error"
        case .shutdown: "shutdown"
        case .speakerChanged: "speaker_changed"
        case .maxResolution: "max_resolution"
        case .redirect: "redirect"
        }
    }

    /// Every `type` value of the protocol.
    public static let allTypes: Set<String> = [
        "join", "leave", "offer", "answer", "ice_candidate", "room_peers", "peer_joined", "peer_left", "error", "shutdown",
        "speaker_changed", "max_resolution", "redirect",
    ]

    /// The `type` values a client may send to the server.
    public static let clientTypes: Set<String> = ["join", "leave", "offer", "answer", "ice_candidate", "max_resolution"]

    /// `true` for the messages the server forwards between peers (offer, answer, ice_candidate).
    public var isRelayed: Bool {
        switch self {
        case .offer, .answer, .iceCandidate: true
        default: false
        }
    }

    /// Encodes the message as compact JSON text.
    public func jsonString() -> String {
        // Encoding plain strings, ints and arrays cannot fail.
        let data = (try? SignalingMessage.encoder.encode(self)) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self)
    }

    /// Decodes one message from JSON, with a typed error saying what was wrong:
    /// `.malformedJSON` (not a JSON object with a string `type`), `.unknownType`, or
    /// `.invalidMessage` (a known type with missing or mistyped fields).
    public static func decode(_ data: Data) throws(SignalingProtocolError) -> SignalingMessage {
        let probe: TypeProbe
        do {
            probe = try decoder.decode(TypeProbe.self, from: data)
        } catch {
            throw SignalingProtocolError(.malformedJSON, "not a JSON object: \(describe(error))")
        }
        guard let type = probe.type else {
            throw SignalingProtocolError(.malformedJSON, "the object has no string \"type\" field")
        }
        guard allTypes.contains(type) else {
            throw SignalingProtocolError(.unknownType, "unknown message type \"\(type.prefix(64))\"")
        }
        do {
            return try decoder.decode(SignalingMessage.self, from: data)
        } catch let error as SignalingProtocolError {
            throw error
        } catch {
            throw SignalingProtocolError(.invalidMessage, "invalid \"\(type)\" message: \(describe(error))")
        }
    }

    /// Decodes one message from JSON text.
    public static func decode(_ text: String) throws(SignalingProtocolError) -> SignalingMessage {
        try decode(Data(text.utf8))
    }

    private struct TypeProbe: Decodable {
        var type: String?
        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            type = try? container.decodeIfPresent(String.self, forKey: .type)
        }
        enum CodingKeys: String, CodingKey { case type }
    }

    private static let decoder = JSONDecoder()
    private static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()

    private static func describe(_ error: any Error) -> String {
        switch error as? DecodingError {
        case .keyNotFound(let key, let context)?:
            return "missing field \"\(path(context.codingPath + [key]))\""
        case .typeMismatch(_, let context)?, .valueNotFound(_, let context)?:
            return "field \"\(path(context.codingPath))\" has the wrong type"
        case .dataCorrupted(let context)?:
            return context.codingPath.isEmpty ? "invalid JSON" : "field \"\(path(context.codingPath))\" is invalid"
        default:
            return "\(error)"
        }
    }

    private static func path(_ keys: [any CodingKey]) -> String {
        keys.map { $0.intValue.map(String.init) ?? $0.stringValue }.joined(separator: ".")
    }
}

extension SignalingMessage: Codable {
    private enum CodingKeys: String, CodingKey {
        case type, target, from, offer, answer, candidate, peers, code, message, token, mode, width, height, url
        case peerID = "peer_id"
        case roomID = "room_id"
    }

    /// Decodes from the protocol's JSON shape (`type` selects the case).
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let type = try c.decode(String.self, forKey: .type)
        switch type {
        case "join":
            self = .join(peerID: try c.decode(String.self, forKey: .peerID),
                         roomID: try c.decode(String.self, forKey: .roomID),
                         token: try c.decodeIfPresent(String.self, forKey: .token),
                         mode: try c.decodeIfPresent(SignalingRoomMode.self, forKey: .mode) ?? .mesh)
        case "leave":
            self = .leave
        case "offer":
            self = .offer(try c.decode(SessionDescription.self, forKey: .offer),
                          target: try c.decodeIfPresent(String.self, forKey: .target),
                          from: try c.decodeIfPresent(String.self, forKey: .from))
        case "answer":
            self = .answer(try c.decode(SessionDescription.self, forKey: .answer),
                           target: try c.decodeIfPresent(String.self, forKey: .target),
                           from: try c.decodeIfPresent(String.self, forKey: .from))
        case "ice_candidate":
            self = .iceCandidate(try c.decode(ICECandidateInit.self, forKey: .candidate),
                                 target: try c.decodeIfPresent(String.self, forKey: .target),
                                 from: try c.decodeIfPresent(String.self, forKey: .from))
        case "room_peers":
            self = .roomPeers(roomID: try c.decodeIfPresent(String.self, forKey: .roomID) ?? "",
                              peers: try c.decode([String].self, forKey: .peers))
        case "peer_joined":
            self = .peerJoined(peerID: try c.decode(String.self, forKey: .peerID))
        case "peer_left":
            self = .peerLeft(peerID: try c.decode(String.self, forKey: .peerID))
        case "error":
            let raw = try c.decode(String.self, forKey: .code)
            self = .error(code: SignalingErrorCode(rawValue: raw) ?? .unknown,
                          message: try c.decodeIfPresent(String.self, forKey: .message) ?? "")
        case "shutdown":
            self = .shutdown(message: try c.decodeIfPresent(String.self, forKey: .message) ?? "")
        case "speaker_changed":
            self = .speakerChanged(peerID: try c.decodeIfPresent(String.self, forKey: .peerID))
        case "max_resolution":
            let width = try c.decodeIfPresent(Int.self, forKey: .width)
            let height = try c.decodeIfPresent(Int.self, forKey: .height)
            guard (width == nil) == (height == nil) else {
                throw SignalingProtocolError(.invalidMessage, "\"max_resolution\" needs both \"width\" and \"height\", or neither")
            }
            if let width, let height, !(1...16_384).contains(width) || !(1...16_384).contains(height) {
                throw SignalingProtocolError(.invalidMessage, "\"max_resolution\" width and height must be 1 to 16384 pixels")
            }
            self = .maxResolution(width: width, height: height)
        case "redirect":
            self = .redirect(roomID: try c.decode(String.self, forKey: .roomID), url: try c.decode(String.self, forKey: .url))
        default:
            throw SignalingProtocolError(.unknownType, "unknown message type \"\(type.prefix(64))\"")
        }
    }

    /// Encodes to the protocol's JSON shape.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(type, forKey: .type)
        switch self {
        case .join(let peerID, let roomID, let token, let mode):
            try c.encode(peerID, forKey: .peerID)
            try c.encode(roomID, forKey: .roomID)
            try c.encodeIfPresent(token, forKey: .token)
            // A mesh join keeps the original wire form.
            if mode != .mesh { try c.encode(mode, forKey: .mode) }
        case .leave:
            break
        case .offer(let description, let target, let from):
            try c.encode(description, forKey: .offer)
            try c.encodeIfPresent(target, forKey: .target)
            try c.encodeIfPresent(from, forKey: .from)
        case .answer(let description, let target, let from):
            try c.encode(description, forKey: .answer)
            try c.encodeIfPresent(target, forKey: .target)
            try c.encodeIfPresent(from, forKey: .from)
        case .iceCandidate(let candidate, let target, let from):
            try c.encode(candidate, forKey: .candidate)
            try c.encodeIfPresent(target, forKey: .target)
            try c.encodeIfPresent(from, forKey: .from)
        case .roomPeers(let roomID, let peers):
            try c.encode(roomID, forKey: .roomID)
            try c.encode(peers, forKey: .peers)
        case .peerJoined(let peerID), .peerLeft(let peerID):
            try c.encode(peerID, forKey: .peerID)
        case .error(let code, let message):
            try c.encode(code.rawValue, forKey: .code)
            try c.encode(message, forKey: .message)
        case .shutdown(let message):
            try c.encode(message, forKey: .message)
        case .speakerChanged(let peerID):
            try c.encodeIfPresent(peerID, forKey: .peerID)
        case .maxResolution(let width, let height):
            try c.encodeIfPresent(width, forKey: .width)
            try c.encodeIfPresent(height, forKey: .height)
        case .redirect(let roomID, let url):
            try c.encode(roomID, forKey: .roomID)
            try c.encode(url, forKey: .url)
        }
    }
}

/// How a signaling room connects its members (`docs/signaling-protocol.md`).
public enum SignalingRoomMode: String, Sendable, Hashable, Codable, CaseIterable {
    /// Every member holds a peer connection to every other member (the default).
    case mesh
    /// Every member holds one peer connection, to the server's SFU, which forwards each
    /// member's tracks to the others and negotiates with each member itself.
    case sfu
}
