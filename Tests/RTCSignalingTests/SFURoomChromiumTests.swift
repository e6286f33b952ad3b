import Foundation
import RTCSignaling
import RTCSignalingServer
import RTCTestSupport
import Testing

/// Four demo pages in headless Chromium join one SFU room (`?sfu=1`) on a signaling server
/// running its SFU: each page holds one connection, to the server, and decodes the three other
/// members' video (`framesDecoded` growing per member) and receives their audio; p1 sends a
/// steady tone instead of the fake microphone's beeps, and every page hears from the server
/// that p1 is the active speaker; when one page goes away, the server stops its tracks at the
/// three others.
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
}
