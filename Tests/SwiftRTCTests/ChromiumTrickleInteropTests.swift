import Foundation
import RTCTestSupport
import SwiftRTC
import Testing

/// Trickle ICE between SwiftRTC and headless Chromium over 127.0.0.1, in both roles: each side
/// sends its description right after `setLocalDescription` (no candidates in it) and its
/// candidates as they are gathered.
///
/// What Chromium trickles here (measured; the page holds fake microphone permission so that
/// Chromium enumerates interfaces): a UDP host candidate on 127.0.0.1, a TCP `tcptype
/// active` one (port 9, which we ignore), then end-of-candidates, each with its ufrag. No mDNS
/// names: with media permission Chromium does not hide addresses (without it, in a
/// loopback-only namespace, it announces no candidate at all; ignoring mDNS candidates is
/// covered by RTCSessionTests' SessionTrickleTests).
@Suite(.serialized, .heavyPeers) struct ChromiumTrickleInteropTests {
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

        /// `ip:port` of every UDP candidate applied.
        var udpAddresses: [String] {
            applied.compactMap { c in
                let fields = c.candidate.split(separator: " ")
                guard fields.count >= 8, fields[2].lowercased() == "udp" else { return nil }
                return "\(fields[4]):\(fields[5])"
            }
        }

        /// How many TCP candidates were applied (and must have been ignored).
        var tcpCount: Int { applied.filter { $0.candidate.split(separator: " ").dropFirst(2).first?.lowercased() == "tcp" }.count }
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
        #expect(!remote.udpAddresses.isEmpty)
        #expect(await pc.stats().remoteCandidatesIgnored == remote.tcpCount)
        try await AiortcDataChannelInteropTests.exerciseEcho(channel, count: 300)
        await channel.close()
        try await peer.waitForLine(timeout: 20) { $0.contains("\"event\": \"close\"") }
        #expect(!peer.output.contains { $0.contains("\"event\": \"error\"") }, "\(peer.allOutput)")
        await pc.close()
    }

    /// Swift sends its offer but none of its candidates: the only way to connect is through the
    /// candidate Chromium trickles after its answer, added to our running ICE agent. Chromium
    /// learns our address from our checks.
    @Test func swiftConnectsThroughChromiumsTrickledCandidateAlone() async throws {
        let peer = try Self.startPeer("answer")
        defer { peer.terminate() }
        let pc = try await WebRTCClient(engine: .native).createPeerConnection()
        let channel = try await pc.createDataChannel("chat")
        let offer = try await pc.createOffer()
        try await pc.setLocalDescription(offer)
        try AiortcDataChannelInteropTests.write(peer, offer)
        try await pc.setRemoteDescription(try await AiortcDataChannelInteropTests.readDescription(peer, type: "answer"))
        let remote = RemoteCandidates(from: peer, to: pc)
        defer { remote.stop() }
        let opened = try await SwiftToSwiftDataChannelTests.firstOpen(pc)
        #expect(opened === channel)
        try await remote.waitForEnd()
        let selected = try #require(await pc.stats().selectedCandidatePair)
        #expect(remote.udpAddresses.contains { selected.hasSuffix("-> \($0)") }, "\(selected) vs \(remote.applied)")
        try await AiortcDataChannelInteropTests.exerciseEcho(channel, count: 100)
        await channel.close()
        try await peer.waitForLine(timeout: 20) { $0.contains("\"event\": \"close\"") }
        await pc.close()
    }

    /// Chromium's candidates (UDP, TCP, end-of-candidates) are applied BEFORE its offer: they
    /// must be kept until the offer is set, not rejected, and then used.
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
        #expect(!remote.udpAddresses.isEmpty)
        #expect(await pc.stats().remoteCandidatesIgnored == remote.tcpCount)
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
