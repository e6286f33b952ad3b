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

    /// The send side keeps the last SSRC's counter apart from the others: interleaved SSRCs,
    /// one wrapping, each keep their own rollover counter, and a counter set from outside wins.
    @Test(arguments: SRTPProtectionProfile.allCases)
    func interleavedSSRCsKeepTheirOwnRolloverCounters(profile: SRTPProtectionProfile) throws {
        var (sender, receiver) = try SRTPContextTests.pair(profile)
        let video: UInt32 = 0x0000_0A0A, audio: UInt32 = 0x0000_0B0B
        var sent: [(plain: [UInt8], packet: ByteBuffer)] = []
        for n in 0..<8 {
            for (ssrc, seq) in [(video, UInt16(truncatingIfNeeded: 65_532 + n)), (audio, UInt16(100 + n))] {
                let plain = rtpPacket(seq: seq, ssrc: ssrc, payload: Array(repeating: UInt8(n), count: 30))
                var packet = ByteBuffer(bytes: plain)
                try sender.protect(&packet)
                sent.append((plain, packet))
            }
        }
        #expect(sender.sendRolloverCounter(ssrc: video)?.roc == 1 && sender.sendRolloverCounter(ssrc: video)?.highestSequence == 3)
        #expect(sender.sendRolloverCounter(ssrc: audio)?.roc == 0 && sender.sendRolloverCounter(ssrc: audio)?.highestSequence == 107)
        for (plain, packet) in sent {
            var copy = packet
            try receiver.unprotect(&copy)
            #expect(bytes(copy) == plain)
        }
        // Audio was protected last; a counter set for it replaces the one kept apart.
        sender.setSendRolloverCounter(SRTPRolloverCounter(firstSequence: 500, roc: 7), ssrc: audio)
        #expect(sender.sendRolloverCounter(ssrc: audio) == SRTPRolloverCounter(firstSequence: 500, roc: 7))
        var next = ByteBuffer(bytes: rtpPacket(seq: 501, ssrc: audio, payload: [1, 2, 3]))
        try sender.protect(&next)
        #expect(sender.sendRolloverCounter(ssrc: audio)?.roc == 7 && sender.sendRolloverCounter(ssrc: audio)?.highestSequence == 501)
        #expect(sender.sendRolloverCounter(ssrc: video)?.roc == 1, "the other SSRC's counter went back to the dictionary intact")
    }
}
