import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import SwiftRTC

/// Time-limited TURN credentials, the JSON body of a signaling server's
/// `GET /turn-credentials?user=NAME` (`docs/signaling-server.md`; the TURN REST API shape,
/// draft-uberti-behave-turn-rest-00 §2.2): the one type the server encodes (RTCSignalingServer
/// derives them) and clients decode.
public struct TURNCredentials: Sendable, Hashable, Codable {
    /// `"<unix expiry>:<user>"`.
    public var username: String
    /// base64(HMAC-SHA1(secret, username)).
    public var password: String
    /// Their lifetime in seconds, from when the server made them.
    public var ttl: Int
    /// The TURN server URIs they are for (RFC 7065).
    public var uris: [String]

    /// Creates credentials from their parts.
    public init(username: String, password: String, ttl: Int, uris: [String]) {
        self.username = username
        self.password = password
        self.ttl = ttl
        self.uris = uris
    }

    /// The Unix time they expire: the number before the first `:` of the user name (how
    /// coturn reads it), else `nil`.
    public var expiry: Int64? {
        username.split(separator: ":", maxSplits: 1).first.flatMap { Int64($0) }
    }

    /// The ICE server entry that uses them.
    public var iceServer: ICEServer {
        ICEServer(urls: uris, username: username, credential: password)
    }
}

/// Why TURN credentials could not be fetched from a signaling server.
public enum TURNCredentialsError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The URL is not an `http://HOST:PORT/…` URL this client can fetch (`https` is not
    /// supported).
    case invalidURL(String)
    /// The server could not be reached (connection refused, timed out, closed early).
    case unreachable(url: String, reason: String)
    /// The server does not hand out TURN credentials (HTTP 404: no TURN secret configured).
    case notConfigured(url: String)
    /// Another HTTP status, with the start of the body.
    case httpStatus(url: String, status: Int, body: String)
    /// The body is not the expected JSON.
    case invalidResponse(url: String, reason: String)

    /// A sentence for the user.
    public var description: String {
        switch self {
        case .invalidURL(let url): "cannot fetch TURN credentials from \"\(url)\": only http://HOST:PORT/PATH URLs are supported"
        case .unreachable(let url, let reason): "cannot fetch TURN credentials from \(url): \(reason)"
        case .notConfigured(let url): "the signaling server does not hand out TURN credentials (\(url): 404)"
        case .httpStatus(let url, let status, let body): "TURN credentials from \(url): HTTP \(status) \(body)"
        case .invalidResponse(let url, let reason): "TURN credentials from \(url): \(reason)"
        }
    }
}

/// Where and how a ``RoomClient`` fetches time-limited TURN credentials before it creates
/// connections (RoomClient.Configuration.turnCredentials).
public struct TURNCredentialsSource: Sendable, Hashable {
    /// The `/turn-credentials` URL, e.g. `http://127.0.0.1:8080/turn-credentials`.
    public var url: String
    /// The `user` query parameter (the name in `"<expiry>:<user>"`).
    public var user: String
    /// Credentials are fetched again for new connections once they expire within this many
    /// seconds (or a quarter of their lifetime, whichever is less).
    public var refreshMargin: Int
    /// Whether a server that does not hand out credentials (404), or cannot be reached, is
    /// fine: the room then uses only the configured ICE servers. When `false`,
    /// ``RoomClient/join()`` fails with the ``TURNCredentialsError``.
    public var optional: Bool

    /// Creates a source.
    public init(url: String, user: String, refreshMargin: Int = 300, optional: Bool = false) {
        self.url = url
        self.user = user
        self.refreshMargin = refreshMargin
        self.optional = optional
    }

    /// The credentials URL of the signaling server at `signalingURL` (`ws://HOST:PORT/PATH` →
    /// `http://HOST:PORT/turn-credentials`); `nil` for other schemes (`wss://` needs https,
    /// which this client does not speak).
    public static func credentialsURL(forSignalingURL signalingURL: String) -> String? {
        guard signalingURL.lowercased().hasPrefix("ws://") else { return nil }
        let rest = signalingURL.dropFirst(5)
        let authority = rest.prefix { $0 != "/" && $0 != "?" }
        guard !authority.isEmpty else { return nil }
        return "http://\(authority)/turn-credentials"
    }
}

/// A minimal HTTP/1.1 GET for `/turn-credentials` (SwiftNIO, one connection per request).
public enum TURNCredentialsFetcher {
    /// The wall clock in Unix seconds (expiry times are on it).
    static func unixNow() -> Int64 { Int64(Date().timeIntervalSince1970) }

