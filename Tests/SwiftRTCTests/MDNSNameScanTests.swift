@testable import SwiftRTC
import Testing

/// The scan that decides whether a description or candidate names a `.local` host (and so
/// must wait for multicast DNS) finds the name wherever it is and nothing else.
@Suite struct MDNSNameScanTests {
    @Test(arguments: [
        ("a=candidate:1 1 udp 2122260223 0c8f8a0e-1b5e-4f4e-9c1a-3b1f2f0f6a11.local 54321 typ host", true),
        ("..local 9 typ host", true),  // a mismatch on the second byte restarts on the '.'
        ("x.local 1", true),
        (".local ", true),
        ("a=candidate:1 1 udp 2122260223 192.0.2.1 54321 typ host", false),
        ("host.locale 1", false),
        ("ends with .local", false),  // a name is followed by its port
        (".loca l", false),
        ("", false),
    ])
    func findsALocalHostName(text: String, expected: Bool) {
        #expect(PeerConnection.containsMDNSName(text) == expected)
        #expect(PeerConnection.containsMDNSName(text.dropFirst(0)) == expected, "as a Substring")
    }
}
