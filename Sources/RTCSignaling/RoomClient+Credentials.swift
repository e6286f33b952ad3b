import Logging
import SwiftRTC

/// Time-limited TURN credentials from the signaling server's `/turn-credentials`
/// (``RoomClient/Configuration/turnCredentials``): fetched before the first connection, fetched
/// again when they are about to expire, and handed to every connection for the allocations its
/// next ICE restart makes.
extension RoomClient {
    /// The TURN credentials currently in use (fetched from ``Configuration/turnCredentials``).
    public var turnCredentials: TURNCredentials? { fetchedCredentials?.credentials }

    /// Fetches credentials from `source`; a 404 is fine when the source is optional.
    func fetchCredentials(_ source: TURNCredentialsSource) async throws(TURNCredentialsError) {
        do {
            let credentials = try await TURNCredentialsFetcher.fetch(from: source.url, user: source.user)
            fetchedCredentials = (credentials, TURNCredentialsFetcher.unixNow())
            logger.info("fetched TURN credentials", metadata: ["uris": "\(credentials.uris)", "ttl": "\(credentials.ttl)"])
        } catch .notConfigured(let url) where source.optional {
            logger.debug("the signaling server hands out no TURN credentials", metadata: ["url": "\(url)"])
        } catch .unreachable(let url, let reason) where source.optional {
            // The signaling connection will say what is wrong with the server.
            logger.warning("cannot fetch TURN credentials", metadata: ["url": "\(url)", "reason": "\(reason)"])
        }
    }

    /// The ICE servers for a new connection or an ICE restart: the configured ones and the
    /// fetched credentials, fetched again first when they expire within the refresh margin —
    /// then every existing connection is given them too (`setICEServers`), for the
    /// allocations its next restart makes (a failed refresh keeps the old ones and is logged:
    /// the TURN server will say whether they still work).
    func iceServers() async -> [ICEServer] {
        if let source = configuration.turnCredentials, let fetched = fetchedCredentials {
            let expiry = fetched.credentials.expiry ?? (fetched.at + Int64(fetched.credentials.ttl))
            let margin = Int64(min(source.refreshMargin, max(fetched.credentials.ttl / 4, 1)))
            if TURNCredentialsFetcher.unixNow() >= expiry - margin {
                do {
                    try await fetchCredentials(source)
                    // The connections take them for their next allocation (an ICE restart).
                    let servers = currentICEServers
                    for peer in peers.values {
                        do { try await peer.connection.setICEServers(servers) } catch {
                            logger.warning("cannot give a connection new ICE servers", metadata: ["member": "\(peer.id)", "error": "\(error)"])
                        }
                    }
                } catch {
                    logger.warning("cannot refresh TURN credentials", metadata: ["error": "\(error)"])
                }
            }
        }
        return currentICEServers
    }

    /// The configured ICE servers and the TURN server of the fetched credentials.
    private var currentICEServers: [ICEServer] {
        configuration.iceServers + (fetchedCredentials.map { [$0.credentials.iceServer] } ?? [])
    }
}
