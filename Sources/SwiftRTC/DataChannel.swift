import NIOConcurrencyHelpers
import NIOCore
import RTCSession

/// A WebRTC data channel (RFC 8831): send text or bytes; receive by iterating it or with
/// `receive()`, `receiveText()`, `receiveBinary()`.
///
/// ```swift
/// try await channel.send("hello")
/// for try await message in channel { … }
/// ```
/// `send` suspends while more than the connection's `sendBufferHighWaterMark` bytes are queued,
/// so a fast sender cannot grow memory without bound. The message sequence ends when the
/// channel closes.
public final class DataChannel: AsyncSequence, Sendable, CustomStringConvertible {
    /// Messages are what the sequence yields.
    public typealias Element = DataChannelMessage

    /// The SCTP stream id (even if the DTLS client opened it, odd otherwise; RFC 8832 §6);
    /// `nil` until the channel is open (the id depends on the negotiated DTLS role).
    public var id: UInt16? { streamID.withLockedValue { $0 } }
    let handle: Int
    private let streamID = NIOLockedValueBox<UInt16?>(nil)
    /// The label given at creation.
    public let label: String
    /// The reliability and ordering it was created with.
    public let options: DataChannelOptions
    /// The owning connection while the channel is live; released when it finishes so that a
    /// closed channel (e.g. one still buffered in `dataChannelEvents`) does not keep the
    /// connection alive.
    private let liveObjects: LiveObjects
    private let connectionBox: NIOLockedValueBox<PeerConnection?>
    private let queue = MessageQueue<DataChannelMessage>()
    private let stateBox = NIOLockedValueBox(DataChannelState.connecting)
    private let closeReasonBox = NIOLockedValueBox<String?>(nil)

    init(handle: Int, label: String, options: DataChannelOptions, connection: PeerConnection) {
        self.handle = handle
        streamID.withLockedValue { $0 = options.negotiatedID }
        self.label = label
        self.options = options
        self.connectionBox = NIOLockedValueBox(connection)
        self.liveObjects = connection.liveObjects
        liveObjects.created(.dataChannel)
    }

    deinit { liveObjects.destroyed(.dataChannel) }

    private var connection: PeerConnection {
        get throws(WebRTCError) {
            guard let c = connectionBox.withLockedValue({ $0 }) else { throw WebRTCError.dataChannelClosed(label: label) }
            return c
        }
    }

    /// `DataChannel("chat", id 1, open)`.
    public var description: String { "DataChannel(\"\(label)\", id \(id.map(String.init) ?? "-"), \(state.rawValue))" }

    /// The current state.
    public var state: DataChannelState { stateBox.withLockedValue { $0 } }

    /// Why the channel closed when it did not close normally (e.g. "the connection failed:
    /// nothing heard from the peer for 30 s (ICE consent expired)"); `nil` while it is open
    /// and after an ordinary close by either side.
    public var closeReason: String? { closeReasonBox.withLockedValue { $0 } }

    /// Bytes queued for sending and not yet acknowledged by the peer.
    public var bufferedAmount: Int {
        get async {
            guard let connection = try? connection else { return 0 }
            return await connection.bufferedAmount(of: handle)
        }
    }

    /// Sends a text message (PPID string, RFC 8831 §6.6).
    public func send(_ text: String) async throws {
        try await connection.send(.text(text), on: handle)
    }

    /// Sends a binary message (PPID binary, RFC 8831 §6.6). The bytes are copied once, into
    /// the buffer that is queued for sending.
    public func send(_ bytes: some Sequence<UInt8>) async throws {
        try await connection.send(binary: ByteBuffer(bytes: bytes), on: handle)
    }

    /// Sends a binary message held in a `ByteBuffer` (PPID binary, RFC 8831 §6.6) without
    /// copying it: the buffer's readable bytes are queued as they are.
    public func send(_ buffer: ByteBuffer) async throws {
        try await connection.send(binary: buffer, on: handle)
    }

    /// Sends a message.
    public func send(_ message: DataChannelMessage) async throws {
        try await connection.send(message, on: handle)
    }

    /// The next message; throws `WebRTCError.dataChannelClosed` once the channel has closed
    /// and every message received before was read.
    public func receive() async throws -> DataChannelMessage {
        guard let message = try await queue.next() else {
            if let reason = closeReason { throw WebRTCError.dataChannelFailed(label: label, reason: reason) }
            throw WebRTCError.dataChannelClosed(label: label)
        }
        return message
    }

    /// The next message, which must be text; throws `WebRTCError.unexpectedMessageType` otherwise.
    public func receiveText() async throws -> String {
        switch try await receive() {
        case .text(let text): return text
        case .binary: throw WebRTCError.unexpectedMessageType(expected: "text", label: label)
        }
    }

    /// The next message, which must be binary; throws `WebRTCError.unexpectedMessageType` otherwise.
    public func receiveBinary() async throws -> [UInt8] {
        switch try await receive() {
        case .binary(let bytes): return bytes
        case .text: throw WebRTCError.unexpectedMessageType(expected: "binary", label: label)
        }
    }

    /// Starts closing the channel (its SCTP stream is reset; the peer sees it close too).
    public func close() async {
        guard let connection = try? connection else { return }
        await connection.closeDataChannel(handle)
    }

    /// Iterates received messages until the channel closes.
    public struct AsyncIterator: AsyncIteratorProtocol {
        let queue: MessageQueue<DataChannelMessage>
        /// The next message, or `nil` when the channel has closed.
        public mutating func next() async throws -> DataChannelMessage? { try await queue.next() }
    }

    /// An iterator over received messages.
    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(queue: queue) }

    func setState(_ state: DataChannelState) { stateBox.withLockedValue { $0 = state } }

    func opened(streamID id: UInt16) {
        streamID.withLockedValue { $0 = id }
        setState(.open)
    }

    func deliver(_ message: DataChannelMessage) { queue.push(message) }

    func finish(state: DataChannelState, reason: String? = nil) {
        if let reason { closeReasonBox.withLockedValue { $0 = $0 ?? reason } }
        setState(state)
        queue.finish()
        connectionBox.withLockedValue { $0 = nil }
    }
}
