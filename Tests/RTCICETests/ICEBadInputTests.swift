import NIOCore
import RTCCore
import RTCICE
import RTCSTUN
import RTCTestSupport
import Testing

/// Bad input is answered per RFC 8445 §7.3 / RFC 8489 §6.3 or dropped, counted, never a crash.
@Suite struct ICEBadInputTests {
    let now = NIODeadline.virtualStart
    let local = TransportAddress("10.0.0.2:6000")!
    let peer = TransportAddress("10.0.0.1:5000")!
    let peerCredentials = ICECredentials(ufrag: "peerufrag", password: "peerpasswordpeerpassword")

    func makeAgent() -> ICEAgent {
        var agent = ICEAgent(role: .controlled, rng: SeededRandom(seed: 3))
        agent.startGathering(localAddresses: [local], now: now)
        agent.setRemoteCredentials(peerCredentials, now: now)
        while agent.pollTransmit() != nil {}
        while agent.pollEvent() != nil {}
        return agent
    }

    func request(to agent: ICEAgent, username: String? = nil, password: String? = nil, extra: [STUNAttribute] = [],
                 fingerprint: Bool = true, integrity: Bool = true) -> ByteBuffer {
        var rng = SeededRandom(seed: 99)
        var m = STUNMessage(type: .bindingRequest, transactionID: .random(using: &rng))
        m.append(.username(username ?? "\(agent.localCredentials.ufrag):\(peerCredentials.ufrag)"))
        m.append(.priority(1_845_501_695))
        m.append(.iceControlling(1))
        m.attributes += extra
        let key = STUNIntegrityKey.shortTerm(password: password ?? agent.localCredentials.password)
        return m.encoded(integrity: integrity ? key : nil, fingerprint: fingerprint)
    }

    func deliver(_ payload: ByteBuffer, to agent: inout ICEAgent) -> (ReceivedDatagram?, [STUNParsedMessage]) {
        let data = agent.receive(ReceivedDatagram(source: peer, destination: local, payload: payload), now: now)
        var responses: [STUNParsedMessage] = []
        while let t = agent.pollTransmit() {
            if let p = try? STUNParsedMessage(t.payload), p.message.type.messageClass != .request { responses.append(p) }
        }
        return (data, responses)
    }

    @Test func validCheckIsAnsweredWithIntegrityAndMappedAddress() throws {
        var agent = makeAgent()
        let (_, responses) = deliver(request(to: agent), to: &agent)
        let r = try #require(responses.first)
        #expect(r.message.type == .bindingSuccess)
        #expect(r.message.xorMappedAddress == peer)
        #expect(r.verifyIntegrity(.shortTerm(password: agent.localCredentials.password)))
        #expect(r.verifyFingerprint())
        #expect(agent.remoteCandidates.contains { $0.address == peer && $0.type == .peerReflexive })
    }

    @Test func wrongPasswordGets401() throws {
        var agent = makeAgent()
        let (_, responses) = deliver(request(to: agent, password: "not-the-password-at-all"), to: &agent)
        #expect(responses.first?.message.errorCode?.code == 401)
        #expect(agent.statistics.unauthenticatedRejected == 1)
        #expect(agent.remoteCandidates.isEmpty, "nothing learned from an unauthenticated check")
    }

    @Test func wrongUsernameGets401() {
        var agent = makeAgent()
        let (_, responses) = deliver(request(to: agent, username: "someoneelse:peerufrag"), to: &agent)
        #expect(responses.first?.message.errorCode?.code == 401)
    }

    @Test func missingIntegrityGets400() {
        var agent = makeAgent()
        let (_, responses) = deliver(request(to: agent, integrity: false), to: &agent)
        #expect(responses.first?.message.errorCode?.code == 400)
    }

    @Test func badOrMissingFingerprintIsDroppedAndCounted() {
        var agent = makeAgent()
        var bad = request(to: agent)
        let last = bad.writerIndex - 1
        bad.setInteger(bad.getInteger(at: last, as: UInt8.self)! ^ 0xff, at: last)
        let (_, r1) = deliver(bad, to: &agent)
        let (_, r2) = deliver(request(to: agent, fingerprint: false), to: &agent)
        #expect(r1.isEmpty && r2.isEmpty)
        #expect(agent.statistics.badFingerprintDropped == 2)
    }

    @Test func unknownComprehensionRequiredAttributeGets420() throws {
        var agent = makeAgent()
        let unknown = STUNAttributeType(rawValue: 0x7ABC)
        let (_, responses) = deliver(request(to: agent, extra: [STUNAttribute(type: unknown, value: [1])]), to: &agent)
        let r = try #require(responses.first)
        #expect(r.message.errorCode?.code == 420)
        #expect(r.message.unknownAttributes == [unknown])
        #expect(agent.statistics.unknownAttributeRejected == 1)
        // Unknown comprehension-optional attributes are fine.
        let (_, ok) = deliver(request(to: agent, extra: [STUNAttribute(type: STUNAttributeType(rawValue: 0xC0DE), value: [])]), to: &agent)
        #expect(ok.first?.message.type == .bindingSuccess)
    }

    @Test func shortAndMalformedPacketsAreDroppedAndCounted() {
        var agent = makeAgent()
        for bytes: [UInt8] in [[], [0x00], [0x00, 0x01, 0x00], Array(repeating: 0, count: 19), [0x01] + Array(repeating: 0xff, count: 30)] {
            let (data, responses) = deliver(ByteBuffer(bytes: bytes), to: &agent)
            #expect(data == nil && responses.isEmpty)
        }
        #expect(agent.statistics.malformedDropped == 5)
    }

    @Test func unmatchedResponsesAndUnknownSourcesAreDropped() {
        var agent = makeAgent()
        var rng = SeededRandom(seed: 5)
        let response = STUNMessage(type: .bindingSuccess, transactionID: .random(using: &rng),
                                   attributes: [.xorMappedAddress(local, transactionID: STUNTransactionID(high: 0, low: 0))]).encoded(fingerprint: true)
        _ = deliver(response, to: &agent)
        #expect(agent.statistics.unmatchedResponsesDropped == 1)
        let (data, _) = deliver(ByteBuffer(bytes: [0x17, 0xfe, 0xfd, 0, 0]), to: &agent)
        #expect(data == nil, "DTLS from an unknown address is not handed up")
        #expect(!agent.acceptsApplicationData(from: peer))
        // Handed to the agent anyway, a non-STUN datagram is dropped and counted.
        agent.handle(ReceivedDatagram(source: peer, destination: local, payload: ByteBuffer(bytes: [0x17, 0xfe, 0xfd, 0, 0])), now: now)
        #expect(agent.statistics.unknownSourceDropped == 1)
    }

    @Test func randomAndMutatedDatagramsNeverCrash() {
        var agent = makeAgent()
        var rng = SeededRandom(seed: 11)
        let seed = Array(request(to: agent).readableBytesView)
        for i in 0..<5_000 {
            var bytes = seed
            if i % 3 == 0 {
                bytes = rng.bytes(Int(rng.next() % 120))
            } else {
                for _ in 0..<Int(rng.next() % 6) + 1 { bytes[Int(rng.next() % UInt64(bytes.count))] = UInt8(truncatingIfNeeded: rng.next()) }
            }
            _ = deliver(ByteBuffer(bytes: bytes), to: &agent)
            agent.handleTimeout(now: now + .milliseconds(Int64(i)))
        }
        let s = agent.statistics
        #expect(s.malformedDropped + s.badFingerprintDropped + s.unknownSourceDropped + s.unauthenticatedRejected > 1_000)
    }
}
