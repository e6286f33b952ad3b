import NIOCore
import RTCCore
import RTCTestSupport
import Testing
@testable import RTCSRTP

/// Round trips, rollover, replay and bad input for `SRTPContext` and `SRTCPContext`.
@Suite struct SRTPContextTests {
    static let profiles = SRTPProtectionProfile.allCases

    static func pair(_ profile: SRTPProtectionProfile, seed: UInt64 = 7) throws -> (SRTPContext, SRTPContext) {
        let master = testMaster(profile, seed: seed)
        return (try SRTPContext(profile: profile, master: master), try SRTPContext(profile: profile, master: master))
    }

    static func rtcpPair(_ profile: SRTPProtectionProfile, seed: UInt64 = 7) throws -> (SRTCPContext, SRTCPContext) {
        let master = testMaster(profile, seed: seed)
        return (try SRTCPContext(profile: profile, master: master), try SRTCPContext(profile: profile, master: master))
    }

    // MARK: Round trips

    @Test(arguments: profiles, implementations)
    func rtpRoundTripsWithCSRCsAndExtensions(profile: SRTPProtectionProfile, implementation: SRTPCipher.Implementation) throws {
        try using(implementation) {
            var (sender, receiver) = try Self.pair(profile)
            let payload = (0..<1200).map { UInt8($0 & 0xFF) }
            let shapes: [([UInt32], Int, Int)] = [([], 0, 1200), ([0xAAAA_0001, 0xAAAA_0002], 0, 100), ([7], 3, 40), ([], 1, 0)]
            for (i, (csrcs, ext, n)) in shapes.enumerated() {
                let plain = rtpPacket(seq: UInt16(100 + i), ssrc: 0x1111_2222, csrcs: csrcs, extensionWords: ext, payload: Array(payload[0..<n]))
                var packet = ByteBuffer(bytes: plain)
                try sender.protect(&packet)
                #expect(packet.readableBytes == plain.count + profile.srtpTagLength)
                let headerLength = 12 + 4 * csrcs.count + (ext > 0 ? 4 + 4 * ext : 0)
                // The header stays in the clear; the payload does not (when there is one).
                #expect(Array(bytes(packet)[0..<headerLength]) == Array(plain[0..<headerLength]))
                if n > 0 { #expect(Array(bytes(packet)[headerLength..<plain.count]) != Array(plain[headerLength...])) }
                try receiver.unprotect(&packet)
                #expect(bytes(packet) == plain)
            }
            #expect(receiver.receiveRolloverCounter(ssrc: 0x1111_2222)?.highestSequence == 103)
        }
    }

    @Test(arguments: profiles, implementations)
    func rtcpRoundTripsAndCountsIndexes(profile: SRTPProtectionProfile, implementation: SRTPCipher.Implementation) throws {
        try using(implementation) {
            var (sender, receiver) = try Self.rtcpPair(profile)
            for blocks in [0, 1, 3] {
                let plain = rtcpPacket(ssrc: 0x0BAD_CAFE, blocks: blocks)
                var packet = ByteBuffer(bytes: plain)
                try sender.protect(&packet)
                #expect(packet.readableBytes == plain.count + 4 + profile.srtcpTagLength)
                let wordOffset = profile.isAEAD ? packet.readableBytes - 4 : plain.count
                #expect(packet.getInteger(at: wordOffset, as: UInt32.self) == 0x8000_0000 | UInt32(blocks == 0 ? 0 : blocks == 1 ? 1 : 2))
                try receiver.unprotect(&packet)
                #expect(bytes(packet) == plain)
            }
            #expect(sender.nextSendIndex(ssrc: 0x0BAD_CAFE) == 3)
        }
    }

    @Test(arguments: profiles, implementations)
    func unencryptedSRTCPIsAuthenticatedOnly(profile: SRTPProtectionProfile, implementation: SRTPCipher.Implementation) throws {
        try using(implementation) {
            let master = testMaster(profile, seed: 3)
            var sender = try SRTCPContext(profile: profile, master: master, encrypts: false)
            var receiver = try SRTCPContext(profile: profile, master: master)
            let plain = rtcpPacket(ssrc: 42, blocks: 2)
            var packet = ByteBuffer(bytes: plain)
            try sender.protect(&packet)
            #expect(Array(bytes(packet)[0..<plain.count]) == plain)
            try receiver.unprotect(&packet)
            #expect(bytes(packet) == plain)
        }
    }

    @Test(arguments: implementations)
    func directionsWithDifferentKeysDoNotOpenEachOther(implementation: SRTPCipher.Implementation) throws {
        try using(implementation) {
            var sender = try SRTPContext(profile: .aeadAes128Gcm, master: testMaster(.aeadAes128Gcm, seed: 1))
            var receiver = try SRTPContext(profile: .aeadAes128Gcm, master: testMaster(.aeadAes128Gcm, seed: 2))
            var packet = ByteBuffer(bytes: rtpPacket(seq: 1, ssrc: 9, payload: [1, 2, 3]))
            try sender.protect(&packet)
            #expect(srtpError { try receiver.unprotect(&packet) } == .authenticationFailed)
        }
    }

    // MARK: Rollover counter

    @Test func indexEstimationFollowsRFC3711() {
        var counter = SRTPRolloverCounter(firstSequence: 65_530)
        #expect(counter.estimateIndex(65_535) == 65_535)
        #expect(counter.estimateIndex(2) == 1 << 16 | 2)          // just after the wrap
        #expect(counter.estimateIndex(40_000) == 40_000)          // far behind: same rollover
        counter.update(1 << 16 | 2)
        #expect(counter.roc == 1 && counter.highestSequence == 2)
        #expect(counter.estimateIndex(65_534) == 65_534)          // late packet from before the wrap
        #expect(counter.estimateIndex(3) == 1 << 16 | 3)
        counter.update(65_534)                                    // an older index moves nothing
        #expect(counter.roc == 1 && counter.highestSequence == 2)
        #expect(SRTPRolloverCounter(firstSequence: 10).estimateIndex(60_000) == nil)   // ROC would be −1
        #expect(SRTPRolloverCounter(firstSequence: 60_000, roc: .max).estimateIndex(5) == nil)
    }

    @Test(arguments: profiles, implementations)
    func rolloverAcrossTheWrapWithReordering(profile: SRTPProtectionProfile, implementation: SRTPCipher.Implementation) throws {
        try using(implementation) {
            var (sender, receiver) = try Self.pair(profile)
            let ssrc: UInt32 = 0x5EED
            var protected: [UInt16: (ByteBuffer, [UInt8])] = [:]
            var seq: UInt16 = 65_500
            for i in 0..<100 {
                let plain = rtpPacket(seq: seq, ssrc: ssrc, payload: [UInt8(i), 0xEE])
                var packet = ByteBuffer(bytes: plain)
                try sender.protect(&packet)
                protected[seq] = (packet, plain)
                seq &+= 1
            }
            #expect(sender.sendRolloverCounter(ssrc: ssrc)?.roc == 1)
            // In order up to 65530, then reordered across the wrap, then in order again.
            let order: [UInt16] = Array(65_500...65_530) + [65_533, 65_535, 1, 65_531, 0, 65_534, 3, 2, 65_532]
                + Array(4...63)
            for s in order {
                var (packet, plain) = protected[s]!
                try receiver.unprotect(&packet)
                #expect(bytes(packet) == plain, "seq \(s)")
            }
            let counter = try #require(receiver.receiveRolloverCounter(ssrc: ssrc))
            #expect(counter.roc == 1 && counter.highestSequence == 63)
            // Every one of them is now a replay, including those from before the wrap.
            for s in [UInt16(65_534), 0, 63] {
                var (packet, _) = protected[s]!
                #expect(srtpError { try receiver.unprotect(&packet) } == .replayed)
            }
        }
    }

    @Test(arguments: implementations)
    func aStreamMayStartJustBeforeTheWrap(implementation: SRTPCipher.Implementation) throws {
        try using(implementation) {
            var (sender, receiver) = try Self.pair(.aes128CmHmacSha1_80)
            for s: UInt16 in [65_535, 0, 1] {
                let plain = rtpPacket(seq: s, ssrc: 1, payload: [9])
                var packet = ByteBuffer(bytes: plain)
                try sender.protect(&packet)
                try receiver.unprotect(&packet)
                #expect(bytes(packet) == plain)
            }
            #expect(receiver.receiveRolloverCounter(ssrc: 1)?.roc == 1)
        }
    }

    // MARK: Replay, forgery, truncation

    @Test(arguments: profiles, implementations)
    func replaysAndTooOldPacketsAreRefused(profile: SRTPProtectionProfile, implementation: SRTPCipher.Implementation) throws {
        try using(implementation) {
            var (sender, receiver) = try Self.pair(profile)
            var packets: [ByteBuffer] = []
            for s in 0..<300 {
                var packet = ByteBuffer(bytes: rtpPacket(seq: UInt16(1000 + s), ssrc: 5, payload: [1, 2, 3, 4]))
                try sender.protect(&packet)
                packets.append(packet)
            }
            var first = packets[1]
            try receiver.unprotect(&first)
            var again = packets[1]
            #expect(srtpError { try receiver.unprotect(&again) } == .replayed)
            var last = packets[299]
            try receiver.unprotect(&last)
            var tooOld = packets[2]            // 297 behind the highest: outside a 128-packet window
            #expect(srtpError { try receiver.unprotect(&tooOld) } == .replayed)
            var inWindow = packets[250]
            try receiver.unprotect(&inWindow)
            #expect(receiver.statistics.replayed == 2 && receiver.statistics.unprotected == 3)
            #expect(receiver.statistics.dropped == 2)

            var (rtcpSender, rtcpReceiver) = try Self.rtcpPair(profile)
            var rtcp = ByteBuffer(bytes: rtcpPacket(ssrc: 5))
            try rtcpSender.protect(&rtcp)
            var copy = rtcp
            try rtcpReceiver.unprotect(&rtcp)
            #expect(srtpError { try rtcpReceiver.unprotect(&copy) } == .replayed)
        }
    }

    @Test(arguments: profiles, implementations)
    func forgedTagsAndPayloadsFailAndLeaveTheStreamUntouched(profile: SRTPProtectionProfile, implementation: SRTPCipher.Implementation) throws {
        try using(implementation) {
            var (sender, receiver) = try Self.pair(profile)
            var packet = ByteBuffer(bytes: rtpPacket(seq: 77, ssrc: 8, payload: [UInt8](repeating: 0x42, count: 50)))
            try sender.protect(&packet)
            let genuine = bytes(packet)
            for position in [genuine.count - 1, 20, 2] {   // tag, payload, sequence number
                var forged = genuine
                forged[position] ^= 0x01
                var buffer = ByteBuffer(bytes: forged)
                #expect(srtpError { try receiver.unprotect(&buffer) } == .authenticationFailed, "byte \(position)")
            }
            #expect(receiver.receiveRolloverCounter(ssrc: 8) == nil)
            try receiver.unprotect(&packet)
            #expect(receiver.statistics == {
                var expected = SRTPStatistics()
                expected.authenticationFailed = 3
                expected.unprotected = 1
                return expected
            }())

            var (rtcpSender, rtcpReceiver) = try Self.rtcpPair(profile)
            var rtcp = ByteBuffer(bytes: rtcpPacket(ssrc: 8, blocks: 2))
            try rtcpSender.protect(&rtcp)
            var forged = bytes(rtcp)
            forged[10] ^= 0x80
            var forgedBuffer = ByteBuffer(bytes: forged)
            #expect(srtpError { try rtcpReceiver.unprotect(&forgedBuffer) } == .authenticationFailed)
            try rtcpReceiver.unprotect(&rtcp)
            #expect(rtcpReceiver.statistics.authenticationFailed == 1 && rtcpReceiver.statistics.unprotected == 1)
        }
    }

    @Test(arguments: profiles, implementations)
    func truncatedPacketsFailWithTypedErrors(profile: SRTPProtectionProfile, implementation: SRTPCipher.Implementation) throws {
        try using(implementation) {
            var (sender, receiver) = try Self.pair(profile)
            var packet = ByteBuffer(bytes: rtpPacket(seq: 1, ssrc: 3, csrcs: [1], extensionWords: 2, payload: [1, 2, 3]))
            try sender.protect(&packet)
            let full = bytes(packet)
            for n in 0..<full.count {
                var cut = ByteBuffer(bytes: full[0..<n])
                let error = srtpError { try receiver.unprotect(&cut) }
                if n < 12 + profile.srtpTagLength {
                    #expect(error == .tooShort, "length \(n)")
                } else {
                    #expect(error == .malformedHeader || error == .authenticationFailed, "length \(n)")
                }
            }
            var (rtcpSender, rtcpReceiver) = try Self.rtcpPair(profile)
            var rtcp = ByteBuffer(bytes: rtcpPacket(ssrc: 3))
            try rtcpSender.protect(&rtcp)
            let fullRTCP = bytes(rtcp)
            for n in 0..<fullRTCP.count {
                var cut = ByteBuffer(bytes: fullRTCP[0..<n])
                let error = srtpError { try rtcpReceiver.unprotect(&cut) }
                #expect(error == (n < 12 + profile.srtcpTagLength ? .tooShort : .authenticationFailed), "length \(n)")
            }
            var short = ByteBuffer(bytes: [0x80, 96, 0])
            #expect(srtpError { try sender.protect(&short) } == .tooShort)
            var v1 = ByteBuffer(bytes: [0x40] + [UInt8](repeating: 0, count: 40))
            #expect(srtpError { try sender.protect(&v1) } == .malformedHeader)
        }
    }

    @Test(arguments: implementations)
    func unknownSSRCsAreRefusedWhenAListIsGiven(implementation: SRTPCipher.Implementation) throws {
        try using(implementation) {
            var (sender, receiver) = try Self.pair(.aes128CmHmacSha1_32)
            receiver.allowedSSRCs = [1]
            var packet = ByteBuffer(bytes: rtpPacket(seq: 1, ssrc: 2, payload: [0]))
            try sender.protect(&packet)
            #expect(srtpError { try receiver.unprotect(&packet) } == .unknownSSRC(2))
            var (rtcpSender, rtcpReceiver) = try Self.rtcpPair(.aes128CmHmacSha1_32)
            rtcpReceiver.allowedSSRCs = []
            var rtcp = ByteBuffer(bytes: rtcpPacket(ssrc: 2))
            try rtcpSender.protect(&rtcp)
            #expect(srtpError { try rtcpReceiver.unprotect(&rtcp) } == .unknownSSRC(2))
        }
    }

    @Test(arguments: implementations)
    func srtcpIndexExhaustionIsReported(implementation: SRTPCipher.Implementation) throws {
        try using(implementation) {
            var (sender, _) = try Self.rtcpPair(.aeadAes128Gcm)
            sender.setNextSendIndex(0x7FFF_FFFF, ssrc: 1)
            var last = ByteBuffer(bytes: rtcpPacket(ssrc: 1))
            try sender.protect(&last)
            var next = ByteBuffer(bytes: rtcpPacket(ssrc: 1))
            #expect(srtpError { try sender.protect(&next) } == .indexExhausted)
        }
    }

    // MARK: Random input

    @Test(arguments: profiles, implementations)
    func randomAndMutatedInputNeverCrashesOrAuthenticates(profile: SRTPProtectionProfile, implementation: SRTPCipher.Implementation) throws {
        try using(implementation) {
            var rng = SeededRandom(seed: 0x5127 &+ UInt64(profile.rawValue))
            var (sender, receiver) = try Self.pair(profile)
            var (rtcpSender, rtcpReceiver) = try Self.rtcpPair(profile)
            var rtp = ByteBuffer(bytes: rtpPacket(seq: 9, ssrc: 4, csrcs: [2], extensionWords: 1, payload: rng.bytes(60)))
            try sender.protect(&rtp)
            var rtcp = ByteBuffer(bytes: rtcpPacket(ssrc: 4, blocks: 2))
            try rtcpSender.protect(&rtcp)
            let seeds = [bytes(rtp), bytes(rtcp)]
            for round in 0..<4000 {
                var input: [UInt8]
                if round % 4 == 0 {
                    input = rng.bytes(Int(rng.next() % 120))
                } else {
                    input = seeds[round % 2]
                    rng.mutate(&input)
                    if input == seeds[round % 2] { continue }
                }
                var a = ByteBuffer(bytes: input), b = ByteBuffer(bytes: input)
                #expect(srtpError { try receiver.unprotect(&a) } != nil)
                #expect(srtpError { try rtcpReceiver.unprotect(&b) } != nil)
                var c = ByteBuffer(bytes: input), d = ByteBuffer(bytes: input)
                _ = srtpError { try sender.protect(&c) }
                _ = srtpError { try rtcpSender.protect(&d) }
            }
            #expect(receiver.statistics.unprotected == 0 && receiver.statistics.dropped > 2500)
            // The genuine packets, never delivered so far, still open.
            try receiver.unprotect(&rtp)
            try rtcpReceiver.unprotect(&rtcp)
        }
    }
}