    /// Fetches credentials for `user` from `url` (an `http://` URL), within `timeout`.
    public static func fetch(from url: String, user: String, timeout: TimeAmount = .seconds(10),
                             eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton)
        async throws(TURNCredentialsError) -> TURNCredentials {
        guard url.lowercased().hasPrefix("http://") else { throw .invalidURL(url) }
        let rest = url.dropFirst(7)
        let authority = String(rest.prefix { $0 != "/" && $0 != "?" })
        var path = String(rest.dropFirst(authority.count))
        if path.isEmpty { path = "/" }
        let (host, port) = hostAndPort(authority)
        guard !host.isEmpty, let port else { throw .invalidURL(url) }
        let encodedUser = user.addingPercentEncoding(withAllowedCharacters: .urlQueryAllowed.subtracting(CharacterSet(charactersIn: "&=+#"))) ?? user
        path += (path.contains("?") ? "&" : "?") + "user=" + encodedUser

        let (status, body): (Int, ByteBuffer)
        do {
            (status, body) = try await get(host: host, port: port, path: path, authority: authority, timeout: timeout, group: eventLoopGroup)
        } catch {
            throw .unreachable(url: url, reason: "\(error)")
        }
        let text = String(buffer: body)
        if status == 404 { throw .notConfigured(url: url) }
        guard status == 200 else { throw .httpStatus(url: url, status: status, body: String(text.prefix(200))) }
        do {
            let credentials = try JSONDecoder().decode(TURNCredentials.self, from: Data(text.utf8))
            guard !credentials.uris.isEmpty else { throw TURNCredentialsError.invalidResponse(url: url, reason: "no TURN URIs") }
            return credentials
        } catch let error as TURNCredentialsError {
            throw error
        } catch {
            throw .invalidResponse(url: url, reason: "not the credentials JSON (\(error))")
        }
    }

    static func hostAndPort(_ authority: String) -> (String, Int?) {
        if authority.hasPrefix("["), let close = authority.firstIndex(of: "]") {
            let host = String(authority[authority.index(after: authority.startIndex)..<close])
            let after = authority[authority.index(after: close)...]
            return (host, after.isEmpty ? 80 : after.hasPrefix(":") ? Int(after.dropFirst()) : nil)
        }
        guard let c = authority.lastIndex(of: ":") else { return (authority, 80) }
        return (String(authority[..<c]), Int(authority[authority.index(after: c)...]))
    }

    static func get(host: String, port: Int, path: String, authority: String, timeout: TimeAmount,
                    group: any EventLoopGroup) async throws -> (Int, ByteBuffer) {
        let loop = group.next()
        let promise = loop.makePromise(of: (Int, ByteBuffer).self)
        let connecting = ClientBootstrap(group: loop)
            .connectTimeout(timeout)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    try channel.pipeline.syncOperations.addHandler(HTTPResponseCollector(promise: promise))
                }
            }
            .connect(host: host, port: port)
        let channel: any Channel
        do {
            channel = try await connecting.get()
        } catch {
            promise.fail(error)  // never left pending
            throw error
        }
        let timer = loop.scheduleTask(in: timeout) { promise.fail(ChannelError.connectTimeout(timeout)) }
        var head = HTTPRequestHead(version: .http1_1, method: .GET, uri: path)
        head.headers.add(name: "Host", value: authority)
        head.headers.add(name: "Accept", value: "application/json")
        head.headers.add(name: "Connection", value: "close")
        channel.write(HTTPClientRequestPart.head(head), promise: nil)
        channel.writeAndFlush(HTTPClientRequestPart.end(nil), promise: nil)
        defer {
            timer.cancel()
            channel.close(promise: nil)
        }
        return try await promise.futureResult.get()
    }
}

/// Collects one HTTP response (status and body) into a promise.
private final class HTTPResponseCollector: ChannelInboundHandler {
    typealias InboundIn = HTTPClientResponsePart
    private let promise: EventLoopPromise<(Int, ByteBuffer)>
    private var status = 0
    private var body = ByteBuffer()

    init(promise: EventLoopPromise<(Int, ByteBuffer)>) { self.promise = promise }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head): status = Int(head.status.code)
        case .body(var part):
            if body.readableBytes < 1 << 20 { body.writeBuffer(&part) }
        case .end: promise.succeed((status, body))
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        promise.fail(ChannelError.eof)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        promise.fail(error)
        context.close(promise: nil)
    }
}
