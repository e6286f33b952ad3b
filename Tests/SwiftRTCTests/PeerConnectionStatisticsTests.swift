import Foundation
import NIOCore
import RTCTestSupport
import SwiftRTC
import Testing

/// `pc.statistics()` between two SwiftRTC peers with audio, video and a data channel: the
/// W3C entries are there, reference each other, count what was sent on one side and received
/// on the other, and encode with the W3C field names.
@Suite struct PeerConnectionStatisticsTests {
    /// Every id an entry names (transportId, codecId, …) is an entry of the report.
    static func danglingReferences(in report: RTCStatsReport) -> [String] {
        var missing: [String] = []
        for e in report.stats.values {
            let references = [e.transportId, e.codecId, e.localCandidateId, e.remoteCandidateId, e.selectedCandidatePairId,
                              e.localCertificateId, e.remoteCertificateId, e.mediaSourceId, e.remoteId, e.localId]
            for case let id? in references where report[id] == nil { missing.append("\(e.id) → \(id)") }
        }
        return missing
    }

    static func one(_ report: RTCStatsReport, _ type: RTCStatsType, kind: String? = nil) throws -> RTCStats {
        let matching = report.entries(ofType: type).filter { kind == nil || $0.kind == kind }
        return try #require(matching.count == 1 ? matching.first : nil, "one \(type.rawValue) \(kind ?? ""): \(matching.map(\.id))")
    }

