import Foundation
import NIOCore
import RTCCore
import RTCTestSupport
import Testing
@testable import RTCSRTP

/// Interop with libsrtp 2 (bundled in the test venv's pylibsrtp, driven by
/// scripts/srtp-libsrtp-peer.py): for all four profiles, packets libsrtp protects unprotect
/// with ours and the reverse, RTP and RTCP, across the sequence wrap 65535 → 0.
@Suite struct SRTPLibsrtpInteropTests {
    struct Job: Codable {
        var profile: UInt16
        var key: String
        var rtp_protect: [String]
        var rtp_unprotect: [String]
        var rtcp_protect: [String]
        var rtcp_unprotect: [String]
    }

    struct Result: Codable {
        var rtp_protect: [String]
        var rtp_unprotect: [String]
        var rtcp_protect: [String]
        var rtcp_unprotect: [String]
    }

    func libsrtp(_ job: Job) async throws -> Result {
        let python = try InteropEnvironment.peerPython()
        let script = InteropEnvironment.repositoryRoot.appendingPathComponent("scripts/srtp-libsrtp-peer.py").path
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("srtp-job-\(UUID().uuidString).json")
        try JSONEncoder().encode(job).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let process = try PeerProcess("libsrtp", executable: python, arguments: [script, file.path])
        defer { process.terminate() }
        let line = try await process.waitForLine(timeout: 60) { $0.hasPrefix("RESULT ") }
        return try JSONDecoder().decode(Result.self, from: Data(line.dropFirst("RESULT ".count).utf8))
    }

    @Test(arguments: SRTPProtectionProfile.allCases)
    func packetsCrossBetweenLibsrtpAndUs(profile: SRTPProtectionProfile) async throws {
        let master = testMaster(profile, seed: 0x11B5 &+ UInt64(profile.rawValue))
        let ssrc: UInt32 = 0xDEC0_DE01
        // Sequence numbers 65530 … 65535, 0 … 5: the rollover counter moves to 1 mid-way.
        let sequences = (0..<12).map { UInt16(truncatingIfNeeded: 65_530 + $0) }
        let rtpPlain = sequences.enumerated().map { i, s in
            rtpPacket(seq: s, ssrc: ssrc, csrcs: i % 3 == 0 ? [7] : [], extensionWords: i % 2, payload: (0..<(40 + i * 50)).map { UInt8(($0 * 13 + i) & 0xFF) })
        }
        let rtcpPlain = (1...3).map { rtcpPacket(ssrc: ssrc, blocks: $0) }

        var rtpOut = try SRTPContext(profile: profile, master: master)
        var rtcpOut = try SRTCPContext(profile: profile, master: master)
        var ours: [[UInt8]] = []
        for p in rtpPlain {
            var b = ByteBuffer(bytes: p)
            try rtpOut.protect(&b)
            ours.append(bytes(b))
        }
        var oursRTCP: [[UInt8]] = []
        for p in rtcpPlain {
            var b = ByteBuffer(bytes: p)
            try rtcpOut.protect(&b)
            oursRTCP.append(bytes(b))
        }

        let result = try await libsrtp(Job(
            profile: profile.rawValue, key: Hex.encode(master.key + master.salt),
            rtp_protect: rtpPlain.map { Hex.encode($0) }, rtp_unprotect: ours.map { Hex.encode($0) },
            rtcp_protect: rtcpPlain.map { Hex.encode($0) }, rtcp_unprotect: oursRTCP.map { Hex.encode($0) }))

        // libsrtp opens ours.
        #expect(result.rtp_unprotect == rtpPlain.map { Hex.encode($0) })
        #expect(result.rtcp_unprotect == rtcpPlain.map { Hex.encode($0) })
        // SRTP is deterministic for a key and index: libsrtp's packets are byte for byte ours.
        #expect(result.rtp_protect == ours.map { Hex.encode($0) })

        // We open libsrtp's (its SRTCP index starts at 1, ours at 0: the receiver reads it).
        var rtpIn = try SRTPContext(profile: profile, master: master)
        for (theirs, plain) in zip(result.rtp_protect, rtpPlain) {
            var b = ByteBuffer(bytes: try #require(Hex.decode(theirs), "libsrtp: \(theirs)"))
            try rtpIn.unprotect(&b)
            #expect(bytes(b) == plain)
        }
        #expect(rtpIn.receiveRolloverCounter(ssrc: ssrc)?.roc == 1)
        var rtcpIn = try SRTCPContext(profile: profile, master: master)
        for (theirs, plain) in zip(result.rtcp_protect, rtcpPlain) {
            var b = ByteBuffer(bytes: try #require(Hex.decode(theirs), "libsrtp: \(theirs)"))
            try rtcpIn.unprotect(&b)
            #expect(bytes(b) == plain)
        }
        #expect(rtcpIn.statistics.unprotected == 3)
    }
}
