import NIOCore
import RTCCore
import RTCSTUN

/// The transport between a `TURNClient` and its server (RFC 8656 §3.1). Peers are always
/// reached over UDP from the relayed address (REQUESTED-TRANSPORT UDP).
public enum TURNTransport: Hashable, Sendable {
    /// Datagrams: requests are retransmitted (RFC 8489 §6.2.1).
    case udp
    /// A TCP (or TLS) stream: the edge frames it with `TURNStreamFramer`; requests are sent
    /// once and time out after `reliableTransactionTimeout` (RFC 8489 §6.2.2), ChannelData is
    /// padded to a multiple of 4 bytes (RFC 8656 §12.5).
    case stream
}

/// How a `TURNClient` talks to its server (RFC 8656 over UDP or a stream, RFC 8489 §6.2 timers).
public struct TURNClientConfiguration: Sendable {
    /// The TURN server's address (RFC 8656 §3.1).
    public var server: TransportAddress
    /// Datagrams (UDP) or a stream (TCP/TLS) to the server.
    public var transport: TURNTransport
    /// Ti: how long a request over a stream waits for its response (RFC 8489 §6.2.2: 39.5 s).
    public var reliableTransactionTimeout: TimeAmount
    /// The long-term credential user name (RFC 8489 §9.2), e.g. a REST user name.
    public var username: String
    /// The long-term credential password (RFC 8489 §9.2).
    public var password: String
    /// The LIFETIME to request in Allocate and Refresh, in seconds (RFC 8656 §7.1);
    /// `nil` lets the server choose (usually 600 s).
    public var requestedLifetime: UInt32?
    /// SOFTWARE sent in requests (RFC 8489 §14.14); `nil` sends none.
    public var software: String?
    /// The initial retransmission timeout RTO (RFC 8489 §6.2.1: 500 ms recommended).
    public var initialRTO: TimeAmount
    /// Rc: how many times a request is sent in all (RFC 8489 §6.2.1: 7).
    public var maxTransmissions: Int
    /// Rm: after the last send, wait Rm × RTO before giving up (RFC 8489 §6.2.1: 16).
    public var lastWaitMultiplier: Int
    /// How long after installing a permission it is refreshed (RFC 8656 §9: permissions last
    /// 300 s; 240 s leaves a minute for retransmissions).
    public var permissionRefreshInterval: TimeAmount
    /// How long after binding a channel it is refreshed (RFC 8656 §12: bindings last 600 s).
    public var channelRefreshInterval: TimeAmount
    /// How many 438 Stale Nonce answers in a row one operation tolerates (RFC 8489 §9.2.5).
    public var maxStaleNonceRetries: Int

    /// Creates a configuration with the defaults of RFC 8489 §6.2.1 and RFC 8656 §9, §12.
    public init(server: TransportAddress, username: String, password: String, requestedLifetime: UInt32? = nil,
                software: String? = "SwiftRTC", initialRTO: TimeAmount = .milliseconds(500), maxTransmissions: Int = 7,
                lastWaitMultiplier: Int = 16, permissionRefreshInterval: TimeAmount = .seconds(240),
                channelRefreshInterval: TimeAmount = .seconds(540), maxStaleNonceRetries: Int = 3,
                transport: TURNTransport = .udp, reliableTransactionTimeout: TimeAmount = .milliseconds(39_500)) {
        self.server = server
        self.transport = transport
        self.reliableTransactionTimeout = reliableTransactionTimeout
        self.username = username
        self.password = password
        self.requestedLifetime = requestedLifetime
        self.software = software
        self.initialRTO = initialRTO
        self.maxTransmissions = maxTransmissions
        self.lastWaitMultiplier = lastWaitMultiplier
        self.permissionRefreshInterval = permissionRefreshInterval
        self.channelRefreshInterval = channelRefreshInterval
        self.maxStaleNonceRetries = maxStaleNonceRetries
    }
}

/// Where a `TURNClient` is in the allocation's life (RFC 8656 §7).
public enum TURNClientState: Hashable, Sendable {
    /// Created; `allocate(now:)` not called yet.
    case idle
    /// Allocate sent (including the 401 challenge and its authenticated retry).
    case allocating
    /// The allocation exists; data can flow.
    case allocated
    /// Refresh with LIFETIME 0 sent (RFC 8656 §7.2).
    case closing
    /// Deallocated (or never allocated and closed).
    case closed
    /// Failed; no more requests are sent.
    case failed(TURNError)
}

/// A successful allocation (RFC 8656 §7.3): what ICE needs for a relayed candidate
/// (RFC 8445 §5.1.1.2: the relayed address is the candidate, the server-reflexive one its
/// related address).
public struct TURNAllocation: Hashable, Sendable {
    /// XOR-RELAYED-ADDRESS: the address peers send to.
    public var relayedAddress: TransportAddress
    /// XOR-MAPPED-ADDRESS: our address as the server sees it (RFC 8656 §7.3), if sent.
    public var serverReflexiveAddress: TransportAddress?
    /// The allocation's lifetime as granted by the server (LIFETIME, RFC 8656 §18.2).
    public var lifetime: TimeAmount

