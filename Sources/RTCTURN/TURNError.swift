import RTCCore
import RTCSTUN

/// Why a TURN operation failed (RFC 8656 §19 error codes, RFC 8489 §6.2.1 timeouts, §9.2.5
/// authentication). Error responses are mapped to a case per code so callers can react
/// (e.g. retry elsewhere on `.allocationQuotaReached`, fix credentials on `.unauthenticated`).
public enum TURNError: Error, Hashable, Sendable, CustomStringConvertible {
    /// 300 Try Alternate (RFC 8489 §10): the server redirects to ALTERNATE-SERVER.
    case tryAlternate(TransportAddress?)
    /// 400 Bad Request (RFC 8489 §14.8).
    case badRequest(STUNErrorCode)
    /// 401 Unauthenticated to a request that carried credentials (RFC 8489 §9.2.5): the
    /// user name or password is wrong (or the REST credential expired).
    case unauthenticated(STUNErrorCode)
    /// 403 Forbidden (RFC 8656 §19): e.g. the peer address is not allowed.
    case forbidden(STUNErrorCode)
    /// 420 Unknown Attribute (RFC 8489 §14.8), with the attributes the server did not know.
    case unknownAttribute([STUNAttributeType])
    /// 437 Allocation Mismatch (RFC 8656 §19): the allocation does not exist (any more) or
    /// already exists for this 5-tuple.
    case allocationMismatch
    /// 438 Stale Nonce repeated after fresh nonces (RFC 8489 §9.2.5): the client gave up.
    case staleNonceRepeated
    /// 440 Address Family not Supported (RFC 8656 §19).
    case addressFamilyNotSupported
    /// 441 Wrong Credentials (RFC 8656 §19): not the credentials the allocation was made with.
    case wrongCredentials
    /// 442 Unsupported Transport Protocol (RFC 8656 §19).
    case unsupportedTransportProtocol
    /// 443 Peer Address Family Mismatch (RFC 8656 §19).
    case peerAddressFamilyMismatch
    /// 486 Allocation Quota Reached (RFC 8656 §19).
    case allocationQuotaReached
    /// 508 Insufficient Capacity (RFC 8656 §19).
    case insufficientCapacity
    /// Any other error response (e.g. 500 Server Error).
    case serverError(STUNErrorCode)
    /// No response after all retransmissions (RFC 8489 §6.2.1: Rc sends, then Rm × RTO).
    case timedOut(method: STUNMethod)
    /// A response that authenticated correctly but lacks or garbles a required attribute
    /// (e.g. an Allocate success without XOR-RELAYED-ADDRESS, RFC 8656 §7.3).
    case malformedResponse(method: STUNMethod, reason: String)
    /// A 401 challenge without REALM or NONCE (RFC 8489 §9.2.5).
    case missingRealmOrNonce
    /// The allocation's lifetime passed without a successful Refresh (RFC 8656 §7).
    case allocationExpired
    /// The operation needs an allocation and there is none (RFC 8656 §7).
    case notAllocated
    /// No permission was requested for this peer IP before sending (RFC 8656 §9).
    case noPermission(IPAddress)
    /// All channel numbers 0x4000–0x4FFF are in use (RFC 8656 §12).
    case channelNumbersExhausted
    /// The payload does not fit a ChannelData message or DATA attribute (at most 65 535 bytes).
    case payloadTooLarge(Int)
    /// The TCP or TLS connection to the server could not be opened, failed its handshake or
    /// closed (RFC 8656 §3.1: an allocation over a stream lives and dies with it); the edge's
    /// reason.
    case connectionClosed(String)

    /// Maps an error response's ERROR-CODE to a case (RFC 8656 §19, RFC 8489 §14.8). The
    /// client handles a 401 challenge and 438 before this, so a 401 here means wrong credentials.
    static func from(_ code: STUNErrorCode, response: STUNMessage) -> TURNError {
        switch code.code {
        case 300:
            let alternate = try? response.attribute(.alternateServer)?.address(xor: false, transactionID: response.transactionID)
            return .tryAlternate(alternate)
        case 400: return .badRequest(code)
        case 401: return .unauthenticated(code)
        case 403: return .forbidden(code)
        case 420: return .unknownAttribute(response.unknownAttributes ?? [])
        case 437: return .allocationMismatch
        case 438: return .staleNonceRepeated
        case 440: return .addressFamilyNotSupported
        case 441: return .wrongCredentials
        case 442: return .unsupportedTransportProtocol
        case 443: return .peerAddressFamilyMismatch
        case 486: return .allocationQuotaReached
        case 508: return .insufficientCapacity
        default: return .serverError(code)
        }
    }

    /// A one-line explanation.
    public var description: String {
        switch self {
        case .tryAlternate(let a): return "TURN: 300 Try Alternate (\(a.map(\.description) ?? "no ALTERNATE-SERVER"))"
        case .badRequest(let c): return "TURN: \(c)"
        case .unauthenticated(let c): return "TURN: \(c): wrong user name or password"
        case .forbidden(let c): return "TURN: \(c)"
        case .unknownAttribute(let t): return "TURN: 420 Unknown Attribute \(t)"
        case .allocationMismatch: return "TURN: 437 Allocation Mismatch"
        case .staleNonceRepeated: return "TURN: 438 Stale Nonce repeated"
        case .addressFamilyNotSupported: return "TURN: 440 Address Family not Supported"
        case .wrongCredentials: return "TURN: 441 Wrong Credentials"
        case .unsupportedTransportProtocol: return "TURN: 442 Unsupported Transport Protocol"
        case .peerAddressFamilyMismatch: return "TURN: 443 Peer Address Family Mismatch"
        case .allocationQuotaReached: return "TURN: 486 Allocation Quota Reached"
        case .insufficientCapacity: return "TURN: 508 Insufficient Capacity"
        case .serverError(let c): return "TURN: \(c)"
        case .timedOut(let m): return "TURN: \(m) request timed out"
        case .malformedResponse(let m, let r): return "TURN: malformed \(m) response: \(r)"
        case .missingRealmOrNonce: return "TURN: 401 challenge without REALM or NONCE"
        case .allocationExpired: return "TURN: allocation expired"
        case .notAllocated: return "TURN: no allocation"
        case .noPermission(let ip): return "TURN: no permission for \(ip)"
        case .channelNumbersExhausted: return "TURN: no free channel number"
        case .payloadTooLarge(let n): return "TURN: payload of \(n) bytes is too large"
        case .connectionClosed(let reason): return "TURN: the connection to the server closed: \(reason)"
        }
    }
}
