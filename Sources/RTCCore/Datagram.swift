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

    /// Creates a transmit.
    public init(source: TransportAddress? = nil, destination: TransportAddress, payload: ByteBuffer) {
        self.source = source
        self.destination = destination
        self.payload = payload
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
