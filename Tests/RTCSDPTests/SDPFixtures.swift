import Foundation
import RTCSDP

/// The real SDP captured from aiortc and headless Chromium by scripts/capture-sdp-fixtures.py.
enum SDPFixtures {
    static var directory: URL {
        Bundle.module.resourceURL!.appendingPathComponent("Fixtures")
    }

    /// Every `.sdp` fixture file name, sorted.
    static var sdpNames: [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return names.filter { $0.hasSuffix(".sdp") }.sorted()
    }

    static func text(_ name: String) throws -> String {
        try String(contentsOf: directory.appendingPathComponent(name), encoding: .utf8)
    }

    static func description(_ name: String) throws -> SDPDocument {
        try SDPDocument(parsing: text(name))
    }
}
