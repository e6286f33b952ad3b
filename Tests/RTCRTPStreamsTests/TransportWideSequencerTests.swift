import NIOCore
import RTCCore
import RTCRTP
import RTCRTPStreams
import Testing

@Suite struct TransportWideSequencerTests {
    let t0 = SendFixture.start

    @Test func oneCounterNumbersPacketsOfTwoStreamsInSendOrder() throws {
        let ext = RTPSendStreamConfiguration.HeaderExtensions(midID: 1, mid: "0", transportWideSequenceNumberID: 5)
        var video = SendFixture.stream(SendFixture.config(rtx: true, extensions: ext) { $0.initialSequenceNumber = 10 })
        var audio = RTPSendStream(
            configuration: RTPSendStreamConfiguration(ssrc: 0x3333_3333, payloadType: 111, clockRate: 48_000, cname: "send-test",
                                                      headerExtensions: .init(midID: 1, mid: "1", transportWideSequenceNumberID: 5)),
            ntpClock: SendFixture.clock, rng: SeededRandom(seed: 3))
        var sequencer = TransportWideSequencer(firstSequenceNumber: 65_534)
        var wire: [RTPSendStreamTransmit] = []

        video.sendPayloads([SendFixture.payload([1]), SendFixture.payload([2])], captureTime: t0, now: t0)
        audio.sendPayloads([SendFixture.payload([3])], captureTime: t0, now: t0)
        wire += audio.drain(stampingWith: &sequencer)
        wire += video.drain(stampingWith: &sequencer)
        let later = t0 + .milliseconds(20)
        audio.sendPayloads([SendFixture.payload([4])], captureTime: later, now: later)
        video.handle(SendFixture.compound(.transportFeedback(.genericNACK(
            RTCPGenericNACK(senderSSRC: 1, mediaSSRC: SendFixture.mediaSSRC, lost: [11])))), now: later)
        wire += video.drain(stampingWith: &sequencer)
        wire += audio.drain(stampingWith: &sequencer)
        // A sender report carries no transport-wide number and uses none.
        video.handleTimeout(now: try #require(video.nextDeadline))
        wire += video.drain(stampingWith: &sequencer)

        #expect(wire.map(\.kind) == [.rtp, .rtp, .rtp, .rtp, .rtp, .rtcp])
        #expect(wire.map(\.transportWideSequenceNumber) == [65_534, 65_535, 0, 1, 2, nil])
        let packets = try wire.dropLast().map { try $0.rtp() }
        #expect(packets.map { $0.header.headerExtension?.element(id: 5)?.transportWideSequenceNumber } == [65_534, 65_535, 0, 1, 2])
        #expect(packets.map(\.header.ssrc) == [0x3333_3333, SendFixture.mediaSSRC, SendFixture.mediaSSRC, SendFixture.rtxSSRC, 0x3333_3333])
        #expect(wire[3].isRetransmission)
        #expect(packets[3].header.headerExtension?.element(id: 1)?.text == "0")
        #expect(sequencer.nextSequenceNumber == 3 && sequencer.stampedPackets == 5)

        // The stamp is in the cached copy too: a plain resend of it carries a fresh number.
        var plain = TransportWideSequencer()
        var bytes = wire[0].bytes
        #expect(plain.stamp(&bytes, at: try #require(wire[0].transportWideSequenceNumberOffset)) == 1)
        #expect(plain.stamp(&bytes, at: bytes.readableBytes - 1) == nil && plain.nextSequenceNumber == 2)
    }
}