    /// Creates an allocation record (RFC 8656 §7.3).
    public init(relayedAddress: TransportAddress, serverReflexiveAddress: TransportAddress?, lifetime: TimeAmount) {
        self.relayedAddress = relayedAddress
        self.serverReflexiveAddress = serverReflexiveAddress
        self.lifetime = lifetime
    }
}

/// Something the client reports (RFC 8656 §7–§12).
public enum TURNEvent: Hashable, Sendable {
    /// The allocation succeeded (RFC 8656 §7.3): a relayed candidate can be announced.
    case allocated(TURNAllocation)
    /// A Refresh succeeded with this lifetime (RFC 8656 §7.3).
    case refreshed(lifetime: TimeAmount)
    /// A CreatePermission succeeded for the first time for this peer IP (RFC 8656 §9.3).
    case permissionInstalled(IPAddress)
    /// A CreatePermission (first or refresh) failed; the permission is dropped (RFC 8656 §9.3).
    case permissionFailed(IPAddress, TURNError)
    /// A ChannelBind succeeded for the first time (RFC 8656 §12.3): sends now use ChannelData.
    case channelBound(channel: UInt16, peer: TransportAddress)
    /// A ChannelBind (first or refresh) failed; sends fall back to Send indications.
    case channelBindFailed(peer: TransportAddress, TURNError)
    /// The allocation failed or was lost; the client is in `.failed` (RFC 8656 §7).
    case failed(TURNError)
    /// The allocation was released by `close(now:)` (RFC 8656 §7.2), or closing timed out.
    case closed
    /// A peer sent data through the relay (RFC 8656 §11.6 Data indication, §12.5 ChannelData).
    case peerData(TURNPeerData)
}

/// Application data a peer sent through the relay (RFC 8656 §11.6 Data indication,
/// §12.5 ChannelData). `payload` is a slice of the received buffer (no copy).
public struct TURNPeerData: Hashable, Sendable {
    /// The peer's address (XOR-PEER-ADDRESS or the channel's peer).
    public var peer: TransportAddress
    /// The data.
    public var payload: ByteBuffer
    /// The channel it came on, or `nil` for a Data indication.
    public var channel: UInt16?

    /// Creates a record of peer data (RFC 8656 §11.6, §12.5).
    public init(peer: TransportAddress, payload: ByteBuffer, channel: UInt16?) {
        self.peer = peer
        self.payload = payload
        self.channel = channel
    }
}

/// Counters of input the client dropped, and of retransmissions (RFC 8489 §6.2.1).
public struct TURNClientStatistics: Hashable, Sendable {
    /// Requests sent again after an RTO expired (RFC 8489 §6.2.1).
    public var retransmissions = 0
    /// Responses whose transaction id we did not send or already finished (RFC 8489 §6.3.3).
    public var unknownTransactions = 0
    /// Responses discarded because MESSAGE-INTEGRITY(-SHA256) was wrong or missing (RFC 8489 §9.2.5).
    public var unauthenticatedResponses = 0
    /// Datagrams that were neither valid STUN (RFC 8489 §6.3) nor valid ChannelData (RFC 8656 §12.5).
    public var malformedDatagrams = 0
    /// Datagrams from an address other than the server (RFC 8656 §12.5, §11.6).
    public var foreignSources = 0
    /// ChannelData on a channel we did not bind (RFC 8656 §12.5).
    public var unknownChannels = 0
    /// Data indications without XOR-PEER-ADDRESS or DATA (RFC 8656 §11.6), and other ignored STUN messages.
    public var ignoredMessages = 0

    /// All zero (nothing dropped yet).
    public init() {}
}

extension STUNAttribute {
    /// REQUESTED-TRANSPORT = UDP (17) (RFC 8656 §18.8).
    static let requestedTransportUDP = STUNAttribute(type: .requestedTransport, value: [17, 0, 0, 0])

    /// CHANNEL-NUMBER (RFC 8656 §18.1): the number and 2 bytes RFFU.
    static func channelNumber(_ channel: UInt16) -> STUNAttribute {
        STUNAttribute(type: .channelNumber, value: [UInt8(channel >> 8), UInt8(channel & 0xff), 0, 0])
    }

    /// DATA (RFC 8656 §18.4).
    static func data(_ payload: ByteBuffer) -> STUNAttribute {
        STUNAttribute(type: .data, value: Array(payload.readableBytesView))
    }
}

extension STUNMessage {
    /// CHANNEL-NUMBER (RFC 8656 §18.1), or `nil` when absent or not 4 bytes.
    var channelNumber: UInt16? {
        guard let a = attribute(.channelNumber), a.value.count == 4 else { return nil }
        return UInt16(a.value[0]) << 8 | UInt16(a.value[1])
    }
}
