import NIOCore
import RTCCore
import RTCTestSupport
import Testing
@testable import RTCSRTP

/// `SRTPContext.recoverProtected`: a sender that keeps its protected packets for NACKs gets the
/// plain packet back (to wrap it in RTX) without touching the context, and only for bytes it
/// protected itself.
@Suite struct SRTPRecoverProtectedTests {
    @Test(arguments: SRTPProtectionProfile.allCases, implementations)
    func protectedPacketsComeBackPlainAcrossARolloverAndLeaveTheContextAlone(
        profile: SRTPProtectionProfile, implementation: SRTPCipher.Implementation
    ) throws {
        try using(implementation) {
            var (sender, receiver) = try SRTPContextTests.pair(profile)
            let ssrc: UInt32 = 0x5151_0001
            var plains: [[UInt8]] = []
            var sent: [ByteBuffer] = []
            // Sequence numbers across the 16-bit wrap, one with CSRCs and an extension.
            for (n, seq) in ([65_530, 65_531, 65_535, 0, 1, 7] as [UInt16]).enumerated() {
                let plain = rtpPacket(seq: seq, ssrc: ssrc, csrcs: n == 2 ? [9] : [], extensionWords: n == 2 ? 2 : 0,
                                      payload: (0..<(200 + n)).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ n) })
                var packet = ByteBuffer(bytes: plain)
                try sender.protect(&packet)
                plains.append(plain)
                sent.append(packet)
            }
            let counter = sender.sendRolloverCounter(ssrc: ssrc)
            #expect(counter?.roc == 1)
            // Oldest first, after the rollover: each gets the index it was protected with.
            for (plain, packet) in zip(plains, sent) {
                var copy = packet
                try sender.recoverProtected(&copy)
                #expect(bytes(copy) == plain)
            }
            #expect(sender.sendRolloverCounter(ssrc: ssrc) == counter, "recovering changes no counter")
            // The protected bytes are still what the receiver accepts.
            for (plain, packet) in zip(plains, sent) {
                var copy = packet
                try receiver.unprotect(&copy)
                #expect(bytes(copy) == plain)
            }
        }
    }

    @Test(arguments: SRTPProtectionProfile.allCases)
    func bytesThisContextDidNotProtectAreRefused(profile: SRTPProtectionProfile) throws {
        var (sender, _) = try SRTPContextTests.pair(profile)
        var (other, _) = try SRTPContextTests.pair(profile, seed: 99)
        let plain = rtpPacket(seq: 10, ssrc: 0x0A0A_0A0A, payload: Array(repeating: 0x42, count: 64))
        var packet = ByteBuffer(bytes: plain)
        try sender.protect(&packet)

        // A payload byte or a header byte changed: the tag no longer matches.
        for offset in [20, 1] {
            var tampered = packet
            tampered.setInteger(tampered.getInteger(at: offset, as: UInt8.self)! ^ 0x01, at: offset)
            #expect(throws: SRTPError.authenticationFailed) { try sender.recoverProtected(&tampered) }
        }
        // Another key protected the same SSRC and sequence number.
        var foreign = ByteBuffer(bytes: plain)
        try other.protect(&foreign)
        #expect(throws: SRTPError.authenticationFailed) { try sender.recoverProtected(&foreign) }
        // An SSRC this context never sent.
        var stranger = ByteBuffer(bytes: rtpPacket(seq: 10, ssrc: 0x0B0B_0B0B, payload: Array(repeating: 1, count: 40)))
        try other.protect(&stranger)
        #expect(throws: SRTPError.unknownSSRC(0x0B0B_0B0B)) { try sender.recoverProtected(&stranger) }
        // Too short to hold a header and a tag.
        var short = ByteBuffer(bytes: Array(plain[0..<12]))
        #expect(throws: SRTPError.tooShort) { try sender.recoverProtected(&short) }
    }
}
