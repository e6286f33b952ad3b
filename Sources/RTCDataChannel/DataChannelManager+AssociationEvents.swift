import NIOCore
import RTCSCTP

/// What the association reports, turned into channel state and events: messages, DCEP
/// OPEN/ACK (RFC 8832 §5), stream resets (RFC 8831 §6.7) and the end of the association.
extension DataChannelManager {
    // MARK: Association events

    mutating func processAssociationEvents(now: NIODeadline) {
        while let e = association.pollEvent() {
            switch e {
            case .connected:
                events.append(.associationEstablished)
                openPending(now: now)
            case .message(let m):
                handleMessage(m, now: now)
            case .incomingStreamsReset(let streams):
                for stream in streams {
                    guard let handle = handleByStream[stream], var ch = channels[handle] else { continue }
                    ch.incomingReset = true
                    if ch.state != .closing {
                        ch.state = .closing
                        channels[handle] = ch
                        events.append(.closing(handle))
                        requestOutgoingReset(handle, now: now)
                    } else {
                        channels[handle] = ch
                    }
                    finishCloseIfDone(handle)
                }
            case .outgoingStreamsReset(let streams):
                for stream in streams {
                    guard let handle = handleByStream[stream] else { continue }
                    channels[handle]?.outgoingReset = true
                    finishCloseIfDone(handle)
                }
            case .streamResetFailed(let streams):
                // The peer refused the reset: nothing more will flow; close our side.
                for stream in streams {
                    if let handle = handleByStream[stream] { finishClose(handle) }
                }
            case .closed:
                closeAll(now: now)
                events.append(.associationClosed)
            case .aborted(let reason):
                closeAll(now: now)
                events.append(.associationFailed(reason))
            }
        }
    }

    mutating func finishCloseIfDone(_ handle: Int) {
        guard let ch = channels[handle], ch.outgoingReset, ch.incomingReset else { return }
        finishClose(handle)
    }

    mutating func finishClose(_ handle: Int) {
        guard let ch = channels.removeValue(forKey: handle) else { return }
        if let stream = ch.stream, handleByStream[stream] == handle { handleByStream[stream] = nil }
        aboveThreshold.remove(handle)
        events.append(.closed(handle))
    }

    mutating func handleMessage(_ m: SCTPMessage, now: NIODeadline) {
        if m.ppid == DataChannelPPID.dcep {
            handleDCEP(m, now: now)
            return
        }
        guard let handle = handleByStream[m.stream], let ch = channels[handle] else {
            droppedMessages += 1
            return
        }
        let message: DataChannelMessage
        switch m.ppid {
        case DataChannelPPID.string:
            guard let text = decodeUTF8(m.payload.readableBytesView) else {
                events.append(.protocolError(handle: handle, .invalidUTF8(stream: m.stream, length: m.payload.readableBytes)))
                return
            }
            message = .text(text)
        case DataChannelPPID.stringEmpty:
            message = .text("")
        case DataChannelPPID.binary:
            message = .binary(Array(m.payload.readableBytesView))
        case DataChannelPPID.binaryEmpty:
            message = .binary([])
        default:
            events.append(.protocolError(handle: handle, .unknownPPID(stream: m.stream, ppid: m.ppid)))
            return
        }
        // Any user message implies the peer saw our OPEN. RFC 8832 §6.
        if !ch.ackReceived { acknowledge(handle: handle) }
        events.append(.message(handle, message))
    }

    /// The peer acknowledged our DATA_CHANNEL_OPEN (with an ACK or by sending data): a channel
    /// we opened may now send unordered messages unordered (RFC 8832 §6). It has been open since
    /// its OPEN was queued.
    private mutating func acknowledge(handle: Int) {
        channels[handle]?.ackReceived = true
    }

    private mutating func handleDCEP(_ m: SCTPMessage, now: NIODeadline) {
        let dcep: DCEPMessage
        do {
            dcep = try DCEPMessage.parse(m.payload)
        } catch {
            events.append(.protocolError(handle: handleByStream[m.stream], .malformedDCEP(stream: m.stream, error)))
            return
        }
        switch dcep {
        case .ack:
            guard let handle = handleByStream[m.stream], channels[handle] != nil else {
                droppedMessages += 1
                return
            }
            acknowledge(handle: handle)
        case .open(let type, let unordered, let priority, let label, let proto):
            if let existing = handleByStream[m.stream] {
                events.append(.protocolError(handle: existing, .duplicateOpen(stream: m.stream)))
                return
            }
            let options = DataChannelOptions(channelType: type, unordered: unordered, priority: priority, protocol: proto)
            let handle = nextHandle
            nextHandle += 1
            let ch = Channel(handle: handle, stream: m.stream, label: label, options: options, state: .open,
                             ackReceived: true, lowThreshold: max(0, configuration.bufferedAmountLowThreshold))
            channels[handle] = ch
            handleByStream[m.stream] = handle
            try? association.send(stream: m.stream, ppid: DataChannelPPID.dcep, payload: DCEPMessage.ack.serialized(), now: now)
            if let info = ch.info { events.append(.peerOpened(info)) }
        }
    }

    mutating func checkBufferedAmounts() {
        guard !aboveThreshold.isEmpty else { return }
        for handle in aboveThreshold {
            guard let ch = channels[handle], let stream = ch.stream else { aboveThreshold.remove(handle); continue }
            if association.bufferedAmount(stream: stream) <= ch.lowThreshold {
                aboveThreshold.remove(handle)
                events.append(.bufferedAmountLow(handle))
            }
        }
    }
}
