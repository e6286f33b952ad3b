import RTCCore
import Testing
import RTCSDP

/// Inconsistent offers and answers give typed ``JSEPError``s or clean rejections, never a crash;
/// randomly mutated real offers are answered or refused with a typed error.
@Suite struct JSEPHostileInputTests {
    typealias T = JSEPTestSupport
    static let transport = JSEPTestSupport.transport("bbbb", setup: .active)

    @Test func theBaseOfferIsValid() throws {
        #expect(try T.jsepError(T.videoOffer()) == nil)
        let answer = try JSEP.answer(to: SDPDocument(parsing: T.videoOffer()), transceivers: [], transport: Self.transport,
                                     sessionID: 1, previousVersion: nil)
        #expect(answer.rejections.isEmpty && answer.description.media[0].formats == ["96", "97"])
    }

    @Test func badRTXAssociations() throws {
        #expect(try T.jsepError(T.videoOffer(rtx: ["a=rtpmap:97 rtx/90000", "a=fmtp:97 apt=55"]))
                == .invalidRTXAssociation(mid: "0", payloadType: 97, apt: "55"))
        #expect(try T.jsepError(T.videoOffer(rtx: ["a=rtpmap:97 rtx/90000"]))
                == .invalidRTXAssociation(mid: "0", payloadType: 97, apt: nil))
        #expect(try T.jsepError(T.videoOffer(rtx: ["a=rtpmap:97 rtx/90000", "a=fmtp:97 apt=x"]))
                == .invalidRTXAssociation(mid: "0", payloadType: 97, apt: "x"))
        #expect(try T.jsepError(T.videoOffer(rtx: ["a=rtpmap:97 rtx/90000", "a=fmtp:97 apt=97"]))
                == .invalidRTXAssociation(mid: "0", payloadType: 97, apt: "97"))
        // apt naming a payload type that is not on the m= line.
        #expect(try T.jsepError(T.videoOffer(extra: ["a=rtpmap:98 VP9/90000"], rtx: ["a=rtpmap:97 rtx/90000", "a=fmtp:97 apt=98"]))
                == .invalidRTXAssociation(mid: "0", payloadType: 97, apt: "98"))
    }

    @Test func duplicateAndMissingPayloadTypes() throws {
        #expect(try T.jsepError(T.videoOffer(formats: "96 97 96")) == .duplicatePayloadType(mid: "0", payloadType: 96))
        #expect(try T.jsepError(T.videoOffer(extra: ["a=rtpmap:96 VP9/90000"])) == .duplicatePayloadType(mid: "0", payloadType: 96))
        #expect(try T.jsepError(T.videoOffer(extra: ["a=fmtp:96 x=1", "a=fmtp:96 x=2"]))
                == .duplicateFormatParameters(mid: "0", payloadType: 96))
        #expect(try T.jsepError(T.videoOffer(formats: "96 97 100")) == .missingRTPMap(mid: "0", payloadType: 100))
        #expect(try T.jsepError(T.videoOffer(formats: "96 97 vp8")) == .invalidPayloadType(mid: "0", format: "vp8"))
        #expect(try T.jsepError(T.videoOffer(formats: "96 97 128")) == .invalidPayloadType(mid: "0", format: "128"))
        // Static payload types need no rtpmap.
        #expect(try T.jsepError(T.videoOffer(formats: "96 97 0 8")) == nil)
    }

    @Test func midsAndBundle() throws {
        #expect(try T.jsepError(T.videoOffer(mid: nil, bundle: nil)) == .missingMid(mLineIndex: 0))
        #expect(try T.jsepError(T.videoOffer(mid: "")) == .duplicateMid(""))
        #expect(try T.jsepError(T.videoOffer(bundle: "0 7")) == .unknownBundleMid("7"))
        let twice = T.videoOffer(bundle: nil) + "m=audio 9 UDP/TLS/RTP/SAVPF 0\r\na=mid:0\r\n"
        #expect(try T.jsepError(twice) == .duplicateMid("0"))
        let noMidStopped = T.videoOffer(bundle: nil) + "m=audio 0 UDP/TLS/RTP/SAVPF 0\r\n"
        #expect(try T.jsepError(noMidStopped) == nil)
    }

    @Test func extensionsAndSSRCGroups() throws {
        for id in [0, 15, 256] {
            #expect(try T.jsepError(T.videoOffer(extra: ["a=extmap:\(id) urn:x"])) == .invalidExtensionID(mid: "0", id: UInt16(id)))
        }
        #expect(try T.jsepError(T.videoOffer(extra: ["a=extmap:3 urn:x", "a=extmap:3 urn:y"])) == .conflictingExtensionID(mid: "0", id: 3))
        #expect(try T.jsepError(T.videoOffer(extra: ["a=extmap:3 urn:x", "a=extmap:3 urn:x"])) == nil)
        #expect(try T.jsepError(T.videoOffer(extra: ["a=ssrc-group:FID 1 2 3"])) == .invalidSSRCGroup(mid: "0", semantics: "FID", count: 3))
        #expect(try T.jsepError(T.videoOffer(extra: ["a=ssrc-group:SIM 1 2 3"])) == nil)
    }

    @Test func unknownCodecsAndMissingRTCPMuxAreRejectedCleanly() throws {
        let unknown = T.videoOffer(formats: "120", extra: ["a=rtpmap:120 funky/90000"], rtx: [])
        let a = try JSEP.answer(to: SDPDocument(parsing: unknown), transceivers: [], transport: Self.transport, sessionID: 1, previousVersion: nil)
        #expect(a.rejections == [JSEPRejection(mLineIndex: 0, mid: "0", reason: .noCommonCodec)])
        #expect(a.description.media[0].port == 0 && a.description.media[0].formats == ["120"] && a.description.bundleMids == nil)
        // One known codec among unknown ones: answered without the unknown ones.
        let mixed = T.videoOffer(formats: "120 96 97", extra: ["a=rtpmap:120 funky/90000"])
        let b = try JSEP.answer(to: SDPDocument(parsing: mixed), transceivers: [], transport: Self.transport, sessionID: 1, previousVersion: nil)
        #expect(b.description.media[0].formats == ["96", "97"])
        let noMux = T.videoOffer().replacingOccurrences(of: "a=rtcp-mux\r\n", with: "")
        let c = try JSEP.answer(to: SDPDocument(parsing: noMux), transceivers: [], transport: Self.transport, sessionID: 1, previousVersion: nil)
        #expect(c.rejections.map(\.reason) == [.rtcpMuxRequired])
        let application = T.videoOffer().replacingOccurrences(of: "m=video 9 UDP/TLS/RTP/SAVPF", with: "m=text 9 UDP/TLS/RTP/SAVPF")
        let d = try JSEP.answer(to: SDPDocument(parsing: application), transceivers: [], transport: Self.transport, sessionID: 1, previousVersion: nil)
        #expect(d.rejections.map(\.reason) == [.unsupportedMedia] && d.description.media[0].kind == "text")
    }

    @Test func bundleOnlySectionsAreNotStopped() throws {
        let text = T.videoOffer(bundle: "0 1") + "m=audio 0 UDP/TLS/RTP/SAVPF 111\r\na=bundle-only\r\na=mid:1\r\na=rtcp-mux\r\n"
            + "a=rtpmap:111 opus/48000/2\r\n"
        let offer = try SDPDocument(parsing: text)
        let audio = try JSEPTestSupport.section(offer, 1)
        #expect(audio.isBundleOnly && !audio.isStopped)
        let a = try JSEP.answer(to: offer, transceivers: [], transport: Self.transport, sessionID: 1, previousVersion: nil)
        #expect(a.rejections.isEmpty && a.description.bundleMids == ["0", "1"] && a.description.media[1].port == 9)
    }

    @Test func withoutBundleOnlyTheFirstSectionIsAccepted() throws {
        let two = T.videoOffer(bundle: nil) + "m=audio 9 UDP/TLS/RTP/SAVPF 0\r\na=mid:a\r\na=rtcp-mux\r\n"
        let a = try JSEP.answer(to: SDPDocument(parsing: two), transceivers: [], transport: Self.transport, sessionID: 1, previousVersion: nil)
        #expect(a.rejections == [JSEPRejection(mLineIndex: 1, mid: "a", reason: .notBundled)])
        #expect(a.description.bundleMids == nil && a.description.media[0].port == 9)
    }

    @Test func inconsistentAnswers() throws {
        let offer = try SDPDocument(parsing: T.videoOffer())
        var answer = try JSEP.answer(to: offer, transceivers: [], transport: Self.transport, sessionID: 1, previousVersion: nil).description
        #expect(try JSEPNegotiation(offer: offer, answer: answer, localIsOfferer: true).media.count == 1)
        var extra = answer
        var copy = answer.media[0]
        copy.attributes = copy.attributes.map { $0 == .mid("0") ? .mid("9") : $0 }
        extra.media.append(copy)
        #expect(throws: JSEPError.mLineCountMismatch(offer: 1, answer: 2)) {
            try JSEPNegotiation(offer: offer, answer: extra, localIsOfferer: true)
        }
        var renamed = answer
        renamed.media[0].attributes = renamed.media[0].attributes.map { $0 == .mid("0") ? .mid("x") : $0 }
        renamed.attributes = [.group(.bundle(["x"]))]
        #expect(throws: JSEPError.mLineMismatch(mLineIndex: 0, offered: "0", answered: "x")) {
            try JSEPNegotiation(offer: offer, answer: renamed, localIsOfferer: true)
        }
        answer.media[0].formats = ["100"]
        answer.media[0].attributes.append(.rtpMap(RTPMap(payloadType: 100, encodingName: "VP8", clockRate: 90_000)))
        #expect(throws: JSEPError.answerCodecNotOffered(mid: "0", payloadType: 100)) {
            try JSEPNegotiation(offer: offer, answer: answer, localIsOfferer: true)
        }
    }

    @Test func offerBuilderRefusesBadTransceivers() {
        let t = Self.transport
        #expect(throws: JSEPError.duplicateMid("0")) {
            try JSEP.offer(transceivers: [JSEPTransceiver(mid: "0", kind: .audio)], data: JSEPDataSection(mid: "0"),
                           transport: t, sessionID: 1, previousVersion: nil)
        }
        #expect(throws: JSEPError.invalidTransceiver(mid: "0")) {
            try JSEP.offer(transceivers: [JSEPTransceiver(mid: "0", kind: .application)], data: nil,
                           transport: t, sessionID: 1, previousVersion: nil)
        }
    }

    /// Random byte mutations of the real audio+video+data offers: each one parses and is
    /// answered, or fails with a typed error.
    @Test(arguments: ["chromium-offer-av-data.sdp", "aiortc-offer-av-data.sdp", "chromium-offer-simulcast.sdp"])
    func mutatedOffersAreAnsweredOrRefused(name: String) throws {
        let original = Array(try SDPFixtures.text(name).utf8)
        var rng = SeededRandom(seed: 0x5EED &+ UInt64(name.utf8.count))
        var answered = 0
        var refused = 0
        for _ in 0..<300 {
            let text = String(decoding: SDPMutatedInputTests.mutate(original, &rng), as: UTF8.self)
            guard let document = try? SDPDocument(parsing: text) else { continue }
            do {
                let answer = try JSEP.answer(to: document, transceivers: [], transport: Self.transport, sessionID: 1, previousVersion: nil)
                #expect(answer.description.media.count == document.media.count)
                _ = try JSEPNegotiation(offer: document, answer: answer.description, localIsOfferer: false)
                answered += 1
            } catch {
                refused += 1
            }
        }
        #expect(answered > 0)
    }
}
