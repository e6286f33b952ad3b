import Foundation
import RTCTestSupport
import SwiftRTC
import Testing

/// Trickle ICE between SwiftRTC and headless Chromium over 127.0.0.1, in both roles: each side
/// sends its description right after `setLocalDescription` (no candidates in it) and its
/// candidates as they are gathered.
///
/// What Chromium sends here (measured): in a namespace with only a loopback interface it
/// gathers no candidate at all, only end-of-candidates. So the connection can only form from
/// OUR trickled candidates: Chromium checks them and we learn its address peer-reflexively.
/// (With Chromium's default of hiding host addresses behind mDNS names, which
/// chromium_peer.py disables, it binds no socket in such a namespace and connects to nobody;
/// ignoring mDNS candidates is covered by RTCSessionTests' SessionTrickleTests.)
@Suite(.serialized) struct ChromiumTrickleInteropTests {
    static func startPeer(_ role: String) throws -> PeerProcess {
        try InteropEnvironment.requirePrivateNamespace()
        _ = try InteropEnvironment.executable("chromium", installHint: "apt-get install chromium")
        let python = try InteropEnvironment.peerPython()
        let script = InteropEnvironment.repositoryRoot.appendingPathComponent("scripts/interop/chromium_peer.py").path
        return try PeerProcess("chromium", executable: python, arguments: ["-u", script, role, "trickle"])
    }

    /// Sends every local candidate of `pc` to `peer` as a JSON line, up to end-of-candidates.
    static func forwardLocalCandidates(of pc: PeerConnection, to peer: PeerProcess) -> Task<[ICECandidateInit], Never> {
        Task {
            var sent: [ICECandidateInit] = []
            for await candidate in pc.iceCandidates {
                guard let data = try? JSONEncoder().encode(candidate) else { continue }
                peer.write(String(decoding: data, as: UTF8.self) + "\n")
                sent.append(candidate)
                if candidate.isEndOfCandidates { break }
            }
            return sent
        }
    }

    /// Applies, in order, every candidate line `peer` prints, until cancelled.
    final class RemoteCandidates: @unchecked Sendable {
        private let lock = NSLock()
        private var appliedList: [ICECandidateInit] = []
        private var failures: [String] = []
        private var task: Task<Void, Never>?

        var applied: [ICECandidateInit] { lock.withLock { appliedList } }
        var errors: [String] { lock.withLock { failures } }

        init(from peer: PeerProcess, to pc: PeerConnection) {
            task = Task { [self] in
                var seen = 0
                while !Task.isCancelled {
                    let lines = peer.output
                    for line in lines[seen...] where line.hasPrefix("{\"candidate\": ") {
                        do {
                            let candidate = try JSONDecoder().decode(ICECandidateInit.self, from: Data(line.utf8))
                            try await pc.addIceCandidate(candidate)
                            lock.withLock { appliedList.append(candidate) }
                        } catch {
                            lock.withLock { failures.append("\(line): \(error)") }
                        }
                    }
                    seen = lines.count
                    try? await Task.sleep(nanoseconds: 10_000_000)
                }
            }
        }

        /// Waits until Chromium's end-of-candidates has been applied.
        func waitForEnd() async throws {
            try await withTimeout(20, "Chromium's end-of-candidates") {
                while !self.applied.contains(where: \.isEndOfCandidates) { try await Task.sleep(nanoseconds: 10_000_000) }
            }
        }

        func stop() { task?.cancel() }
    }

    @Test func swiftOffersWithTrickleAndChromiumAnswersWithTrickle() async throws {
        let peer = try Self.startPeer("answer")
        defer { peer.terminate() }
        let pc = try await WebRTCClient(engine: .native).createPeerConnection()
        let channel = try await pc.createDataChannel("chat")
        let offer = try await pc.createOffer()
        try await pc.setLocalDescription(offer)
        #expect(!offer.sdp.contains("a=candidate"))
        try AiortcDataChannelInteropTests.write(peer, offer)
        let forwarding = Self.forwardLocalCandidates(of: pc, to: peer)
        let remote = RemoteCandidates(from: peer, to: pc)
        defer { remote.stop() }
        let answer = try await AiortcDataChannelInteropTests.readDescription(peer, type: "answer")
        #expect(!answer.sdp.contains("a=candidate"))
        try await pc.setRemoteDescription(answer)
        let opened = try await SwiftToSwiftDataChannelTests.firstOpen(pc)
        #expect(opened === channel)
        try await peer.waitForLine(timeout: 20) { $0.contains("\"event\": \"open\"") }
        let sent = await forwarding.value
        #expect(sent.filter { !$0.isEndOfCandidates }.count >= 1)
        #expect(sent.last?.isEndOfCandidates == true)
        try await remote.waitForEnd()
        #expect(remote.errors.isEmpty, "\(remote.errors)")
        try await AiortcDataChannelInteropTests.exerciseEcho(channel, count: 300)
        await channel.close()
        try await peer.waitForLine(timeout: 20) { $0.contains("\"event\": \"close\"") }
        #expect(!peer.output.contains { $0.contains("\"event\": \"error\"") }, "\(peer.allOutput)")
        await pc.close()
    }

    /// Chromium's candidates (its end-of-candidates) are applied BEFORE its offer: they must
    /// be kept until the offer is set, not rejected.
    @Test func chromiumOffersWithTrickleAndSwiftAnswersWithTrickle() async throws {
        let peer = try Self.startPeer("offer")
        defer { peer.terminate() }
        let pc = try await WebRTCClient(engine: .native).createPeerConnection()
        let offer = try await AiortcDataChannelInteropTests.readDescription(peer, type: "offer")
        #expect(!offer.sdp.contains("a=candidate"))
        let remote = RemoteCandidates(from: peer, to: pc)
        defer { remote.stop() }
        try await remote.waitForEnd()
        try await pc.setRemoteDescription(offer)
        let answer = try await pc.createAnswer()
        try await pc.setLocalDescription(answer)
        #expect(!answer.sdp.contains("a=candidate"))
        try AiortcDataChannelInteropTests.write(peer, answer)
        let forwarding = Self.forwardLocalCandidates(of: pc, to: peer)
        let channel = try await SwiftToSwiftDataChannelTests.firstOpen(pc)
        #expect(channel.label == "chat")
        #expect(await forwarding.value.last?.isEndOfCandidates == true)
        #expect(remote.errors.isEmpty, "\(remote.errors)")
        try await AiortcDataChannelInteropTests.exerciseEcho(channel, count: 300)
        try await channel.send("close")
        let ended = try await withTimeout(15, "channel close") { () -> Bool in
            for try await _ in channel {}
            return true
        }
        #expect(ended)
        #expect(!peer.output.contains { $0.contains("\"event\": \"error\"") }, "\(peer.allOutput)")
        await pc.close()
    }
}
