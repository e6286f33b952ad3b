import NIOCore
import RTCDataChannel
import RTCSCTP

// The data-channel value types are part of the session's API (and, through SwiftRTC, of the
// public one); the manager itself stays an implementation detail.
@_exported import struct RTCDataChannel.DataChannelOptions
@_exported import enum RTCDataChannel.DataChannelMessage
@_exported import enum RTCDataChannel.DataChannelState
@_exported import struct RTCDataChannel.DataChannelInfo

extension RTCSession {
    /// The data channels of a session: DCEP over an SCTP association that starts once DTLS is
    /// up. SCTP packets ride in DTLS records, so they leave room for the record header and
    /// AEAD overhead (RFC 8261 §5).
    static func makeDataChannels(_ configuration: SessionConfiguration, rng: some RandomNumberGenerator & Sendable) -> DataChannelManager {
        var sctp = SCTPConfiguration()
        sctp.maxPacketSize = configuration.dtlsMTU - 60
        let channelConfiguration = DataChannelConfiguration(
            role: nil, sctp: sctp, localMaxMessageSize: max(configuration.maxMessageSize, 1),
            remoteMaxMessageSize: 65_536,  // RFC 8841 §6: the peer's limit until its SDP says otherwise
            bufferedAmountLowThreshold: configuration.bufferedAmountLowThreshold)
        return DataChannelManager(configuration: channelConfiguration, rng: rng)
    }

    /// Turns what the data channels report into session events.
    mutating func handleDataChannel(_ event: DataChannelManagerEvent) {
        switch event {
        case .opened(let info), .peerOpened(let info):
            statisticsCounters.opened(info)
            events.append(.dataChannel(.opened(info)))
        case .message(let handle, let message):
            statistics.messagesReceived += 1
            statisticsCounters.received(message, on: handle)
            events.append(.dataChannel(.message(handle: handle, message)))
        case .bufferedAmountLow(let handle):
            events.append(.dataChannel(.bufferedAmountLow(handle: handle)))
        case .closing(let handle):
            statisticsCounters.setState(.closing, of: handle)
            events.append(.dataChannel(.closing(handle: handle)))
        case .closed(let handle):
            statisticsCounters.setState(.closed, of: handle)
            events.append(.dataChannel(.closed(handle: handle)))
        case .openFailed(let handle, let error):
            events.append(.dataChannel(.error(handle: handle, reason: error.description)))
        case .protocolError(let handle, let error):
            // Errors on a stream without a channel have no one to tell; they are dropped.
            if let handle { events.append(.dataChannel(.error(handle: handle, reason: error.description))) }
        case .associationEstablished, .associationClosed, .associationFailed:
            break  // the connection state follows ICE and DTLS; channels report their own closes
        }
    }
}

extension SessionError {
    /// The session's error for a data-channel error on channel `handle`.
    init(_ error: DataChannelError, handle: Int) {
        switch error {
        case .messageTooLarge(let size, let limit): self = .messageTooLarge(size: size, limit: limit)
        case .unknownChannel, .channelNotOpen, .association: self = .unknownDataChannel(handle)
        case .noStreamIdAvailable: self = .noStreamAvailable
        case .idInUse, .reservedStreamID, .conflictingReliability, .labelTooLong, .protocolTooLong:
            self = .invalidDataChannelOptions(error.description)
        }
    }
}
