import Foundation
import RTCSignaling
import RTCTestSupport
import SwiftRTC
import Testing

/// Pion (Go, WebRTC v3 from Debian's packages; scripts/interop/pion) as a member of our rooms,
/// connection after connection in each role: Pion offering to a Swift member (as it did to
/// `swiftrtc echo` when ICE connected and DTLS then stalled on a host with two interfaces), and
/// a Swift member offering to Pion. Every connection must open its channel and echo; none may
/// hang. scripts/test.sh runs this suite with two interfaces (lo and a veth with 10.99.0.1) and
/// again with loopback alone. `SWIFTRTC_PION_ATTEMPTS` sets the count (default 100).
@Suite("Pion room interop", .serialized, .heavyPeers)
struct PionRoomInteropTests {
    static let attempts = ProcessInfo.processInfo.environment["SWIFTRTC_PION_ATTEMPTS"].flatMap(Int.init) ?? 100
    static let messages = 5

    /// The pion-room binary scripts/test.sh builds (`$SWIFTRTC_PION_ROOM`, else .build/pion-room).
    static func pionRoom() throws -> String {
        let path = ProcessInfo.processInfo.environment["SWIFTRTC_PION_ROOM"]
            ?? InteropEnvironment.repositoryRoot.appendingPathComponent(".build/pion-room").path
        guard FileManager.default.isExecutableFile(atPath: path) else {
            throw InteropPeerMissing("the Pion room peer is not built at \(path): scripts/test.sh builds it with scripts/build-pion.sh (Go and golang-github-pion-webrtc.v3-dev from scripts/install-peers.sh)")
        }
        return path
    }

    /// Pion leaves loopback out by default (as browsers do); on a loopback-only host it needs it.
    static var pionArguments: [String] {
        let interfaces = (try? String(contentsOfFile: "/proc/self/net/dev", encoding: .utf8)) ?? ""
        return interfaces.contains("d0:") ? [] : ["-loopback"]
    }

    @Test func pionOffersToASwiftMemberEveryTime() async throws {
        let pion = try Self.pionRoom()
        try await withSignalingServer { _, port in
            var failures: [String] = []
            for attempt in 1...Self.attempts {
                let room = "pion-offers-\(attempt)"
                let swift = RoomPeer(port: port, id: "swift", room: room) { $0.channelLabel = nil }
                try await swift.join()
                let echo = Task {
                    let channel = try await swift.channel(with: "pion", timeout: 15)
                    for _ in 0..<Self.messages { try await channel.send(try await channel.receive()) }
                }
                let process = try PeerProcess("pion \(attempt)", executable: pion, arguments: [
                    "-signal", "ws://127.0.0.1:\(port)/ws", "-room", room, "-peer", "pion",
                    "-count", "\(Self.messages)", "-timeout", "15",
                ] + Self.pionArguments)
                let status = try await process.waitForExit(timeout: 25)
                if status != 0 || !process.output.contains("DONE") {
                    failures.append("attempt \(attempt): exit \(status)\n\(process.allOutput)")
                }
                echo.cancel()
                _ = await echo.result
                await swift.close()
                if failures.count >= 3 { break }
            }
            #expect(failures.isEmpty, "\(failures.count) of \(Self.attempts) Pion offers failed:\n\(failures.joined(separator: "\n"))")
        }
    }

    @Test func swiftOffersToAPionMemberEveryTime() async throws {
        let pion = try Self.pionRoom()
        try await withSignalingServer { _, port in
            var failures: [String] = []
            for attempt in 1...Self.attempts {
                let room = "pion-answers-\(attempt)"
                let process = try PeerProcess("pion \(attempt)", executable: pion, arguments: [
                    "-signal", "ws://127.0.0.1:\(port)/ws", "-room", room, "-peer", "pion", "-echo",
                    "-count", "\(Self.messages)", "-timeout", "20",
                ] + Self.pionArguments)
                _ = try await process.waitForLine(timeout: 10) { $0.hasPrefix("JOINED") }
                let swift = RoomPeer(port: port, id: "swift", room: room)
                do {
                    #expect(try await swift.join() == ["pion"])
                    let channel = try await swift.channel(with: "pion", timeout: 15)
                    for i in 0..<Self.messages {
                        try await channel.send("swift \(i)")
                        let echoed = try await withTimeout(10, "echo \(i) from Pion") { try await channel.receiveText() }
                        if echoed != "swift \(i)" { failures.append("attempt \(attempt): echo \(i) was \(echoed)") }
                    }
                } catch {
                    failures.append("attempt \(attempt): \(error)\n\(process.allOutput)")
                }
                await swift.close()
                let status = try await process.waitForExit(timeout: 10)
                if status != 0 { failures.append("attempt \(attempt): Pion exit \(status)\n\(process.allOutput)") }
                if failures.count >= 3 { break }
            }
            #expect(failures.isEmpty, "\(failures.count) of \(Self.attempts) Swift offers to Pion failed:\n\(failures.joined(separator: "\n"))")
        }
    }
}
