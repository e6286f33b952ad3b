import Foundation
import RTCSignaling
import RTCSignalingServer
import RTCTestSupport
import Testing

/// Four demo pages in headless Chromium join one SFU room (`?sfu=1`) on a signaling server
/// running its SFU: each page holds one connection, to the server, and decodes the three other
/// members' video (`framesDecoded` growing per member) and receives their audio; p1 sends a
/// steady tone instead of the fake microphone's beeps, and every page hears from the server
/// that p1 is the active speaker and gets p1's audio levels with its packets; when one page
/// goes away, the server stops its tracks at the three others.
@Suite("SFU room of four Chromium pages", .serialized, .heavyPeers)
struct SFURoomChromiumTests {
    @Test func fourPagesSeeAndHearEachOtherThroughTheSFU() async throws {
        try InteropEnvironment.requirePrivateNamespace()
        let chromium = try InteropEnvironment.executable("chromium", installHint: "apt-get install chromium")
        let reports = DemoPageReports()
        let tmp = FileManager.default.temporaryDirectory.appendingPathComponent("swiftrtc-sfu-pages-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: tmp, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: tmp) }
        let names = ["p1", "p2", "p3", "p4"]

        try await withSignalingServer({ config in
            config.testReportHandler = { reports.store($0) }
            config.sfu = SignalingSFUConfiguration(addresses: ["127.0.0.1"])
        }) { server, port in
            #expect(await server.sfuAddresses().count == 1)
            var pages: [String: PeerProcess] = [:]
            defer { for page in pages.values { page.terminate() } }
            for name in names {
                pages[name] = try PeerProcess("chromium \(name)", executable: chromium, arguments:
                    SignalingDemoPageChromiumTests.flags(profile: tmp.appendingPathComponent(name))
                    + ["http://127.0.0.1:\(port)/?autotest=1&sfu=1&small=1&room=sfu-room&peer=\(name)" + (name == "p1" ? "&tone=1" : "")])
                // One at a time into the room: each joins while the others already send.
                try await waitUntil(60, "\(name)'s first report", every: .milliseconds(100)) { reports[name] != nil }
            }
            let context = { "reports:\n\(reports.dump)" }

            // Every page decodes every other member's video and receives its audio.
            func others(of name: String) -> [String] { names.filter { $0 != name } }
            try await waitUntil(90, "every page decoding and hearing the three others\n\(context())", every: .milliseconds(200)) {
                names.allSatisfy { name in
                    guard let report = reports[name] else { return false }
                    return others(of: name).allSatisfy { other in
                        (report.framesDecoded[other] ?? 0) >= 10 && (report.audioSamples?[other] ?? 0) > 0
                    }
                }
            }
            // … and keeps decoding: each remote track's framesDecoded grows.
            let before = Dictionary(uniqueKeysWithValues: names.map { ($0, reports[$0]?.framesDecoded ?? [:]) })
            try await waitUntil(30, "framesDecoded growing for every remote track\n\(context())", every: .milliseconds(200)) {
                names.allSatisfy { name in
                    others(of: name).allSatisfy { other in
                        (reports[name]?.framesDecoded[other] ?? 0) > (before[name]?[other] ?? 0)
                    }
                }
            }
            // The tone makes p1 the room's active speaker (RFC 6464 levels from Chromium → speaker_changed).
            try await waitUntil(20, "every page told that p1 speaks\n\(context())", every: .milliseconds(200)) {
                names.allSatisfy { reports[$0]?.speakers?.contains("p1") == true }
            }
            // … and the levels go on with p1's packets: each other page's receiver reports them
            // (getSynchronizationSources reads the extension of the packets the server forwarded).
            try await waitUntil(20, "p1's audio levels at every other page\n\(context())", every: .milliseconds(200)) {
                others(of: "p1").allSatisfy { (reports[$0]?.peakAudioLevels?["p1"] ?? 0) > 0.01 }
            }
            for name in names {
                let report = try #require(reports[name])
                #expect(Set(report.members) == Set(others(of: name)), "\(name)'s members\n\(context())")
                for other in others(of: name) {
                    #expect(report.liveTracks?[other] == 2, "\(name) receives \(other)'s audio and video\n\(context())")
                }
                #expect(report.errors.isEmpty, "\(name)'s page errors: \(report.errors)")
            }

            // p4 goes away: the server stops its tracks at the three others, whose other tracks stay.
            pages.removeValue(forKey: "p4")?.terminate()
            let remaining = ["p1", "p2", "p3"]
            try await waitUntil(30, "p4's tracks stopped at the others\n\(context())", every: .milliseconds(200)) {
                remaining.allSatisfy { name in
                    guard let report = reports[name] else { return false }
                    return (report.liveTracks?["p4"] ?? 0) == 0 && !report.members.contains("p4")
                }
            }
            let after = Dictionary(uniqueKeysWithValues: remaining.map { ($0, reports[$0]?.framesDecoded ?? [:]) })
            try await waitUntil(30, "the others' video going on without p4\n\(context())", every: .milliseconds(200)) {
                remaining.allSatisfy { name in
                    remaining.filter { $0 != name }.allSatisfy { other in
                        (reports[name]?.framesDecoded[other] ?? 0) > (after[name]?[other] ?? 0)
                    }
                }
            }
            for name in remaining {
                let report = try #require(reports[name])
                for other in remaining where other != name {
                    #expect(report.liveTracks?[other] == 2, "\(name) still receives \(other)\n\(context())")
                }
                #expect(report.errors.isEmpty, "\(name)'s page errors: \(report.errors)")
            }
        }
    }
    /// Simulcast through the signaling server's SFU (issue 15 item 2): a page sends its 640x480
    /// camera as simulcast layers (`?simulcast=1&camera=640x480`: f, h, q — Chromium sends f and
    /// h at this size; the page's default of 1280x720 would load CI's two cores with a third),
    /// one member asks for pictures no larger than 320x240 (`?maxres=`, the `max_resolution`
    /// message), another asks nothing: the server sends each the layer that fits — the first
    /// decodes the camera 320 wide at most, the second wider.
    @Test func eachMemberGetsTheSimulcastLayerItAskedFor() async throws {
        try InteropEnvironment.requirePrivateNamespace()
        let chromium = try InteropEnvironment.executable("chromium", installHint: "apt-get install chromium")
        let reports = DemoPageReports()
        let tmp = FileManager.default.temporaryDirectory.appendingPathComponent("swiftrtc-sfu-simulcast-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: tmp, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: tmp) }
        let pageQueries = [
            "cam": "simulcast=1&camera=640x480",
            // The two receivers send no camera: one encoder (three layers) on the machine, not three.
            "small": "video=0&maxres=320x240",
            "big": "video=0",
        ]
        try await withSignalingServer({ config in
            config.testReportHandler = { reports.store($0) }
            config.sfu = SignalingSFUConfiguration(addresses: ["127.0.0.1"])
        }) { server, port in
            let edge = try #require(await server.sfuEdge)
            var pages: [String: PeerProcess] = [:]
            defer { for page in pages.values { page.terminate() } }
            for name in ["cam", "small", "big"] {
                pages[name] = try PeerProcess("chromium \(name)", executable: chromium, arguments:
                    SignalingDemoPageChromiumTests.flags(profile: tmp.appendingPathComponent(name))
                    + ["http://127.0.0.1:\(port)/?autotest=1&sfu=1&room=simulcast&peer=\(name)&" + pageQueries[name]!])
                try await waitUntil(60, "\(name)'s first report", every: .milliseconds(100)) { reports[name] != nil }
            }
            func width(_ name: String) -> Int { reports[name]?.frameWidths?["cam"] ?? 0 }
            func decoded(_ name: String) -> Int { reports[name]?.framesDecoded["cam"] ?? 0 }
            func check(_ what: String, within seconds: Double, _ condition: () -> Bool) async throws {
                do {
                    try await waitUntil(seconds, what, every: .milliseconds(200), condition)
                } catch {
                    Issue.record("\(what); at the SFU:\n\(await edge.layerSummary)\nreports:\n\(reports.dump)")
                    throw error
                }
            }
            try await check("the small page decoding the camera at most 320 wide", within: 60) {
                decoded("small") >= 20 && (1...320).contains(width("small"))
            }
            try await check("the big page decoding the camera wider than 320", within: 60) {
                decoded("big") >= 20 && width("big") > 320
            }
            // And it stays so: both keep decoding, each at its size.
            let before = (small: decoded("small"), big: decoded("big"))
            try await check("both pages still decoding the camera", within: 30) {
                decoded("small") > before.small + 10 && decoded("big") > before.big + 10
            }
            #expect((1...320).contains(width("small")), "\(reports.dump)")
            #expect(width("big") > 320, "\(reports.dump)")
            for name in pageQueries.keys {
                #expect(reports[name]?.errors.isEmpty == true, "\(name)'s page errors: \(reports[name]?.errors ?? [])")
            }
        }
    }
}
