import NIOCore
import RTCCore
import RTCSession
import RTCTestSupport
import Testing

@Suite struct SessionOpensDataChannelTests {
    static func opened(_ events: [SessionEvent]) -> [DataChannelInfo] {
        events.compactMap { if case .dataChannel(.opened(let info)) = $0 { info } else { nil } }
    }

    static func messages(_ events: [SessionEvent]) -> [DataChannelMessage] {
        events.compactMap { if case .dataChannel(.message(_, let m)) = $0 { m } else { nil } }
    }

    @Test func twoSessionsOpenAChannelAndExchangeMessages() throws {
        var pair = try SessionPair()
        let handle = try pair.a.createDataChannel(label: "chat", options: DataChannelOptions(), now: pair.now)
        try pair.negotiate()
        pair.run(for: .seconds(10)) { !Self.opened($0.eventsA).isEmpty && !Self.opened($0.eventsB).isEmpty }
        let a = Self.opened(pair.eventsA)
        let b = Self.opened(pair.eventsB)
        #expect(a.map(\.handle) == [handle])
        #expect(b.map(\.label) == ["chat"])
        #expect(a.first?.streamID == b.first?.streamID)
        try pair.a.send(.text("hello"), on: handle, now: pair.now)
        pair.run(for: .seconds(2)) { Self.messages($0.eventsB).count == 1 }
        #expect(Self.messages(pair.eventsB) == [.text("hello")])
        #expect(pair.eventsA.contains { if case .connectionStateChanged(.connected) = $0 { true } else { false } })
    }
}
