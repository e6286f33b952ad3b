import NIOCore

/// A datagram a protocol core wants sent: the bytes and where they go.
///
/// Sans-IO cores return these; the edge (a UDP driver, a test link) performs them.
public struct Transmit: Sendable, Equatable {
    /// The local address to send from, when the core cares (ICE does; most layers do not).
    public var source: TransportAddress?
    /// The remote address to send to.
    public var destination: TransportAddress
    /// The datagram's bytes.
    public var payload: ByteBuffer
    /// `true`: the bytes go over the edge's stream connection (TCP, or TLS) from `source`'s IP
    /// to `destination` — TURN over TCP (RFC 8656 §3.1) — instead of as a UDP datagram from
    /// `source`. The edge opens that connection on first use, writes each payload as it is
    /// (the core frames it), splits what it reads into messages and hands each back as a
    /// datagram from `destination` to `source`.
    public var viaStream: Bool

    /// Creates a transmit.
    public init(source: TransportAddress? = nil, destination: TransportAddress, payload: ByteBuffer, viaStream: Bool = false) {
        self.source = source
        self.destination = destination
        self.payload = payload
        self.viaStream = viaStream
    }
}

/// A datagram that arrived: its bytes, where it came from and which local address got it.
public struct ReceivedDatagram: Sendable, Equatable {
    /// The remote sender.
    public var source: TransportAddress
    /// The local address it arrived on.
    public var destination: TransportAddress
    /// The datagram's bytes.
    public var payload: ByteBuffer

    /// Creates a received datagram.
    public init(source: TransportAddress, destination: TransportAddress, payload: ByteBuffer) {
        self.source = source
        self.destination = destination
        self.payload = payload
    }
}
