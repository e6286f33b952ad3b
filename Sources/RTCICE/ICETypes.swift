import NIOCore
import RTCCore

/// The agent's role (RFC 8445 §6.1.1).
public enum ICERole: Sendable, Hashable {
    /// Nominates the selected pair.
    case controlling
    /// Follows the controlling agent's nomination.
    case controlled
}

/// The state of the ICE transport (W3C `RTCIceConnectionState`, WebRTC §5.6.4). The one set
/// of ICE states: the agent reports it and the session and API expose it unchanged.
public enum ICEConnectionState: String, Sendable, Hashable {
    /// Gathering or waiting for remote candidates: nothing to check yet.
    case new
    /// Connectivity checks are running (RFC 8445 §6.1.4).
    case checking
    /// A pair is selected and consent is fresh; checks may continue.
    case connected
    /// Checks are done and a pair is selected (the agent does not report this yet: it keeps
    /// checking for better pairs while connected).
    case completed
    /// Nothing was heard from the peer on the selected pair for `disconnectedTimeout` (5 s):
    /// consent checks go out every second now, and the first answer brings `connected` back.
    case disconnected
    /// Every pair failed, no pair became valid within `checkingTimeout`, or consent expired on
    /// the selected pair (RFC 7675 §5.1; final until an ICE restart).
    case failed
    /// `close()` was called.
    case closed
}

/// Candidate gathering progress (RFC 8445 §5.1.1, W3C `RTCIceGatheringState`).
public enum ICEGatheringState: String, Sendable, Hashable {
    /// Not started.
    case new
    /// Host candidates are known; server-reflexive ones are being learned.
    case gathering
    /// All candidates are known (signal `end-of-candidates`, RFC 8838 §8.2).
    case complete
}

/// The ICE username fragment and password of one agent (RFC 8445 §5.3, RFC 8839 §5.4).
public struct ICECredentials: Hashable, Sendable {
    /// `ice-ufrag`, at least 4 ice-chars.
    public var ufrag: String
    /// `ice-pwd`, at least 22 ice-chars.
    public var password: String

    /// Creates credentials.
    public init(ufrag: String, password: String) {
        self.ufrag = ufrag
        self.password = password
    }

    /// Fresh random credentials: 8-character ufrag, 24-character password (RFC 8839 §5.4).
    public static func random<G: RandomNumberGenerator>(using rng: inout G) -> ICECredentials {
        // 64 ice-chars, so each is exactly 6 random bits: ten from one 64-bit draw (a draw per
        // character made 32 `getrandom` system calls per credential pair with the system
        // generator). 48 bits in the ufrag and 144 in the password (RFC 8445 §5.3: 24 and 128).
        let chars = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
        func word(_ n: Int) -> String {
            var bytes: [UInt8] = []
            bytes.reserveCapacity(n)
            var bits: UInt64 = 0
            var left = 0
            while bytes.count < n {
                if left == 0 { bits = rng.next(); left = 10 }
                bytes.append(chars[Int(bits & 63)])
                bits >>= 6
                left -= 1
            }
            return String(decoding: bytes, as: UTF8.self)
        }
        return ICECredentials(ufrag: word(8), password: word(24))
    }
}

/// What the agent reports (drain with `ICEAgent.pollEvent()`).
public enum ICEEvent: Sendable, Hashable {
    /// A local candidate to signal to the peer (RFC 8838 §8.1).
    case candidateGathered(ICECandidate)
    /// Gathering state changed; `.complete` means signal end-of-candidates.
    case gatheringStateChanged(ICEGatheringState)
    /// Connection state changed.
    case connectionStateChanged(ICEConnectionState)
    /// The pair application data uses changed (RFC 8445 §8.1.1).
    case selectedPairChanged(ICECandidatePair)
    /// The first pair of this ICE generation passed its check while none is selected yet:
    /// application data may go on it now (RFC 8445 §12.1: an agent may send on any valid pair
    /// before selection); `selectedPairChanged` (and the state `connected`) follows once the
    /// controlling agent nominates.
    case validPairFound(ICECandidatePair)
    /// The role changed after a role conflict (RFC 8445 §7.3.1.1).
    case roleChanged(ICERole)
    /// A TURN server gave no relayed candidate (wrong or expired credentials, unreachable,
    /// refused), or a relay was lost (W3C `icecandidateerror`). Gathering goes on without it.
    case candidateError(ICECandidateError)
}

