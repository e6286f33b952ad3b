import Foundation
import Logging
import RTCTestSupport
import SwiftRTC
import Testing

/// What a peer connection logs: its states at info with its `pc` id, every channel close and
/// failure with its reason, and nothing per message.
@Suite(.serialized) struct PeerConnectionLoggingTests {
    static func client(_ logs: CapturedLogs, level: Logger.Level) -> WebRTCClient {
        WebRTCClient(engine: .native) { $0.defaultConnectionConfiguration.logger = logs.logger(level: level) }
    }

    static func closedEvent(_ pc: PeerConnection) async throws -> DataChannel {
        try await withTimeout(15, "a data channel to close") {
            for await event in pc.dataChannelEvents {
                if case .closed(let channel) = event { return channel }
            }
            throw TestTimeout(what: "dataChannelEvents ended")
        }
    }

    /// Two peers connect, a channel opens and is closed: each side's state changes, handshake
    /// and channel events are at info, tagged with its own `pc` id, and the close names a reason.
    @Test func statesAndChannelCloseAreLoggedWithTheConnectionID() async throws {
        try InteropEnvironment.requirePrivateNamespace()
        let logs = CapturedLogs()
        let client = Self.client(logs, level: .info)
        let a = try await client.createPeerConnection()
        let b = try await client.createPeerConnection()
        #expect(a.logID != b.logID && a.logID.count == 8)
        let local = try await a.createDataChannel("chat")
        try await SwiftToSwiftDataChannelTests.connect(a, b)
        _ = try await SwiftToSwiftDataChannelTests.firstOpen(a)
        _ = try await SwiftToSwiftDataChannelTests.firstOpen(b)
        await local.close()
        let closedOnB = try await Self.closedEvent(b)
        #expect(closedOnB.closeReason == nil)
        await a.close()
        await b.close()

        let all = logs.records
        #expect(all.allSatisfy { $0.level >= .info }, "the base logger's level holds")
        #expect(all.allSatisfy { $0["pc"] == a.logID || $0["pc"] == b.logID }, "\(all)")
        for (pc, role) in [(a, "server"), (b, "client")] {
            let mine = logs.records(pc: pc.logID)
            #expect(mine.contains { $0.level == .info && $0.message == "connection state connected" }, "\(mine)")
            #expect(mine.contains { $0.level == .info && $0.message == "ICE state connected" && ($0["pair"] ?? "none") != "none" }, "\(mine)")
            #expect(mine.contains { $0.level == .info && $0.message == "DTLS handshake complete" && $0["role"] == role }, "\(mine)")
            #expect(mine.contains { $0.level == .info && $0.message == "channel open" && $0["label"] == "chat" }, "\(mine)")
            #expect(mine.contains { $0.message == "channel closed" && $0["label"] == "chat" && !($0["reason"] ?? "").isEmpty }, "\(mine)")
            #expect(mine.contains { $0.level == .info && $0.message == "connection state closed" }, "\(mine)")
        }
        #expect(logs.records(pc: b.logID).contains { $0["reason"] == "closed normally (its SCTP stream was reset by this side or the peer)" })
    }

