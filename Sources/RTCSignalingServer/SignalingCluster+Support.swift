import Foundation
import Metrics
import NIOConcurrencyHelpers
import NIOSSL
import PostgresNIO

// SignalingCluster's helpers: instance ids, database error descriptions, the database URL,
// and its metrics.
extension SignalingCluster {
    /// A new random instance id: 16 hex digits (a new one per database session).
    static func makeInstanceID() -> String {
        var rng = SystemRandomNumberGenerator()
        return (0..<8).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &rng)) }.joined()
    }

    /// Runs `operation` in a task of its own and waits for it at most `limit`: true if it
    /// finished in time, false if not (it is then left to end by itself). For database calls
    /// that neither cancellation nor a closed connection reliably ends while the server is
    /// stopped, where a task group would wait for them.
    static func finishes(within limit: Duration, _ operation: @escaping @Sendable () async -> Void) async -> Bool {
        await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
            let state = NIOLockedValueBox<(resumed: Bool, timer: Task<Void, Never>?)>((false, nil))
            let finish: @Sendable (Bool) -> Void = { finished in
                let first = state.withLockedValue { state -> Bool in
                    defer { state.resumed = true }
                    state.timer?.cancel()
                    return !state.resumed
                }
                if first { continuation.resume(returning: finished) }
            }
            let timer = Task {
                guard (try? await Task.sleep(for: limit)) != nil else { return }
                finish(false)
            }
            state.withLockedValue { $0.timer = timer }
            Task {
                await operation()
                finish(true)
            }
        }
    }

    /// A description of a database error with PostgreSQL's own message (PSQLError hides it
    /// from `description`).
    static func describe(_ error: any Error) -> String {
        if let error = error as? PSQLError {
            if let message = error.serverInfo?[.message] { return "\(error.code): \(message)" }
            if let underlying = error.underlying { return "\(error.code): \(underlying)" }
            return "\(error.code)"
        }
        return "\(error)"
    }

    /// `postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE[?sslmode=…]` → a configuration and
    /// the endpoint without password (for messages).
    static func parse(_ url: String, connectTimeout: Duration) throws(SignalingClusterError)
        -> (PostgresConnection.Configuration, String) {
        guard let components = URLComponents(string: url), let scheme = components.scheme,
              scheme == "postgres" || scheme == "postgresql" else {
            throw .invalidDatabaseURL("the scheme must be postgres:// or postgresql://")
        }
        guard let host = components.host, !host.isEmpty else { throw .invalidDatabaseURL("no host") }
        guard let user = components.user, !user.isEmpty else { throw .invalidDatabaseURL("no user") }
        let port = components.port ?? 5432
        let path = components.path.hasPrefix("/") ? String(components.path.dropFirst()) : components.path
        let database = path.isEmpty ? user : path
        var tls = PostgresConnection.Configuration.TLS.disable
        switch components.queryItems?.first(where: { $0.name == "sslmode" })?.value ?? "disable" {
        case "disable": tls = .disable
        case "prefer", "require":
            do {
                let context = try NIOSSLContext(configuration: .makeClientConfiguration())
                tls = components.queryItems?.first(where: { $0.name == "sslmode" })?.value == "require" ? .require(context) : .prefer(context)
            } catch {
                throw .invalidDatabaseURL("TLS could not be set up: \(error)")
            }
        case let other: throw .invalidDatabaseURL("sslmode \(other) is not supported (disable, prefer, require)")
        }
        var configuration = PostgresConnection.Configuration(host: host, port: port, username: user,
                                                             password: components.password, database: database, tls: tls)
        configuration.options.connectTimeout = TimeAmount(connectTimeout)
        return (configuration, "\(user)@\(host):\(port)/\(database)")
    }
}

/// The cluster's swift-metrics instruments (per instance: each process exports its own).
struct SignalingClusterMetrics: Sendable {
    let healthy = Gauge(label: "swiftrtc_signaling_cluster_healthy")
    let instances = Gauge(label: "swiftrtc_signaling_cluster_instances")
    let relayedOut = Counter(label: "swiftrtc_signaling_cluster_relayed_out")
    let relayedIn = Counter(label: "swiftrtc_signaling_cluster_relayed_in")
}
