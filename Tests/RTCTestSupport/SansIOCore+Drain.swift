import RTCCore

extension SansIOCore {
    /// Everything the core has to send, in order (for tests that move datagrams by hand).
    public mutating func drainTransmits() -> [Output] {
        var out: [Output] = []
        while let transmit = pollTransmit() { out.append(transmit) }
        return out
    }

    /// Everything the core has to report, in order.
    public mutating func drainEvents() -> [Event] {
        var out: [Event] = []
        while let event = pollEvent() { out.append(event) }
        return out
    }
}
