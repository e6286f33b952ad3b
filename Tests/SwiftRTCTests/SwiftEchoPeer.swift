import Crypto
import Foundation
import SwiftRTC

/// The Swift side of the interop peers' protocol (scripts/interop/aiortc_peer.py): every channel
/// that opens on `connection` echoes text and binary; on a channel labelled "bulk" binary data is
/// hashed instead and the text "digest" answers `digest:<sha256 hex>:<bytes>`; the text "close"
/// closes the channel. Lets Swift↔Swift tests run exactly what the aiortc and Chromium tests run.
final class SwiftEchoPeer: Sendable {
    let task: Task<Void, Never>
    /// Labels of channels that closed on this side (the test's closes, observed here).
    let closedLabels: AsyncStream<String>

    init(_ connection: PeerConnection) {
        let (closedLabels, closed) = AsyncStream.makeStream(of: String.self)
        self.closedLabels = closedLabels
        task = Task {
            await withTaskGroup(of: Void.self) { group in
                for await event in connection.dataChannelEvents {
                    switch event {
                    case .open(let channel): group.addTask { await Self.serve(channel) }
                    case .closed(let channel): closed.yield(channel.label)
                    default: break
                    }
                }
                closed.finish()
            }
        }
    }

    static func serve(_ channel: DataChannel) async {
        var hasher = SHA256()
        var total = 0
        do {
            for try await message in channel {
                switch message {
                case .text("digest"):
                    let hex = hasher.finalize().map { String(format: "%02x", $0) }.joined()
                    try await channel.send("digest:\(hex):\(total)")
                    hasher = SHA256()
                    total = 0
                case .text("close"):
                    await channel.close()
                case .binary(let bytes) where channel.label == "bulk":
                    hasher.update(data: bytes)
                    total += bytes.count
                default:
                    try await channel.send(message)
                }
            }
        } catch {
            // The connection closed under us; the test's own assertions report what matters.
        }
    }

    deinit { task.cancel() }
}