/// Agent configuration.
public struct ICEConfiguration: Sendable {
    /// STUN servers for server-reflexive candidates (RFC 8445 §5.1.1.2).
    public var stunServers: [TransportAddress] = []
    /// TURN servers (over UDP) for relayed candidates (RFC 8445 §5.1.1.2, RFC 8656).
    public var relayServers: [ICERelayServer] = []
    /// Relayed candidates only (W3C `iceTransportPolicy = "relay"`): host and server-reflexive
    /// candidates are neither reported nor paired; the bound addresses only carry TURN.
    /// Gathering that ends without a relayed candidate fails the connection.
    public var relayOnly: Bool = false
    /// Initial retransmission timeout of TURN requests (RFC 8489 §6.2.1; doubled each time).
    public var relayRTO: TimeAmount = .milliseconds(250)
    /// Transmissions of a TURN request before the server is given up (RFC 8489 Rc). With the
    /// defaults an unreachable server is given up after about 10 s (the last wait is 8 RTO).
    public var relayTransmissions: Int = 6
    /// Whether loopback addresses become host candidates (RFC 8445 §5.1.1.1 says not to; tests and
    /// loopback-only hosts need them).
    public var includeLoopback: Bool = false
    /// Whether IPv6 link-local addresses become host candidates.
    public var includeLinkLocal: Bool = false
    /// Ta: pacing between connectivity checks (RFC 8445 §14.2).
    public var pacing: TimeAmount = .milliseconds(50)
    /// Initial retransmission timeout of a check (RFC 8445 §14.3; doubled per retransmission).
    public var checkRTO: TimeAmount = .milliseconds(250)
    /// Maximum RTO of a check.
    public var maxCheckRTO: TimeAmount = .milliseconds(1600)
    /// Transmissions of one check before its pair fails (RFC 8489 Rc).
    public var checkTransmissions: Int = 7
    /// Initial RTO of server-reflexive gathering requests (RFC 8489 §6.2.1).
    public var gatheringRTO: TimeAmount = .milliseconds(250)
    /// Transmissions of a gathering request before the server is given up.
    public var gatheringTransmissions: Int = 5
    /// How long the controlling agent waits at most, after the first valid pair, for checks on
    /// better pairs before nominating (regular nomination, RFC 8445 §8.1.1). When no pending
    /// check could beat the best valid pair it nominates at once.
    public var nominationDelay: TimeAmount = .milliseconds(300)
    /// Mean interval of consent checks on the selected pair (RFC 7675 §5.1: 5 s, ±20 %).
    public var consentInterval: TimeAmount = .seconds(5)
    /// Consent expires after this long without a response (RFC 7675 §5.1: 30 s).
    public var consentTimeout: TimeAmount = .seconds(30)
    /// The selected pair is `disconnected` after this long without a consent response or a
    /// check from the peer. From half this age on, consent checks go out every second (at most
    /// a fifth of it), so an idle but live peer is always heard in time.
    public var disconnectedTimeout: TimeAmount = .seconds(5)
    /// Checking that selects no pair within this long fails, with or without end-of-candidates.
    public var checkingTimeout: TimeAmount = .seconds(30)
    /// SOFTWARE attribute value, or `nil` for none.
    public var software: String? = nil
    /// Local credentials; random when `nil`.
    public var localCredentials: ICECredentials? = nil

    /// The defaults.
    public init() {}
}

/// Counters of what the agent dropped or rejected (requirement: bad input is counted).
public struct ICEAgentStatistics: Sendable, Hashable {
    /// Datagrams that started like STUN but failed to parse.
    public var malformedDropped = 0
    /// STUN messages with a missing or wrong FINGERPRINT where one is required (RFC 8445 §7.3).
    public var badFingerprintDropped = 0
    /// Requests answered 400/401 for a missing or wrong USERNAME or MESSAGE-INTEGRITY.
    public var unauthenticatedRejected = 0
    /// Responses dropped for a wrong MESSAGE-INTEGRITY.
    public var badIntegrityResponsesDropped = 0
    /// Requests answered 420 for unknown comprehension-required attributes.
    public var unknownAttributeRejected = 0
    /// Responses that matched no outstanding transaction.
    public var unmatchedResponsesDropped = 0
    /// Non-STUN datagrams handed to `handle(_:now:)` (the edge or session demultiplexes them first).
    public var unknownSourceDropped = 0
    /// Role conflicts seen (requests answered 487 or role switches).
    public var roleConflicts = 0
    /// Connectivity check requests sent (first transmissions).
    public var checksSent = 0
    /// Check requests received.
    public var checksReceived = 0
    /// TURN servers that gave no relayed candidate, or relays lost (`candidateError` events).
    public var relayGatheringFailures = 0
    /// Failed TURN allocations tried again at an ICE restart.
    public var relayRetries = 0
    /// Datagrams on a relayed candidate the relay could not carry (its allocation is gone).
    public var relayDropped = 0
    /// CreatePermission or ChannelBind requests the TURN server refused or never answered.
    public var relayPermissionFailures = 0
}
