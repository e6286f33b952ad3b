import Foundation
import NIOCore
import RTCCore
import RTCTestSupport
import Testing
@testable import RTCSRTP

/// Interop with libsrtp 2 (Debian's libsrtp2, driven by scripts/libsrtp-harness.c, which
/// scripts/test.sh builds and names in `$SWIFTRTC_LIBSRTP_HARNESS`): for all four profiles,
/// packets libsrtp protects unprotect with ours and the reverse, RTP and RTCP, across the
/// sequence wrap 65535 → 0 — on CRTCCrypto and on the swift-crypto fallback.
@Suite struct SRTPLibsrtpInteropTests {
    struct Job {
        var profile: UInt16
        var key: String
        var rtp_protect: [String]
        var rtp_unprotect: [String]
        var rtcp_protect: [String]
        var rtcp_unprotect: [String]

        /// The harness's job file: "profile N", "key HEX", then one "<kind> HEX" per packet.
        var text: String {
            var lines = ["profile \(profile)", "key \(key)"]
            for (kind, packets) in [("rtp_protect", rtp_protect), ("rtp_unprotect", rtp_unprotect),
                                    ("rtcp_protect", rtcp_protect), ("rtcp_unprotect", rtcp_unprotect)] {
                lines += packets.map { "\(kind) \($0)" }
            }
            return lines.joined(separator: "\n") + "\n"
        }
    }

    struct HarnessFailed: Error, CustomStringConvertible {
        var description: String
    }

    struct Result: Codable {
        var rtp_protect: [String]
        var rtp_unprotect: [String]
        var rtcp_protect: [String]
        var rtcp_unprotect: [String]
    }

    /// The harness binary: `$SWIFTRTC_LIBSRTP_HARNESS`, else `<repo>/.build/libsrtp-harness`.
    /// Missing means the test fails (scripts/test.sh builds it), never a skip.
    static func harness() throws -> String {
        if let path = ProcessInfo.processInfo.environment["SWIFTRTC_LIBSRTP_HARNESS"] {
            guard FileManager.default.isExecutableFile(atPath: path) else {
                throw InteropPeerMissing("SWIFTRTC_LIBSRTP_HARNESS=\(path) is not an executable; scripts/test.sh builds it from scripts/libsrtp-harness.c")
            }
            return path
        }
        let built = InteropEnvironment.repositoryRoot.appendingPathComponent(".build/libsrtp-harness").path
        guard FileManager.default.isExecutableFile(atPath: built) else {
            throw InteropPeerMissing("the libsrtp harness is not built: run scripts/test.sh, or cc -O2 -o \(built) scripts/libsrtp-harness.c -lsrtp2 (needs libsrtp2-dev)")
        }
        return built
    }

    func libsrtp(_ job: Job) async throws -> Result {
        let harness = try Self.harness()
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("srtp-job-\(UUID().uuidString).txt")
        let resultFile = file.appendingPathExtension("result")
        try Data(job.text.utf8).write(to: file)
        defer {
            try? FileManager.default.removeItem(at: file)
            try? FileManager.default.removeItem(at: resultFile)
        }
        // The result goes to a file read after exit: a fast-exiting child's last pipe output
        // can still be in flight when the process is seen gone.
        let process = try PeerProcess("libsrtp", executable: harness, arguments: ["interop", file.path, resultFile.path])
        defer { process.terminate() }
        let status = try await process.waitForExit(timeout: 60)
        guard status == 0, let text = try? String(contentsOf: resultFile, encoding: .utf8), text.hasPrefix("RESULT ") else {
            throw HarnessFailed(description: "libsrtp harness exited with status \(status) without a result:\n\(process.allOutput)")
        }
        return try JSONDecoder().decode(Result.self, from: Data(text.dropFirst("RESULT ".count).utf8))
    }

    @Test(arguments: SRTPProtectionProfile.allCases, SRTPCipher.Implementation.allCases)
    func packetsCrossBetweenLibsrtpAndUs(profile: SRTPProtectionProfile, implementation: SRTPCipher.Implementation) async throws {
        try await SRTPCipher.$implementation.withValue(implementation) {
            try await crossWithLibsrtp(profile: profile, implementation: implementation)
        }
    }

    func crossWithLibsrtp(profile: SRTPProtectionProfile, implementation: SRTPCipher.Implementation) async throws {
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
        #expect(rtpOut.usesNativeCrypto == (implementation == .automatic && nativeCryptoAvailable))
        #expect(rtcpOut.usesNativeCrypto == rtpOut.usesNativeCrypto)
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
