import Foundation
import Testing
import RTCSDP

/// The demux table of a real Chromium ↔ aiortc call (Tests/RTCRTPTests/Fixtures: the SDP pair and
/// plaintext RTP packets of that call) routes every captured packet to the right mid and says
/// which are RTX — reading the `sdes:mid` extension when present, else the SSRC.
@Suite struct JSEPDemuxesRealPacketsTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("RTCRTPTests/Fixtures")

    /// SSRC, payload type and the text of one-byte header extension `midID`, read by hand
    /// (RFC 3550 §5.1, RFC 8285 §4.2) so this test does not depend on RTCRTP.
    static func fields(_ b: [UInt8], midID: UInt16?) -> (ssrc: UInt32, payloadType: UInt8, mid: String?) {
        let ssrc = UInt32(b[8]) << 24 | UInt32(b[9]) << 16 | UInt32(b[10]) << 8 | UInt32(b[11])
        var mid: String?
        var i = 12 + 4 * Int(b[0] & 0x0F)
        if b[0] & 0x10 != 0, b[i] == 0xBE, b[i + 1] == 0xDE {
            let end = i + 4 + 4 * (Int(b[i + 2]) << 8 | Int(b[i + 3]))
            i += 4
            while i < end {
                let id = b[i] >> 4
                let length = Int(b[i] & 0x0F) + 1
                if id == 0 { i += 1; continue }
                if id == 15 { break }
                if UInt16(id) == midID { mid = String(decoding: b[(i + 1)..<(i + 1 + length)], as: UTF8.self) }
                i += 1 + length
            }
        }
        return (ssrc, b[1] & 0x7F, mid)
    }

    @Test(arguments: [("chromium", false), ("aiortc", true)])
    func routesEveryCapturedPacket(sender: String, localIsOfferer: Bool) throws {
        let offer = try SDPDocument(parsing: String(contentsOf: Self.fixtures.appendingPathComponent("chromium-offer.sdp"), encoding: .utf8))
        let answer = try SDPDocument(parsing: String(contentsOf: Self.fixtures.appendingPathComponent("aiortc-answer.sdp"), encoding: .utf8))
        let negotiation = try JSEPNegotiation(offer: offer, answer: answer, localIsOfferer: localIsOfferer)
        var demux = negotiation.demuxTable
        let names = try FileManager.default.contentsOfDirectory(atPath: Self.fixtures.path)
            .filter { $0.hasPrefix("\(sender)-rtp-") }.sorted()
        #expect(names.count >= 4)
        var withMid = 0
        for name in names {
            let bytes = Array(try Data(contentsOf: Self.fixtures.appendingPathComponent(name)))
            let p = Self.fields(bytes, midID: demux.midExtensionID)
            if p.mid != nil { withMid += 1 }
            let routed = demux.route(mid: p.mid, ssrc: p.ssrc, payloadType: p.payloadType)
            let route = try #require(routed, "\(name)")
            let media = try #require(negotiation.media(mid: route.mid))
            switch p.payloadType {
            case 111: #expect(media.kind == .audio && !route.isRTX, "\(name)")
            case 96: #expect(media.kind == .video && !route.isRTX && route.codecPayloadType == 96, "\(name)")
            case 97: #expect(media.kind == .video && route.isRTX && route.codecPayloadType == 96, "\(name)")
            default: Issue.record("unexpected payload type in \(name)")
            }
            if let mid = p.mid { #expect(mid == route.mid) }
        }
        #expect(withMid > 0)
    }
}
