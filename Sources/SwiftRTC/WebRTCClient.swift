import NIOCore
import NIOPosix
import RTCSession

/// Which runtime drives peer connections (the Ktor `engine` of `WebRTCClient(engine:)`).
///
/// `.native` is SwiftRTC's own stack on SwiftNIO: every peer connection is pinned to one
/// event loop of the group, where its packets, timers and API calls all run.
public struct WebRTCEngine: Sendable {
    /// The event loops peer connections are spread over.
    public let eventLoopGroup: any EventLoopGroup

    /// SwiftRTC's native stack on NIO's shared event-loop group.
    public static var native: WebRTCEngine { WebRTCEngine(eventLoopGroup: MultiThreadedEventLoopGroup.singleton) }

    /// SwiftRTC's native stack on a group you own (for example to share loops with a server).
    public static func native(eventLoopGroup: any EventLoopGroup) -> WebRTCEngine {
        WebRTCEngine(eventLoopGroup: eventLoopGroup)
    }
}

/// The entry point: makes peer connections with a shared default configuration.
///
/// ```swift
/// let client = WebRTCClient(engine: .native) {
///     $0.defaultConnectionConfiguration.iceServers = [ICEServer(urls: ["stun:127.0.0.1:3478"])]
/// }
/// let pc = try await client.createPeerConnection()
/// ```
public final class WebRTCClient: Sendable {
    /// The engine running the connections.
    public let engine: WebRTCEngine
    /// The configuration given at creation.
    public let configuration: WebRTCClientConfiguration
    /// Counts the connections, channels and socket handlers this client made that are alive.
    package let liveObjects = LiveObjects()

    /// Creates a client; `configure` edits the defaults.
    public init(engine: WebRTCEngine = .native, _ configure: (inout WebRTCClientConfiguration) -> Void = { _ in }) {
        self.engine = engine
        var configuration = WebRTCClientConfiguration()
        configure(&configuration)
        self.configuration = configuration
    }

    /// Creates a peer connection from the default configuration, edited by `configure`.
    public func createPeerConnection(_ configure: (inout ConnectionConfiguration) -> Void = { _ in }) async throws -> PeerConnection {
        var connectionConfiguration = configuration.defaultConnectionConfiguration
        configure(&connectionConfiguration)
        return try await PeerConnection(configuration: connectionConfiguration, eventLoop: engine.eventLoopGroup.next(),
                                    liveObjects: liveObjects)
    }
}
