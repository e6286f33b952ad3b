import NIOCore
import RTCCore
import RTCICE
import RTCSTUN
import Testing

/// A host with a loopback and a second address (Pion against `swiftrtc echo` in a namespace with
/// a veth): the peer checks and nominates the path from its 10.99.0.1 to our 127.0.0.1, a pair
/// our own pairing rule (loopback only with loopback) never forms. The agent must add that pair
/// on the peer's check, check it back and select it — answering it without ever selecting it
/// left ICE connected on the peer's side and DTLS waiting forever.
@Suite struct ICEPairsPathsThePeerProvedTests {
    static let ourLoopback = TransportAddress("127.0.0.1:5000")!
    static let ourVeth = TransportAddress("10.99.0.1:5001")!
    static let peer = TransportAddress("10.99.0.1:6000")!
    static let peerCredentials = ICECredentials(ufrag: "peer", password: "peerpasswordpeerpassword")

    @Test func aNominatedLoopbackToVethPathIsCheckedAndSelected() throws {
        var configuration = ICEConfiguration()
        configuration.includeLoopback = true
        var agent = ICEAgent(configuration: configuration, role: .controlled, rng: SeededRandom(seed: 7))
        var now = NIODeadline.uptimeNanoseconds(1_000_000_000)
        var rng = SeededRandom(seed: 8)
        agent.setRemoteCredentials(Self.peerCredentials, now: now)
        agent.startGathering(localAddresses: [Self.ourLoopback, Self.ourVeth], now: now)
        agent.addRemoteCandidate(ICECandidate(foundation: "1", priority: 2_130_706_431, address: Self.peer, type: .host), now: now)
        while agent.pollTransmit() != nil {}

        // The peer's nominating check, from its 10.99.0.1 to our 127.0.0.1.
        var request = STUNMessage(type: .bindingRequest, transactionID: .random(using: &rng))
        request.append(.username("\(agent.localCredentials.ufrag):\(Self.peerCredentials.ufrag)"))
        request.append(.priority(1_862_270_975))
        request.append(.iceControlling(42))
        request.append(.useCandidate)
        let encoded = request.encoded(integrity: .shortTerm(password: agent.localCredentials.password), fingerprint: true)
        now = now + .milliseconds(10)
        agent.handle(ReceivedDatagram(source: Self.peer, destination: Self.ourLoopback, payload: encoded), now: now)

        // A success response, and a triggered check of our own on the same path.
        var ourCheck: STUNParsedMessage?
        var answered = false
        for _ in 0..<10 {
            guard let t = agent.pollTransmit() else {
                agent.handleTimeout(now: now)
                now = now + .milliseconds(5)
                continue
            }
            let m = try STUNParsedMessage(t.payload)
            #expect(t.source == Self.ourLoopback && t.destination == Self.peer, "\(t.source) → \(t.destination)")
            if m.message.type == .bindingSuccess { answered = true } else if m.message.type == .bindingRequest { ourCheck = m; break }
        }
        #expect(answered)
        let check = try #require(ourCheck, "no triggered check on the nominated path")

        // The peer answers our check: the nominated pair is valid and selected.
        var response = STUNMessage(type: .bindingSuccess, transactionID: check.message.transactionID)
        response.append(.xorMappedAddress(Self.ourLoopback, transactionID: check.message.transactionID))
        let reply = response.encoded(integrity: .shortTerm(password: Self.peerCredentials.password), fingerprint: true)
        agent.handle(ReceivedDatagram(source: Self.peer, destination: Self.ourLoopback, payload: reply), now: now)
        #expect(agent.connectionState == .connected)
        #expect(agent.selectedPair?.local.address == Self.ourLoopback)
        #expect(agent.selectedPair?.remote.address == Self.peer)
    }
}
