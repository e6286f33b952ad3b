import NIOCore
import RTCCore
import RTCSTUN
import RTCTestSupport
import Testing
@testable import RTCTURN

/// The code of RTCTURN.docc/GettingStarted.md, kept compiling and correct (on virtual time,
/// against the scripted server instead of a socket).
@Suite struct TURNGettingStartedArticleTests {
    @Test func articleStepsWork() throws {
        var h = TURNHarness()
        #expect(TransportAddress("192.0.2.1:3478") != nil)
        try h.mustAllocate()
        let peer = TransportAddress("198.51.100.7:5000")!
        try h.client.createPermission(for: peer.ip, now: h.now)
        try h.client.bindChannel(to: peer, now: h.now)
        h.pump()
        let transmit = try h.client.send(ByteBuffer(string: "hello"), to: peer, now: h.now)
        #expect(transmit.destination == FakeTURNServer.address)
        #expect(try TURNChannelData(parsing: transmit.payload).data == ByteBuffer(string: "hello"))
        h.client.close(now: h.now)
        h.pump()
        #expect(h.events.last == .closed)
    }
}
