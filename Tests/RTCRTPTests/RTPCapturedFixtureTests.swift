import Foundation
import NIOCore
import RTCCore
import Testing

@testable import RTCRTP

/// Real plaintext RTP/RTCP captured from a headless-Chromium ↔ aiortc call by
/// scripts/capture-rtp-fixtures.py (see Fixtures/manifest.json), with both sides' SDP.
@Suite struct RTPCapturedFixtureTests {
    struct Fixture {
        let name: String
        let bytes: [UInt8]
        var fromChromium: Bool { name.hasPrefix("chromium-") }
        var isRTCP: Bool { name.contains("-rtcp-") }
    }

    static let directory: URL = Bundle.module.resourceURL!.appendingPathComponent("Fixtures")

    static func fixtures() throws -> [Fixture] {
        let names = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasSuffix(".bin") }.sorted()
        return try names.map { Fixture(name: $0, bytes: Array(try Data(contentsOf: directory.appendingPathComponent($0)))) }
    }

    static func sdp(_ name: String) throws -> String {
        try String(contentsOf: directory.appendingPathComponent(name), encoding: .utf8)
    }

    /// `a=ssrc:<ssrc> cname:<cname>` lines of an SDP.
    static func cnames(in sdp: String) -> [UInt32: String] {
        var out: [UInt32: String] = [:]
        for line in sdp.split(whereSeparator: \.isNewline) where line.hasPrefix("a=ssrc:") {
            let parts = line.dropFirst(7).split(separator: " ", maxSplits: 1)
            if parts.count == 2, parts[1].hasPrefix("cname:"), let ssrc = UInt32(parts[0]) {
                out[ssrc] = String(parts[1].dropFirst(6))
            }
        }
        return out
    }

    /// `a=extmap:<id> <uri>` lines of an SDP, URI → ID.
    static func extmap(in sdp: String) -> [String: UInt8] {
        var out: [String: UInt8] = [:]
        for line in sdp.split(whereSeparator: \.isNewline) where line.hasPrefix("a=extmap:") {
            let parts = line.dropFirst(9).split(separator: " ")
            if parts.count >= 2, let id = UInt8(parts[0]) { out[String(parts[1])] = id }
        }
        return out
    }

    static func rtcp(from chromium: Bool) throws -> [RTCPPacket] {
        try fixtures().filter { $0.isRTCP && $0.fromChromium == chromium }.flatMap { try RTCPCompoundPacket(parsing: $0.bytes).packets }
    }

    static func rtp(from chromium: Bool) throws -> [RTPPacket] {
        try fixtures().filter { !$0.isRTCP && $0.fromChromium == chromium }.map { try RTPPacket(parsing: $0.bytes) }
    }

    @Test func everyFixtureParsesAndReserializesByteExactly() throws {
        let all = try Self.fixtures()
        #expect(all.filter { $0.isRTCP && $0.fromChromium }.count >= 6)
        #expect(all.filter { !$0.isRTCP && $0.fromChromium }.count >= 4)
        for fixture in all {
            var out = ByteBuffer()
            if fixture.isRTCP {
                let compound = try RTCPCompoundPacket(parsing: fixture.bytes)
                #expect(!compound.packets.isEmpty, "\(fixture.name)")
                for packet in compound.packets {
                    if case .unknown = packet { Issue.record("\(fixture.name): undecoded packet type \(packet.packetType)") }
                }
                compound.serialize(into: &out)
            } else {
                try RTPPacket(parsing: fixture.bytes).serialize(into: &out)
            }
            #expect(Array(out.readableBytesView) == fixture.bytes, "\(fixture.name) does not re-serialize byte-exactly")
        }
    }

    @Test func chromiumSenderReportsDescribeItsOwnStreams() throws {
        let chromiumSSRCs = Set(try Self.rtp(from: true).map(\.header.ssrc))
        let offerCNAMEs = Self.cnames(in: try Self.sdp("chromium-offer.sdp"))
        var senderReports = 0
        for packet in try Self.rtcp(from: true) {
            switch packet {
            case .senderReport(let sr):
                senderReports += 1
                #expect(chromiumSSRCs.contains(sr.ssrc))
                #expect(offerCNAMEs[sr.ssrc] != nil)
                #expect(sr.packetCount > 0 && sr.octetCount > sr.packetCount)
                #expect(sr.ntpTimestamp >> 32 > 3_900_000_000)  // NTP seconds after 2023
            case .sourceDescription(let sdes):
                for chunk in sdes.chunks {
                    #expect(sdes.cname(of: chunk.source) == offerCNAMEs[chunk.source])
                }
            default: break
            }
        }
        #expect(senderReports >= 2)
    }

    @Test func chromiumReceiverReportsAndFeedbackNameAiortcStreams() throws {
        let aiortcSSRCs = Set(try Self.rtp(from: false).map(\.header.ssrc))
        let answerCNAMEs = Self.cnames(in: try Self.sdp("aiortc-answer.sdp"))
        let offerCNAMEs = Self.cnames(in: try Self.sdp("chromium-offer.sdp"))
        var kinds = Set<String>()
        for packet in try Self.rtcp(from: true) {
            switch packet {
            case .receiverReport(let rr):
                kinds.insert("RR")
                for block in rr.reports {
                    #expect(answerCNAMEs[block.ssrc] != nil)
                    #expect(block.cumulativeLost >= 0)
                }
            case .transportFeedback(.genericNACK(let nack)):
                kinds.insert("NACK")
                #expect(aiortcSSRCs.contains(nack.mediaSSRC) || answerCNAMEs[nack.mediaSSRC] != nil)
                #expect(!nack.lostSequenceNumbers.isEmpty)
            case .transportFeedback(.transportWideCC(let twcc)):
                kinds.insert("TWCC")
                let results = twcc.packets
                #expect(results.count == Int(twcc.packetStatusCount))
                #expect(results.first?.sequenceNumber == twcc.baseSequenceNumber)
                #expect(twcc.receiveDeltas.count == results.filter { $0.status != .notReceived }.count)
                #expect(twcc.referenceTime >= 0)
                #expect(answerCNAMEs[twcc.mediaSSRC] != nil)
                // Re-encoding the same arrivals with our own chunk choice decodes to the same results.
                let arrivals = results.map { $0.delta.map { RTCPTransportWideCC.Arrival.received(deltaTicks: $0) } ?? .notReceived }
                let rebuilt = RTCPTransportWideCC(senderSSRC: twcc.senderSSRC, mediaSSRC: twcc.mediaSSRC,
                                                  baseSequenceNumber: twcc.baseSequenceNumber, referenceTime: twcc.referenceTime,
                                                  feedbackPacketCount: twcc.feedbackPacketCount, packets: arrivals)
                #expect(rebuilt.packets.map(\.delta) == results.map(\.delta))
            case .payloadSpecificFeedback(.pictureLossIndication(let pli)):
                kinds.insert("PLI")
                #expect(aiortcSSRCs.contains(pli.mediaSSRC) || answerCNAMEs[pli.mediaSSRC] != nil)
                #expect(offerCNAMEs[pli.senderSSRC] != nil)
            default: break
            }
        }
        #expect(kinds == ["RR", "NACK", "TWCC", "PLI"])
    }

    @Test func chromiumRTPCarriesTheNegotiatedOneByteExtensions() throws {
        let ids = Self.extmap(in: try Self.sdp("aiortc-answer.sdp"))
        let mid = try #require(ids["urn:ietf:params:rtp-hdrext:sdes:mid"])
        let transportCC = try #require(ids["http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01"])
        let absSendTime = try #require(ids["http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time"])
        var mids = Set<String>()
        var transportSequenceNumbers = 0
        for packet in try Self.rtp(from: true) {
            let ext = try #require(packet.header.headerExtension)
            #expect(ext.form == .oneByte)
            for element in ext.elements {
                #expect(ids.values.contains(element.id), "element id \(element.id) was not negotiated")
            }
            if let value = ext.value(forID: mid) { mids.insert(String(buffer: value)) }
            if let value = ext.value(forID: transportCC) {
                #expect(value.readableBytes == 2)
                transportSequenceNumbers += 1
            }
            if let value = ext.value(forID: absSendTime) { #expect(value.readableBytes == 3) }
        }
        #expect(mids == ["0", "1"])
        #expect(transportSequenceNumbers > 0)
    }

    @Test func aiortcFeedbackNamesChromiumStreams() throws {
        let chromiumSSRCs = Set(try Self.rtp(from: true).map(\.header.ssrc))
        let offerCNAMEs = Self.cnames(in: try Self.sdp("chromium-offer.sdp"))
        var kinds = Set<String>()
        for packet in try Self.rtcp(from: false) {
            switch packet {
            case .payloadSpecificFeedback(.receiverEstimatedMaximumBitrate(let remb)):
                kinds.insert("REMB")
                #expect(remb.bitrate > 10_000)
                #expect(remb.ssrcs.allSatisfy { chromiumSSRCs.contains($0) || offerCNAMEs[$0] != nil })
            case .goodbye(let bye):
                kinds.insert("BYE")
                #expect(!bye.sources.isEmpty)
            case .senderReport: kinds.insert("SR")
            default: break
            }
        }
        #expect(kinds == ["REMB", "BYE", "SR"])
    }
}
