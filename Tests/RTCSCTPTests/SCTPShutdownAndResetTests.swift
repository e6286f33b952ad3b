import NIOCore
import RTCCore
import RTCTestSupport
import Testing
@testable import RTCSCTP

@Suite struct SCTPShutdownAndResetTests {
    @Test func shutdownDeliversQueuedDataThenClosesBothSides() throws {
        var pair = SCTPPair(conditions: LinkConditions(loss: 0.1), seed: 61)
        let connected = pair.connect()
        #expect(connected)
        for i in 0..<50 { try pair.a.send(stream: 0, ppid: 51, payload: ByteBuffer(string: "m\(i)"), now: pair.now) }
        pair.a.shutdown(now: pair.now)
        #expect(throws: SCTPSendError.notEstablished) {
            try pair.a.send(stream: 0, ppid: 51, payload: ByteBuffer(string: "late"), now: pair.now)
        }
        pair.run(until: { $0.a.state == .closed && $0.b.state == .closed }, for: .seconds(120))
        #expect(pair.eventsB.messages.map { String(buffer: $0.payload) } == (0..<50).map { "m\($0)" })
        #expect(pair.eventsA.last == .closed && pair.eventsB.last == .closed)
    }

    @Test func abortClosesThePeerWithUserInitiatedAbort() {
        var pair = SCTPPair()
        let connected = pair.connect()
        #expect(connected)
        pair.a.abort(now: pair.now)
        #expect(pair.a.state == .closed)
        pair.run(for: .seconds(1))
        #expect(pair.b.state == .closed)
        #expect(pair.eventsA.last == .aborted(.localAbort))
        #expect(pair.eventsB.last == .aborted(.peerAborted([SCTPErrorCause(code: SCTPErrorCause.userInitiatedAbort)])))
    }

    @Test func resettingAStreamUnderLossResetsOnlyThatStream() throws {
        var pair = SCTPPair(conditions: LinkConditions(loss: 0.1, reorder: 0.05, duplicate: 0.05), seed: 71)
        let connected = pair.connect()
        #expect(connected)
        for i in 0..<30 {
            try pair.a.send(stream: 1, ppid: 51, payload: ByteBuffer(string: "one \(i)"), now: pair.now)
            try pair.a.send(stream: 2, ppid: 51, payload: ByteBuffer(string: "two \(i)"), now: pair.now)
        }
        try pair.a.resetStreams([1], now: pair.now)
        #expect(throws: SCTPSendError.streamResetting(1)) {
            try pair.a.send(stream: 1, ppid: 51, payload: ByteBuffer(string: "x"), now: pair.now)
        }
        pair.run(until: { $0.eventsA.contains(.outgoingStreamsReset([1])) }, for: .seconds(120))
        #expect(pair.eventsA.contains(.outgoingStreamsReset([1])))
        #expect(pair.eventsB.contains(.incomingStreamsReset([1])))
        let one = pair.eventsB.messages.filter { $0.stream == 1 }.map { String(buffer: $0.payload) }
        #expect(one == (0..<30).map { "one \($0)" })
        // After the reset the stream's sequence numbers restart at 0 on both sides.
        try pair.a.send(stream: 1, ppid: 51, payload: ByteBuffer(string: "one again"), now: pair.now)
        try pair.a.send(stream: 2, ppid: 51, payload: ByteBuffer(string: "two again"), now: pair.now)
        pair.run(until: { $0.eventsB.messages.count == 62 }, for: .seconds(60))
        #expect(pair.eventsB.messages.filter { $0.stream == 1 }.last.map { String(buffer: $0.payload) } == "one again")
        #expect(pair.eventsB.messages.filter { $0.stream == 2 }.map { String(buffer: $0.payload) } == (0..<30).map { "two \($0)" } + ["two again"])
        #expect(!pair.eventsB.contains(.incomingStreamsReset([2])))
    }
}
