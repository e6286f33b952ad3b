import NIOCore
import RTCRTP
import RTCRTPStreams
import Testing

@Suite struct NACKGeneratorTests {
    @Test func gapIsRequestedAtOnceInOneBatch() {
        var nack = NACKGenerator(senderSSRC: 1, mediaSSRC: 2)
        nack.handleReceived(100, now: Recv.t0)
        nack.handleReceived(101, now: Recv.t0)
        #expect(nack.pollNACK() == nil)
        nack.handleReceived(105, now: Recv.ms(1))
        let request = nack.pollNACK()
        #expect(request?.lostSequenceNumbers == [102, 103, 104])
        #expect(request?.pairs.count == 1)
        #expect(request?.mediaSSRC == 2 && request?.senderSSRC == 1)
        #expect(nack.pollNACK() == nil)
        #expect(nack.nextDeadline == Recv.ms(101))  // default RTT 100 ms
    }

    @Test func retriesAreSpacedByTheRoundTripTime() {
        var nack = NACKGenerator(senderSSRC: 1, mediaSSRC: 2)
        nack.roundTripTime = .milliseconds(40)
        nack.handleReceived(65_536 + 65_534, now: Recv.t0)
        nack.handleReceived(65_536 + 65_537, now: Recv.t0)  // 65535 and 0 (wrapped) missing
        #expect(nack.pollNACK()?.lostSequenceNumbers == [65_535, 0])
        nack.handleTimeout(now: Recv.ms(39))
        #expect(nack.pollNACK() == nil)
        nack.handleTimeout(now: Recv.ms(40))
        #expect(nack.pollNACK()?.lostSequenceNumbers == [65_535, 0])
        nack.handleReceived(65_536 + 65_535, now: Recv.ms(50))
        #expect(nack.recovered == 1)
        nack.handleTimeout(now: Recv.ms(80))
        #expect(nack.pollNACK()?.lostSequenceNumbers == [0])
        #expect(nack.requestsSent == 5)
    }

    @Test func givesUpAfterTheRetryBound() {
        var nack = NACKGenerator(senderSSRC: 1, mediaSSRC: 2, configuration: .init(maxRetries: 3, maxAge: .seconds(10)))
        nack.roundTripTime = .milliseconds(50)
        nack.handleReceived(10, now: Recv.t0)
        nack.handleReceived(12, now: Recv.t0)
        var now = Recv.t0
        var requests = 0
        while let deadline = nack.nextDeadline {
            now = deadline
            while nack.pollNACK() != nil { requests += 1 }
            nack.handleTimeout(now: now)
        }
        while nack.pollNACK() != nil { requests += 1 }
        #expect(requests == 3)
        #expect(nack.giveUps == 1)
        #expect(nack.pollGiveUp() == 11)
        #expect(now == Recv.ms(150))
    }

    @Test func givesUpAfterTheAgeBound() {
        var nack = NACKGenerator(senderSSRC: 1, mediaSSRC: 2, configuration: .init(maxRetries: 100, maxAge: .milliseconds(300)))
        nack.roundTripTime = .milliseconds(100)
        nack.handleReceived(10, now: Recv.t0)
        nack.handleReceived(13, now: Recv.t0)
        for t in [100, 200, 300] as [Int64] { nack.handleTimeout(now: Recv.ms(t)) }
        #expect(nack.nacksSent == 3)
        #expect(nack.giveUps == 2)
        #expect(nack.nextDeadline == nil)
    }

    @Test func hugeGapIsBounded() {
        var nack = NACKGenerator(senderSSRC: 1, mediaSSRC: 2, configuration: .init(maxTrackedPackets: 100))
        nack.handleReceived(0, now: Recv.t0)
        nack.handleReceived(2_000, now: Recv.t0)
        #expect(nack.missingSequenceNumbers.count == 100)
        #expect(nack.missingSequenceNumbers.first == 1_900)
        #expect(nack.giveUps == 1_899)
    }
}
