import Crypto
import Foundation
import SwiftRTC
import Testing
import RTCTestSupport

/// Sends `total` bytes in `chunk`-byte binary messages on a channel labelled "bulk" and asks
/// the peer (aiortc_peer.py / chromium_peer.py protocol) for the SHA-256 of what it received.
enum BulkTransfer {
    static func run(on pc: PeerConnection, total: Int, chunk: Int) async throws {
        let bulk = try await pc.createDataChannel("bulk")
        _ = try await SwiftToSwiftDataChannelTests.opened(pc, label: "bulk")
        var hasher = SHA256()
        var sent = 0
        var message = [UInt8](repeating: 0, count: chunk)
        var counter: UInt8 = 0
        while sent < total {
            let n = min(chunk, total - sent)
            for i in 0..<n { message[i] = counter &+ UInt8(truncatingIfNeeded: i) }
            counter &+= 1
            let slice = Array(message[0..<n])
            hasher.update(data: slice)
            try await bulk.send(slice)
            sent += n
        }
        try await bulk.send("digest")
        let reply = try await withTimeout(120, "the peer's digest") { try await bulk.receiveText() }
        let expected = hasher.finalize().map { String(format: "%02x", $0) }.joined()
        #expect(reply == "digest:\(expected):\(total)")
    }
}
