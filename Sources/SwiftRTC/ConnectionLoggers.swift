import Logging

/// The loggers of one peer connection, one per subsystem (`swiftrtc.peerconnection`,
/// `swiftrtc.ice`, `swiftrtc.dtls`, `swiftrtc.datachannel`), each carrying
/// the connection's short id as `pc` metadata so the lines of one connection can be picked out.
/// (The session reports no SCTP association events of its own yet, so there is no
/// `swiftrtc.sctp` logger; channel events are under `swiftrtc.datachannel`.)
///
/// Without a base logger they come from `LoggingSystem`; with one they share its handler (its
/// level, its metadata, where it writes) and only the label differs. Nothing here is called per packet or per message:
/// the hot paths of the driver and the session stay free of logging work.
struct ConnectionLoggers: Sendable {
    /// The connection's short id (8 hex digits), the `pc` metadata value.
    let id: String
    /// States and descriptions of the connection as a whole.
    let peerConnection: Logger
    /// Candidates, ICE states, the selected pair.
    let ice: Logger
    /// The DTLS handshake.
    let dtls: Logger
    /// Channels opening and closing.
    let dataChannel: Logger

    init(base: Logger?, id: String) {
        self.id = id
        func make(_ subsystem: String) -> Logger {
            var logger = if let base {
                Logger(label: "swiftrtc.\(subsystem)", factory: { _ in base.handler })
            } else {
                Logger(label: "swiftrtc.\(subsystem)")
            }
            logger[metadataKey: "pc"] = "\(id)"
            return logger
        }
        peerConnection = make("peerconnection")
        ice = make("ice")
        dtls = make("dtls")
        dataChannel = make("datachannel")
    }

    /// A fresh random short id.
    static func makeID() -> String {
        let hex = String(UInt32.random(in: 0...UInt32.max), radix: 16)
        return String(repeating: "0", count: 8 - hex.count) + hex
    }
}
