import Logging
import NIOConcurrencyHelpers
import PostgresNIO

// SignalingCluster's shutdown: every wait on the database is bounded, so a database that
// stopped answering cannot hold the server's stop.
extension SignalingCluster {
    /// Runs ``runSession(_:)``; once shutdown cancels it, the session's tasks get the connect
    /// timeout to wind down. A task waiting on a database that stopped answering (a leave
    /// queued by a closing client, a heartbeat) does not end by itself, and the heartbeat's
    /// own watchdog is not armed while it sleeps; so the connections are closed then, which
    /// fails those queries and lets shutdown go on.
    func runSessionBoundedOnShutdown(_ session: Session) async -> String {
        /// The watchdog started by the cancellation, and whether the session has already ended.
        let watchdog = NIOLockedValueBox<(task: Task<Void, Never>?, ended: Bool)>((nil, false))
        defer {
            watchdog.withLockedValue { state in
                state.ended = true
                state.task?.cancel()
            }
        }
        let limit = configuration.connectTimeout
        let logger = self.logger
        return await withTaskCancellationHandler {
            await runSession(session)
        } onCancel: {
            watchdog.withLockedValue { state in
                guard !state.ended, state.task == nil else { return }
                state.task = Task {
                    guard (try? await Task.sleep(for: limit)) != nil else { return }
                    session.endedBecause.withLockedValue {
                        $0 = $0 ?? "shutting down: the database did not let the session end within \(limit)"
                    }
                    logger.warning("the cluster database held the session past shutdown; closing its connections",
                                   metadata: ["instance": "\(session.id)", "timeout": "\(limit)"])
                    await session.close()
                }
            }
        }
    }

    /// Removes this instance and its members (they leave their rooms everywhere) on shutdown.
    /// It runs outside the cancelled shutdown task, bounded by ``SignalingClusterConfiguration/connectTimeout``:
    /// a database that does not answer gets its connections closed (the others then time this
    /// instance out), so it cannot hold the server's shutdown.
    func deregister(_ session: Session) async {
        let logger = self.logger
        let limit = configuration.connectTimeout
        if let reason = session.endedBecause.withLockedValue({ $0 }) {
            // A watchdog has closed the connections: there is no way left to send the leave.
            logger.warning("could not leave the cluster cleanly; the others will time this instance out",
                           metadata: ["instance": "\(session.id)", "reason": "\(reason)"])
            return
        }
        // A query on a frozen server does not end when its task is cancelled, nor always when
        // its connection is closed: the leave is waited for at most `limit`, then left behind.
        let left = await Self.finishes(within: limit) {
            do {
                var removed = 0
                for try await n in try await session.directory.query("SELECT swiftrtc_remove_instance(\(session.id))",
                                                                    logger: logger).decode(Int32.self) {
                    removed = Int(n)
                }
                logger.info("left the cluster", metadata: ["instance": "\(session.id)", "members_removed": "\(removed)"])
            } catch {
                logger.warning("could not leave the cluster cleanly; the others will time this instance out",
                               metadata: ["error": "\(Self.describe(error))"])
            }
        }
        if !left {
            logger.warning("the cluster database did not answer the leave in time; closing its connections",
                           metadata: ["instance": "\(session.id)", "timeout": "\(limit)"])
        }
    }
}
