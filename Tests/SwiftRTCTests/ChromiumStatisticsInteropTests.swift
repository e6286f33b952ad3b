import Foundation
import NIOCore
import RTCTestSupport
import SwiftRTC
import Testing

/// `pc.statistics()` against Chromium's `getStats()` for the same connection: Swift sends a
/// VP8 + Opus file and data-channel messages, Chromium sends its fake camera and microphone and
/// echoes the messages. For every W3C type both report, our field names are among Chromium's,
/// and what one side sent is what the other received.
@Suite(.serialized, .heavyPeers) struct ChromiumStatisticsInteropTests {
    /// One `getStats()` of Chromium's, as it printed it, with where it is in the peer's output.
    struct ChromiumReport {
        var line: Int
        var entries: [[String: Any]]

        func all(_ type: String) -> [[String: Any]] { entries.filter { $0["type"] as? String == type } }
        func one(_ type: String, kind: String? = nil) -> [String: Any]? {
            all(type).first { kind == nil || $0["kind"] as? String == kind }
        }
        func entry(_ id: Any?) -> [String: Any]? {
            guard let id = id as? String else { return nil }
            return entries.first { $0["id"] as? String == id }
        }
        func number(_ type: String, kind: String? = nil, _ key: String) -> Double? { (one(type, kind: kind)?[key] as? NSNumber)?.doubleValue }
        /// When Chromium took it, in milliseconds since 1970 (W3C: the time origin plus
        /// `performance.now()`), from its peer-connection entry.
        var timestamp: Double? { number("peer-connection", "timestamp") }
    }

    static func chromiumReports(_ peer: PeerProcess) -> [ChromiumReport] {
        peer.output.enumerated().compactMap { index, line in
            guard line.hasPrefix("{\"event\": \"getstats\""),
                  let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                  let entries = object["stats"] as? [[String: Any]] else { return nil }
            return ChromiumReport(line: index, entries: entries)
        }
    }

    /// Whether two round-trip times (seconds) agree within an order of magnitude (below 1 ms
    /// counts as 1 ms: loopback times are noise).
    /// Round-trip times agree within 10×, where anything under 5 ms counts as 5 ms: on loopback
    /// the true RTT is microseconds and what either stack reports is its own scheduling delay
    /// (Chromium's RTCP timing alone has shown 20 ms on a busy machine).
    static func sameMagnitude(_ a: Double, _ b: Double) -> Bool {
        max(a, b, 0.005) <= 10 * max(min(a, b), 0.005)
    }

    static func within(_ ours: Double, _ theirs: Double, _ fraction: Double) -> Bool {
        abs(ours - theirs) <= fraction * max(ours, theirs)
    }