    @Test func reportCrossReferencesAndCountsBothSides() async throws {
        try InteropEnvironment.requirePrivateNamespace()
        let client = WebRTCClient(engine: .native)
        let a = try await client.createPeerConnection()
        let b = try await client.createPeerConnection()
        let aVideo = try await client.createVideoTrack(source: .frames(codec: .vp8))
        let aAudio = try await client.createAudioTrack(source: .frames(codec: .opus))
        let bVideo = try await client.createVideoTrack(source: .frames(codec: .vp8))
        let bAudio = try await client.createAudioTrack(source: .frames(codec: .opus))
        _ = try await a.addTrack(aVideo, streamIDs: ["a"])
        _ = try await a.addTrack(aAudio, streamIDs: ["a"])
        let chat = try await a.createDataChannel("chat", options: DataChannelOptions(protocol: "tick"))
        let tracksAtB = Task {
            var found: [RemoteTrack] = []
            for await event in b.trackEvents {
                if case .add(let t) = event { found.append(t) }
                if found.count == 2 { break }
            }
            return found
        }
        let before = await a.statistics()
        #expect(before.transport?.dtlsState == "new" && before.selectedCandidatePair == nil)

        try await a.setLocalDescription(try await a.createOffer())
        try await withTimeout(10, "gathering") { try await a.awaitIceGatheringComplete() }
        try await b.setRemoteDescription(try #require(await a.localDescription))
        _ = try await b.addTrack(bVideo, streamIDs: ["b"])
        _ = try await b.addTrack(bAudio, streamIDs: ["b"])
        try await b.setLocalDescription(try await b.createAnswer())
        try await withTimeout(10, "gathering") { try await b.awaitIceGatheringComplete() }
        try await a.setRemoteDescription(try #require(await b.localDescription))
        let remoteAtB = try await withTimeout(15, "A's tracks at B") { await tracksAtB.value }
        try await withTimeout(15, "connected") {
            for await state in a.connectionStateUpdates where state == .connected { return }
        }
        let chatAtB = try await SwiftToSwiftDataChannelTests.opened(b, label: "chat")
        let early = await a.statistics()

        // 2 s of media both ways, 20 messages A → B and 5 back.
        let seconds = 2
        let videoAtB = SwiftToSwiftMediaTests.collect(try #require(remoteAtB.first { $0.kind == .video }), count: 30 * seconds)
        let audioAtB = SwiftToSwiftMediaTests.collect(try #require(remoteAtB.first { $0.kind == .audio }), count: 50 * seconds)
        let messagesAtB = Task {
            var bytes = 0
            for _ in 0..<20 { bytes += try await chatAtB.receiveText().utf8.count }
            return bytes
        }
        var sentBytes = 0
        for i in 0..<20 {
            let text = "tick \(i) " + String(repeating: "é", count: i)
            sentBytes += text.utf8.count
            try await chat.send(text)
        }
        for i in 0..<5 { try await chatAtB.send([UInt8](repeating: UInt8(i), count: 100 + i)) }
        async let playA: Void = SwiftToSwiftMediaTests.play(video: aVideo, audio: aAudio, tag: 0xA, seconds: seconds)
        async let playB: Void = SwiftToSwiftMediaTests.play(video: bVideo, audio: bAudio, tag: 0xB, seconds: seconds)
        try await playA
        try await playB
        #expect(try await withTimeout(10, "video at B") { try await videoAtB.value }.count == 30 * seconds)
        #expect(try await withTimeout(10, "audio at B") { try await audioAtB.value }.count == 50 * seconds)
        #expect(try await withTimeout(10, "messages at B") { try await messagesAtB.value } == sentBytes)
        try await waitUntil(10, "5 messages at A") {
            await a.statistics().entries(ofType: .dataChannel).first?.messagesReceived == 5
        }
        // The peer's receiver reports bring a round-trip time to A's video sender.
        let reportAtA = try await waitForValue(15, "a remote-inbound-rtp with a round-trip time at A") { () -> RTCStatsReport? in
            let r = await a.statistics()
            return r.entries(ofType: .remoteInboundRTP).contains { $0.kind == "video" && $0.roundTripTime != nil } ? r : nil
        }
        let reportAtB = await b.statistics()

        for (name, report) in [("A", reportAtA), ("B", reportAtB)] {
            #expect(Self.danglingReferences(in: report).isEmpty, "\(name): \(Self.danglingReferences(in: report))")
            for type in [RTCStatsType.peerConnection, .transport, .candidatePair, .localCandidate, .remoteCandidate, .certificate,
                         .dataChannel, .codec, .inboundRTP, .outboundRTP, .mediaSource] {
                #expect(!report.entries(ofType: type).isEmpty, "\(name) has \(type.rawValue)")
            }
            let transport = try Self.one(report, .transport)
            #expect(transport.dtlsState == "connected" && transport.iceState == "connected" && transport.tlsVersion == "FEFD")
            #expect(transport.dtlsCipher?.hasPrefix("TLS_ECDHE_ECDSA_WITH_") == true && transport.srtpCipher != nil)
            #expect(transport.selectedCandidatePairChanges == 1)
            let pair = try #require(report.selectedCandidatePair)
            #expect(pair.type == .candidatePair && pair.state == "succeeded" && pair.nominated == true)
            #expect(report[pair.localCandidateId ?? ""]?.type == .localCandidate)
            #expect(report[pair.remoteCandidateId ?? ""]?.type == .remoteCandidate)
            #expect((pair.responsesReceived ?? 0) > 0 && (pair.requestsSent ?? 0) > 0 && (pair.requestsReceived ?? 0) > 0)
            #expect(pair.currentRoundTripTime != nil && (pair.totalRoundTripTime ?? 0) >= (pair.currentRoundTripTime ?? 1))
            #expect((pair.bytesSent ?? 0) > 100_000 && (pair.packetsReceived ?? 0) > 100)
            #expect((pair.lastPacketReceivedTimestamp ?? 0) <= pair.timestamp && (pair.lastPacketReceivedTimestamp ?? 0) > pair.timestamp - 60_000)
            #expect(report.entries(ofType: .certificate).count == 2)
            let pc = try Self.one(report, .peerConnection)
            #expect(pc.dataChannelsOpened == 1 && pc.dataChannelsClosed == 0)
        }
        let transportA = try Self.one(reportAtA, .transport)
        let transportB = try Self.one(reportAtB, .transport)
        #expect(transportA.iceRole == "controlling" && transportB.iceRole == "controlled")
        #expect(Set([transportA.dtlsRole, transportB.dtlsRole]) == ["client", "server"])
        // Each side's remote certificate is the other's local one.
        #expect(reportAtA[transportA.remoteCertificateId ?? ""]?.fingerprint == reportAtB[transportB.localCertificateId ?? ""]?.fingerprint)
        #expect(reportAtA[transportA.localCertificateId ?? ""]?.base64Certificate != nil)
        #expect(transportA.iceLocalUsernameFragment == reportAtB.selectedCandidatePair.flatMap { reportAtB[$0.remoteCandidateId ?? ""] }?.usernameFragment)
        // The transport counters grew since the connection came up.
        let earlyTransport = try Self.one(early, .transport)
        #expect((transportA.bytesSent ?? 0) > (earlyTransport.bytesSent ?? 0) && (transportA.packetsReceived ?? 0) > (earlyTransport.packetsReceived ?? 0))

        // Data channel: one side's sent is the other's received.
        let chatA = try Self.one(reportAtA, .dataChannel)
        let chatB = try Self.one(reportAtB, .dataChannel)
        #expect(chatA.label == "chat" && chatA.protocol == "tick" && chatA.state == "open" && chatA.dataChannelIdentifier == chatB.dataChannelIdentifier)
        #expect(chatA.messagesSent == 20 && chatB.messagesReceived == 20 && chatA.bytesSent == sentBytes && chatB.bytesReceived == sentBytes)
        #expect(chatB.messagesSent == 5 && chatA.messagesReceived == 5 && chatB.bytesSent == 510 && chatA.bytesReceived == 510)

        // Media: A's outbound streams against B's inbound ones (loopback: nothing lost).
        for kind in ["video", "audio"] {
            let out = try Self.one(reportAtA, .outboundRTP, kind: kind)
            let inb = try Self.one(reportAtB, .inboundRTP, kind: kind)
            #expect(out.ssrc == inb.ssrc && out.mid == inb.mid)
            #expect(out.packetsSent == inb.packetsReceived && out.bytesSent == inb.bytesReceived, "\(kind): \(out) / \(inb)")
            #expect(inb.packetsLost == 0 && (inb.jitter ?? -1) >= 0)
            #expect(reportAtA[out.codecId ?? ""]?.mimeType?.lowercased() == (kind == "video" ? "video/vp8" : "audio/opus"))
            #expect(reportAtA[out.codecId ?? ""]?.payloadType == reportAtB[inb.codecId ?? ""]?.payloadType)
            let source = try #require(reportAtA[out.mediaSourceId ?? ""])
            #expect(source.type == .mediaSource && source.kind == kind)
            #expect(source.frames == (kind == "video" ? 30 * seconds : nil))
            #expect(source.trackIdentifier == (kind == "video" ? aVideo.id : aAudio.id) && inb.trackIdentifier == source.trackIdentifier)
            #expect(inb.lastPacketReceivedTimestamp != nil)
        }
        let videoOut = try Self.one(reportAtA, .outboundRTP, kind: "video")
        let videoIn = try Self.one(reportAtB, .inboundRTP, kind: "video")
        #expect(videoOut.framesSent == 30 * seconds && videoIn.framesReceived == 30 * seconds)
        let remoteInbound = try #require(reportAtA[videoOut.remoteId ?? ""])
        #expect(remoteInbound.type == .remoteInboundRTP && remoteInbound.localId == videoOut.id && remoteInbound.ssrc == videoOut.ssrc)
        #expect(remoteInbound.packetsLost == 0 && remoteInbound.fractionLost == 0 && (remoteInbound.roundTripTime ?? 0) > 0)
        #expect((remoteInbound.roundTripTimeMeasurements ?? 0) >= 1 && (remoteInbound.totalRoundTripTime ?? 0) >= (remoteInbound.roundTripTime ?? 1))
        #expect(videoOut.rtxSsrc != nil && videoIn.rtxSsrc == videoOut.rtxSsrc, "B knows A's RTX SSRC from the SDP")

        // JSON: W3C names, only the fields present, and it decodes back.
        let json = try JSONEncoder().encode(reportAtA)
        let object = try #require(try JSONSerialization.jsonObject(with: json) as? [String: [String: Any]])
        #expect(object.count == reportAtA.stats.count)
        let transportJSON = try #require(object[transportA.id])
        #expect(transportJSON["type"] as? String == "transport")
        for key in ["selectedCandidatePairId", "dtlsCipher", "srtpCipher", "localCertificateId", "bytesSent", "timestamp", "id"] {
            #expect(transportJSON[key] != nil, "transport has \(key)")
        }
        #expect(transportJSON["label"] == nil && transportJSON["ssrc"] == nil, "only the transport's own fields")
        #expect(object.values.contains { $0["type"] as? String == "candidate-pair" })
        #expect(object.values.contains { $0["type"] as? String == "remote-inbound-rtp" })
        #expect(try JSONDecoder().decode(RTCStatsReport.self, from: json) == reportAtA)

        await a.close()
        await b.close()
        let closed = await a.statistics()
        #expect(try Self.one(closed, .peerConnection).dataChannelsClosed == 1)
        #expect(try Self.one(closed, .dataChannel).state == "closed")
    }

    /// Relay-only through coturn: the selected pair's local candidate is relayed and names its
    /// TURN server (`url`, `relayProtocol`) and the host address it was allocated from.
    @Test func relayedCandidateNamesItsServer() async throws {
        try InteropEnvironment.requirePrivateNamespace()
        let (coturn, server) = try SwiftToSwiftRelayTests.coturn(.longTerm)
        defer { coturn.stop() }
        let client = WebRTCClient(engine: .native)
        let a = try await SwiftToSwiftRelayTests.relayOnly(client, server)
        let b = try await SwiftToSwiftRelayTests.relayOnly(client, server)
        let local = try await a.createDataChannel("relayed")
        try await SwiftToSwiftDataChannelTests.connect(a, b)
        let remote = try await SwiftToSwiftDataChannelTests.firstOpen(b)
        try await local.send("through the relay")
        #expect(try await withTimeout(5, "relayed text") { try await remote.receiveText() } == "through the relay")
        for pc in [a, b] {
            let report = await pc.statistics()
            #expect(Self.danglingReferences(in: report).isEmpty)
            let pair = try #require(report.selectedCandidatePair)
            let candidate = try #require(report[pair.localCandidateId ?? ""])
            #expect(candidate.candidateType == "relay" && candidate.relayProtocol == "udp")
            #expect(candidate.url == "turn:127.0.0.1:\(coturn.port)?transport=udp", "\(candidate.url ?? "no url")")
            #expect(candidate.address == "127.0.0.1" && candidate.relatedAddress != nil && candidate.relatedPort != nil)
            #expect(report[pair.remoteCandidateId ?? ""]?.candidateType == "relay")
            #expect((pair.bytesSent ?? 0) > 0 && (pair.bytesReceived ?? 0) > 0 && pair.currentRoundTripTime != nil)
        }
        await a.close()
        await b.close()
    }
}
