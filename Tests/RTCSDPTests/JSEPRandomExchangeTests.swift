import RTCCore
import Testing
import RTCSDP

/// Random transceiver sets on two of our endpoints: every offer/answer exchange (and the re-offer
/// that follows it) is read by both sides as mirror images — what one sends the other receives,
/// the same codecs and ids, SSRCs seen across, and an `o=` version that grows.
@Suite struct JSEPRandomExchangeTests {
    static let directions: [MediaDirection] = [.sendrecv, .sendonly, .recvonly, .inactive]

    static func transceivers(_ rng: inout SeededRandom, mids: Range<Int>, base: UInt32) -> [JSEPTransceiver] {
        mids.map { i in
            let kind: JSEPMediaKind = Bool.random(using: &rng) ? .audio : .video
            let direction = directions.randomElement(using: &rng)!
            let sender = Bool.random(using: &rng)
                ? JSEPSender(trackID: "t\(i)", streamIDs: ["s"], ssrc: base + UInt32(i) * 2, rtxSSRC: base + UInt32(i) * 2 + 1, cname: "c")
                : nil
            return JSEPTransceiver(mid: String(i), kind: kind, direction: direction,
                                   isStopped: Int.random(in: 0..<8, using: &rng) == 0, sender: sender)
        }
    }

    static func checkMirror(offer: SDPDocument, answer: SDPDocument) throws {
        let a = try JSEPNegotiation(offer: offer, answer: answer, localIsOfferer: true)
        let b = try JSEPNegotiation(offer: offer, answer: answer, localIsOfferer: false)
        #expect(a.media.map(\.mid) == b.media.map(\.mid) && a.dataMid == b.dataMid && a.bundleMids == b.bundleMids)
        #expect(Set(a.bundleMids) == Set(a.media.map(\.mid) + [a.dataMid].compactMap { $0 }))
        for (x, y) in zip(a.media, b.media) {
            #expect(x.direction == y.direction.reversed, "mid \(x.mid)")
            #expect(x.codecs == y.codecs && x.headerExtensions == y.headerExtensions)
            #expect(x.remote.mediaSSRCs == y.local.mediaSSRCs && y.remote.mediaSSRCs == x.local.mediaSSRCs)
            if x.direction.sends, let ssrc = x.localSSRCs?.media {
                var demux = b.demuxTable
                #expect(demux.route(mid: nil, ssrc: ssrc, payloadType: x.codecs[0].payloadType)?.mid == x.mid)
                if let rtx = x.codecs[0].rtxPayloadType, let rtxSSRC = x.localSSRCs?.rtx {
                    #expect(demux.route(mid: nil, ssrc: rtxSSRC, payloadType: rtx)?.isRTX == true)
                }
            }
        }
    }

    @Test func randomExchangesAreMirrorImages() throws {
        var rng = SeededRandom(seed: 0x15E9)
        let alice = JSEPTestSupport.transport("aaaa", setup: .actpass)
        let bob = JSEPTestSupport.transport("bbbb", setup: .active)
        for _ in 0..<60 {
            let count = Int.random(in: 1...5, using: &rng)
            let offered = Self.transceivers(&rng, mids: 0..<count, base: 1000)
            let data = Bool.random(using: &rng) ? JSEPDataSection(mid: String(count)) : nil
            let offer = try JSEP.offer(transceivers: offered, data: data, transport: alice, sessionID: 1, previousVersion: nil)
            // Bob's transceivers share some mids (and so kinds, sometimes not) with Alice's.
            let answering = Self.transceivers(&rng, mids: 0..<count, base: 5000).filter { _ in Bool.random(using: &rng) }
            let result = try JSEP.answer(to: try SDPDocument(parsing: offer.serialized()), transceivers: answering,
                                         transport: bob, sessionID: 2, previousVersion: nil)
            let answer = try SDPDocument(parsing: result.description.serialized())
            #expect(answer.media.count == offer.media.count)
            try Self.checkMirror(offer: offer, answer: answer)

            // Bob re-offers what he negotiated; Alice answers with her transceivers.
            let atBob = try JSEPNegotiation(offer: offer, answer: answer, localIsOfferer: false)
            let sections: [JSEPLocalSection] = try JSEPDescription(answer).sections.compactMap { section in
                switch section {
                case .media(let m):
                    let negotiated = atBob.media(mid: m.mid)
                    var t = answering.first { $0.mid == m.mid && $0.kind == m.kind }
                        ?? JSEPTransceiver(mid: m.mid, kind: m.kind, direction: .recvonly)
                    t.isStopped = t.isStopped || m.isStopped
                    t.codecs = negotiated?.codecs
                    t.headerExtensions = negotiated?.headerExtensions
                    return .media(t)
                case .data(let d): return d.port == 0 ? nil : .data(JSEPDataSection(mid: d.mid ?? "x"))
                case .unsupported: return nil
                }
            }
            guard sections.count == answer.media.count else { continue }  // a rejected data section is not re-offered
            let reoffer = try JSEP.offer(sections: sections, transport: bob, sessionID: 2, previousVersion: answer.origin.sessionVersion)
            #expect(reoffer.origin.sessionVersion == answer.origin.sessionVersion + 1)
            let reanswer = try JSEP.answer(to: reoffer, transceivers: offered, transport: alice, sessionID: 1,
                                           previousVersion: offer.origin.sessionVersion).description
            #expect(reanswer.origin.sessionVersion == 2)
            try Self.checkMirror(offer: reoffer, answer: reanswer)
            for m in try JSEPNegotiation(offer: reoffer, answer: reanswer, localIsOfferer: true).media {
                #expect(m.codecs.map(\.payloadType) == atBob.media(mid: m.mid)?.codecs.map(\.payloadType), "mid \(m.mid)")
            }
        }
    }
}