    @Test(arguments: [true, false])
    func statisticsMatchChromiumGetStats(swiftOffers: Bool) async throws {
        let directory = try MediaFiles.directory("stats-media")
        defer { try? FileManager.default.removeItem(at: directory) }
        let clip = directory.appendingPathComponent("clip.webm").path
        try await FFmpegTool.make(MediaFiles.pattern(seconds: 8) + MediaFiles.sine(seconds: 8) + MediaFiles.videoCodec("VP8") + MediaFiles.opus + [clip])
        let client = WebRTCClient(engine: .native)
        let tracks = try await client.createTracks(fromFile: clip)
        let pc = try await client.createPeerConnection()
        let peer = try ChromiumMediaInteropTests.startPeer(swiftOffers ? "answer" : "offer",
                                                           params: #"{"send": ["video", "audio"], "recv": true, "fullStats": true}"#)
        defer { peer.terminate() }
        // Offering, Swift creates the channel; answering, Chromium's offer brings it.
        let created = swiftOffers ? try await pc.createDataChannel("chat") : nil
        let opened = Task {
            for await event in pc.dataChannelEvents { if case .open(let channel) = event { return channel as DataChannel? } }
            return nil
        }
        let remoteTracks = Task {
            var found: [RemoteTrack] = []
            for await event in pc.trackEvents {
                if case .add(let t) = event { found.append(t) }
                if found.count == 2 { break }
            }
            return found
        }
        let remote: ChromiumTrickleInteropTests.RemoteCandidates
        if swiftOffers {
            for track in tracks { _ = try await pc.addTrack(track, streamIDs: ["files"]) }
            remote = try await ChromiumMediaInteropTests.connect(pc, peer, swiftOffers: true)
        } else {
            // Chromium offers sendrecv audio and video; our tracks go on the transceivers its offer made.
            let forwarding = ChromiumTrickleInteropTests.forwardLocalCandidates(of: pc, to: peer)
            _ = forwarding
            remote = ChromiumTrickleInteropTests.RemoteCandidates(from: peer, to: pc)
            try await pc.setRemoteDescription(try await AiortcDataChannelInteropTests.readDescription(peer, type: "offer"))
            for track in tracks { _ = try await pc.addTrack(track, streamIDs: ["files"]) }
            let answer = try await pc.createAnswer()
            try await pc.setLocalDescription(answer)
            try AiortcDataChannelInteropTests.write(peer, answer)
        }
        defer { remote.stop() }
        try await withTimeout(20, "connected") {
            for await state in pc.connectionStateUpdates where state == .connected { return }
        }
        // Read Chromium's tracks so its frames are assembled (and counted) here.
        let readers = try await withTimeout(20, "Chromium's tracks") { await remoteTracks.value }.map { track in
            Task { for try await _ in track {} }
        }
        defer { readers.forEach { $0.cancel() } }
        let chat = try #require(try await withTimeout(15, "chat open") { await opened.value })
        #expect(created == nil || chat === created)
        var echoed = 0
        for i in 0..<30 {
            try await chat.send("message \(i) " + String(repeating: "x", count: i * 10))
            _ = try await withTimeout(10, "echo \(i)") { try await chat.receiveText() }
            echoed += 1
        }
        _ = try await MediaFiles.played(tracks, within: 30)
        try await Task.sleep(for: .seconds(2))  // the last reports cross

        // Chromium's reports reach us through a pipe, late under load: `before` must have been taken
        // before our snapshot and `after` after it, by their own timestamps (the next line printed
        // after `before` was once taken before ours, and ours counted more than it said it sent).
        let startedAt = Date().timeIntervalSince1970 * 1000
        let before = try #require(Self.chromiumReports(peer).last { ($0.timestamp ?? 0) < startedAt }, "\(peer.allOutput.suffix(2_000))")
        let ours = await pc.statistics()
        let finishedAt = Date().timeIntervalSince1970 * 1000
        let after = try await waitForValue(10, "a getstats after ours") {
            Self.chromiumReports(peer).last { $0.line > before.line && ($0.timestamp ?? .infinity) > finishedAt }
        }

        // Field names: ours are W3C's, so Chromium has each of them for the same type.
        let ourJSON = try #require(try JSONSerialization.jsonObject(with: JSONEncoder().encode(ours)) as? [String: [String: Any]])
        var compared: [String] = []
        for type in RTCStatsType.allCases.map(\.rawValue) {
            let ourKeys = Set(ourJSON.values.filter { $0["type"] as? String == type }.flatMap(\.keys))
            let theirKeys = Set(after.all(type).flatMap(\.keys))
            guard !ourKeys.isEmpty, !theirKeys.isEmpty else { continue }
            compared.append(type)
            #expect(ourKeys.isSubset(of: theirKeys), "\(type): Chromium has no \(ourKeys.subtracting(theirKeys).sorted())")
            print("[stats] Chromium has, SwiftRTC lacks — \(type): \(theirKeys.subtracting(ourKeys).sorted().joined(separator: ", "))")
        }
        #expect(Set(compared).isSuperset(of: ["peer-connection", "transport", "candidate-pair", "local-candidate", "remote-candidate",
                                              "certificate", "data-channel", "codec", "inbound-rtp", "outbound-rtp",
                                              "remote-inbound-rtp", "media-source"]), "compared \(compared)")

        // Swift → Chromium: our outbound streams against its inbound ones (our files ended).
        for kind in ["video", "audio"] {
            let out = try #require(ours.entries(ofType: .outboundRTP).first { $0.kind == kind })
            let packets = try #require(after.number("inbound-rtp", kind: kind, "packetsReceived"))
            let bytes = try #require(after.number("inbound-rtp", kind: kind, "bytesReceived"))
            #expect(Self.within(Double(out.packetsSent ?? 0), packets, 0.03), "\(kind) packets: sent \(out.packetsSent ?? 0), Chromium received \(packets)")
            #expect(Self.within(Double(out.bytesSent ?? 0), bytes, 0.10), "\(kind) bytes: sent \(out.bytesSent ?? 0), Chromium received \(bytes)")
            #expect(after.one("inbound-rtp", kind: kind)?["ssrc"] as? NSNumber == out.ssrc.map { NSNumber(value: $0) })
        }
        // Chromium → Swift: ours lies between two of Chromium's reports (it keeps sending).
        for kind in ["video", "audio"] {
            let inbound = try #require(ours.entries(ofType: .inboundRTP).first { $0.kind == kind })
            let low = try #require(before.number("outbound-rtp", kind: kind, "packetsSent"))
            let high = try #require(after.number("outbound-rtp", kind: kind, "packetsSent"))
            let received = Double(inbound.packetsReceived ?? 0)
            #expect(received >= low * 0.90 && received <= high * 1.03, "\(kind): received \(received), Chromium sent \(low)…\(high)")
            let lowBytes = try #require(before.number("outbound-rtp", kind: kind, "bytesSent"))
            let highBytes = try #require(after.number("outbound-rtp", kind: kind, "bytesSent"))
            let bytes = Double(inbound.bytesReceived ?? 0)
            #expect(bytes >= lowBytes * 0.90 && bytes <= highBytes * 1.10, "\(kind) bytes: received \(bytes), Chromium sent \(lowBytes)…\(highBytes)")
        }
        let theirVideoRTX = after.one("outbound-rtp", kind: "video")?["rtxSsrc"] as? NSNumber
        #expect(ours.entries(ofType: .inboundRTP).first { $0.kind == "video" }?.rtxSsrc.map { NSNumber(value: $0) } == theirVideoRTX)
        // The data channel: every message both ways.
        let channel = try #require(ours.entries(ofType: .dataChannel).first)
        let theirs = try #require(after.one("data-channel"))
        #expect(channel.messagesSent == 30 && channel.messagesReceived == echoed)
        #expect((theirs["messagesReceived"] as? NSNumber)?.intValue == channel.messagesSent)
        #expect((theirs["bytesReceived"] as? NSNumber)?.intValue == channel.bytesSent)
        #expect((theirs["messagesSent"] as? NSNumber)?.intValue == channel.messagesReceived)
        #expect((theirs["dataChannelIdentifier"] as? NSNumber)?.intValue == channel.dataChannelIdentifier)
        #expect(after.number("peer-connection", "dataChannelsOpened") == 1 && ours.entries(ofType: .peerConnection).first?.dataChannelsOpened == 1)

        // Transport: bytes one way match the other's count; each knows the other's certificate.
        let transport = try #require(ours.transport)
        // The transport in use (until the answer bundles them, an offerer has one per m-section).
        let theirTransport = try #require(after.all("transport").first { $0["dtlsState"] as? String == "connected" },
                                          "Chromium's transports: \(after.all("transport"))")
        let theirReceived = try #require((theirTransport["bytesReceived"] as? NSNumber)?.doubleValue)
        #expect(Self.within(Double(transport.bytesSent ?? 0), theirReceived, 0.10), "transport: sent \(transport.bytesSent ?? 0), Chromium received \(theirReceived)")
        #expect(transport.dtlsCipher == theirTransport["dtlsCipher"] as? String, "\(transport.dtlsCipher ?? "") / \(theirTransport["dtlsCipher"] ?? "")")
        #expect(transport.srtpCipher == theirTransport["srtpCipher"] as? String)
        #expect(transport.tlsVersion == theirTransport["tlsVersion"] as? String)
        #expect(Set([transport.dtlsRole, theirTransport["dtlsRole"] as? String]) == ["client", "server"])
        #expect(Set([transport.iceRole, theirTransport["iceRole"] as? String]) == ["controlling", "controlled"])
        let theirCertificate = after.entry(theirTransport["localCertificateId"])?["fingerprint"] as? String
        #expect(ours[transport.remoteCertificateId ?? ""]?.fingerprint == theirCertificate)
        let ourCertificate = after.entry(theirTransport["remoteCertificateId"])?["fingerprint"] as? String
        #expect(ours[transport.localCertificateId ?? ""]?.fingerprint == ourCertificate)

        // Round-trip times: STUN on the selected pair, and RTCP reports on video.
        // Chromium's entry for our selected pair: the one with the same two addresses, mirrored.
        // (Which pair each side calls selected may differ: see the print.)
        let pair = try #require(ours.selectedCandidatePair)
        let ourLocal = try #require(ours[pair.localCandidateId ?? ""])
        let ourRemote = try #require(ours[pair.remoteCandidateId ?? ""])
        func endpoint(_ e: [String: Any]?) -> String { "\(e?["address"] ?? "?")/\((e?["port"] as? NSNumber)?.intValue ?? 0)" }
        let theirPair = try #require(after.all("candidate-pair").first {
            endpoint(after.entry($0["localCandidateId"])) == "\(ourRemote.address ?? "")/\(ourRemote.port ?? 0)"
                && endpoint(after.entry($0["remoteCandidateId"])) == "\(ourLocal.address ?? "")/\(ourLocal.port ?? 0)"
        }, "no Chromium pair for ours: \(after.all("candidate-pair").map { endpoint(after.entry($0["localCandidateId"])) + " ↔ " + endpoint(after.entry($0["remoteCandidateId"])) })")
        let theirSelected = after.entry(theirTransport["selectedCandidatePairId"])
        print("[stats] selected pair: ours \(ourLocal.address ?? "")/\(ourLocal.port ?? 0) → \(ourRemote.address ?? "")/\(ourRemote.port ?? 0);",
              "Chromium's \(endpoint(after.entry(theirSelected?["localCandidateId"]))) → \(endpoint(after.entry(theirSelected?["remoteCandidateId"])))",
              "(the same: \(theirSelected?["id"] as? String == theirPair["id"] as? String))")
        let ourRTT = try #require(pair.currentRoundTripTime)
        // Chromium's current measurement is on the pair it selected (a pair it does not use is
        // checked rarely, so its time may date from the busy start of the call).
        let theirRTT = try #require((theirSelected?["currentRoundTripTime"] as? NSNumber)?.doubleValue)
        #expect(Self.sameMagnitude(ourRTT, theirRTT), "STUN RTT: ours \(ourRTT), Chromium's \(theirRTT)")
        // What we sent on our pair arrived on its mirror at Chromium.
        #expect(Self.within(Double(pair.bytesSent ?? 0), (theirPair["bytesReceived"] as? NSNumber)?.doubleValue ?? 0, 0.10))
        let remoteInbound = try #require(ours.entries(ofType: .remoteInboundRTP).first { $0.kind == "video" })
        let theirRemoteRTT = try #require(after.number("remote-inbound-rtp", kind: "video", "roundTripTime"))
        #expect(Self.sameMagnitude(remoteInbound.roundTripTime ?? 0, theirRemoteRTT),
                "RTCP RTT: ours \(remoteInbound.roundTripTime ?? 0), Chromium's \(theirRemoteRTT)")
        let video = ours.entries(ofType: .outboundRTP).first { $0.kind == "video" }
        print("[stats] video sent \(video?.packetsSent ?? 0) packets / \(video?.bytesSent ?? 0) B, Chromium received",
              "\(after.number("inbound-rtp", kind: "video", "packetsReceived") ?? 0) / \(after.number("inbound-rtp", kind: "video", "bytesReceived") ?? 0);",
              "STUN RTT ours \(ourRTT) s, Chromium's \(theirRTT) s; RTCP RTT ours \(remoteInbound.roundTripTime ?? 0) s, Chromium's \(theirRemoteRTT) s")
        #expect(!peer.output.contains { $0.contains("\"event\": \"error\"") }, "\(peer.allOutput.suffix(2_000))")
        await pc.close()
    }
}