    /// The answer names the wrong certificate: the offerer's DTLS handshake fails, and its
    /// failure and its channel's close are logged at error/warning with the reason the API shows.
    @Test func aFailedConnectionIsLoggedWithItsReason() async throws {
        try InteropEnvironment.requirePrivateNamespace()
        let logs = CapturedLogs()
        let client = Self.client(logs, level: .info)
        let a = try await client.createPeerConnection()
        let b = try await client.createPeerConnection()
        let channel = try await a.createDataChannel("doomed")
        try await a.setLocalDescription(try await a.createOffer())
        try await withTimeout(10, "offerer gathering") { try await a.awaitIceGatheringComplete() }
        try await b.setRemoteDescription(try #require(await a.localDescription))
        try await b.setLocalDescription(try await b.createAnswer())
        try await withTimeout(10, "answerer gathering") { try await b.awaitIceGatheringComplete() }
        var answer = try #require(await b.localDescription)
        answer.sdp = Self.wrongFingerprint(answer.sdp)
        try await a.setRemoteDescription(answer)
        try await withTimeout(30, "the offerer to fail") {
            for await state in a.connectionStateUpdates where state == .failed { return }
            throw TestTimeout(what: "connectionStateUpdates ended")
        }
        let reason = try #require(await a.failureReason)
        #expect(reason.contains("fingerprint"), "the reason names what failed: \(reason)")
        let mine = logs.records(pc: a.logID)
        #expect(mine.contains { $0.level >= .error && $0.message == "connection state failed" && $0["reason"] == reason }, "\(mine)")
        #expect(mine.contains { $0.level == .error && $0.message == "DTLS handshake failed" && $0["reason"] == reason }, "\(mine)")
        #expect(channel.closeReason == reason)
        #expect(mine.contains { $0.level == .warning && $0.message == "channel closed" && $0["label"] == "doomed" && $0["reason"] == reason }, "\(mine)")
        await a.close()
        await b.close()
    }

    /// The answerer is gone before the offerer applies its answer: no check is ever answered,
    /// checking fails once every pair's checks have run out, and the failure is logged under
    /// `swiftrtc.ice` and `swiftrtc.peerconnection` at error with the reason the API shows.
    /// The answerer gets the offer without candidates, so it never reaches the offerer itself
    /// (with them its first check could succeed and its ClientHello, then its close_notify,
    /// reach the offerer: a DTLS failure, tested in RTCSessionTests, not this one).
    @Test func anICEFailureIsLoggedWithItsReason() async throws {
        try InteropEnvironment.requirePrivateNamespace()
        let logs = CapturedLogs()
        let client = Self.client(logs, level: .info)
        let a = try await client.createPeerConnection()
        let b = try await client.createPeerConnection()
        let channel = try await a.createDataChannel("unreachable")
        try await a.setLocalDescription(try await a.createOffer())
        try await withTimeout(10, "offerer gathering") { try await a.awaitIceGatheringComplete() }
        var offer = try #require(await a.localDescription)
        offer.sdp = offer.sdp.split(separator: "\r\n", omittingEmptySubsequences: false)
            .filter { !$0.hasPrefix("a=candidate:") }.joined(separator: "\r\n")
        try await b.setRemoteDescription(offer)
        try await b.setLocalDescription(try await b.createAnswer())
        try await withTimeout(10, "answerer gathering") { try await b.awaitIceGatheringComplete() }
        let answer = try #require(await b.localDescription)
        #expect(await b.iceConnectionState == .new, "the answerer knew no candidate of the offerer's")
        await b.close()
        try await a.setRemoteDescription(answer)
        try await withTimeout(60, "the offerer's ICE to fail") {
            for await state in a.iceConnectionStateUpdates where state == .failed { return }
            throw TestTimeout(what: "iceConnectionStateUpdates ended")
        }
        try await withTimeout(5, "the connection to fail") {
            for await state in a.connectionStateUpdates where state == .failed { return }
            throw TestTimeout(what: "connectionStateUpdates ended")
        }
        let reason = try #require(await a.failureReason)
        #expect(reason.contains("ICE connectivity checks failed"))
        let mine = logs.records(pc: a.logID)
        #expect(mine.contains { $0.level == .error && $0.message == "ICE state failed" && $0["reason"] == reason }, "\(mine)")
        #expect(mine.contains { $0.level == .error && $0.message == "connection state failed" && $0["reason"] == reason }, "\(mine)")
        #expect(!mine.contains { $0.message == "DTLS handshake failed" }, "an ICE failure is not blamed on DTLS")
        #expect(mine.contains { $0.level == .warning && $0.message == "channel closed" && $0["label"] == "unreachable" && $0["reason"] == reason }, "\(mine)")
        #expect(channel.closeReason == reason)
        await a.close()
    }

    /// Moving 1 MiB in 256 messages logs nothing above debug and no more than a handful of
    /// records at any level, even with the logger at trace: nothing is logged per message.
    @Test func aBulkTransferLogsNothingPerMessage() async throws {
        try InteropEnvironment.requirePrivateNamespace()
        let logs = CapturedLogs()
        let client = Self.client(logs, level: .trace)
        let a = try await client.createPeerConnection()
        let b = try await client.createPeerConnection()
        let local = try await a.createDataChannel("bulk")
        try await SwiftToSwiftDataChannelTests.connect(a, b)
        _ = try await SwiftToSwiftDataChannelTests.firstOpen(a)
        let remote = try await SwiftToSwiftDataChannelTests.firstOpen(b)
        let before = logs.records.count
        #expect(logs.records.contains { $0.level == .debug }, "debug records are captured at trace")

        let message = [UInt8](repeating: 7, count: 4096)
        let count = 256
        async let received: Int = withTimeout(60, "1 MiB to arrive") {
            var bytes = 0
            while bytes < count * message.count { bytes += try await remote.receiveBinary().count }
            return bytes
        }
        for _ in 0..<count { try await local.send(message) }
        #expect(try await received == 1 << 20)

        let during = Array(logs.records.dropFirst(before))
        #expect(during.filter { $0.level > .debug }.isEmpty, "\(during)")
        #expect(during.count <= 4, "\(during.count) records while 256 messages moved: \(during.prefix(10))")
        await a.close()
        await b.close()
    }

    /// The SDP with its first fingerprint changed in its first byte.
    static func wrongFingerprint(_ sdp: String) -> String {
        var lines = sdp.components(separatedBy: "\r\n")
        guard let index = lines.firstIndex(where: { $0.hasPrefix("a=fingerprint:sha-256 ") }) else { return sdp }
        let prefix = "a=fingerprint:sha-256 "
        let rest = lines[index].dropFirst(prefix.count)
        lines[index] = prefix + (rest.hasPrefix("00") ? "11" : "00") + rest.dropFirst(2)
        return lines.joined(separator: "\r\n")
    }
}
