import RTCCore
import SwiftRTC

/// Why an ICE server URL given on a command line (`--ice-server`) was refused.
public struct ICEServerURLError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The URL as given.
    public var url: String
    /// What is wrong with it, and the form expected.
    public var reason: String

    /// Creates an error.
    public init(url: String, reason: String) {
        self.url = url
        self.reason = reason
    }

    /// `invalid ICE server "URL": reason`.
    public var description: String { "invalid ICE server \"\(url)\": \(reason)" }
}

extension ICEServer {
    /// The forms ``init(commandLineURL:)`` accepts, for help texts and error messages.
    public static let commandLineURLForms =
        "stun:HOST:PORT, turn:USER:PASS@HOST:PORT?transport=udp|tcp, turns:USER:PASS@HOST:PORT"

    /// Parses one ICE server from the single-string form a command line uses, with the TURN
    /// credentials inside the URL: `stun:HOST[:PORT]`,
    /// `turn:USER:PASS@HOST[:PORT][?transport=udp|tcp]`, `turns:USER:PASS@HOST[:PORT]`
    /// (RFC 7064, RFC 7065; the `user:pass@` part is this form's addition). HOST is an IP
    /// literal (`[…]` for IPv6) or `localhost`; the port defaults to 3478 (5349 for `turns:`).
    /// The password is what follows the *last* `:` before the last `@`, so a time-limited
    /// user name (`"<expiry>:<name>"`) may contain `:`; `%XX` escapes are decoded in both.
    ///
    /// The entry made has the URL without the credentials in `urls` and them in
    /// `username`/`credential`.
    public init(commandLineURL url: String) throws(ICEServerURLError) {
        func fail(_ reason: String) -> ICEServerURLError { ICEServerURLError(url: url, reason: reason) }
        guard let colon = url.firstIndex(of: ":") else {
            throw fail("expected one of \(Self.commandLineURLForms)")
        }
        let scheme = url[..<colon].lowercased()
        guard ["stun", "turn", "turns"].contains(scheme) else {
            throw fail("the scheme must be stun:, turn: or turns: (expected one of \(Self.commandLineURLForms))")
        }
        var rest = Substring(url[url.index(after: colon)...])
        var query: Substring?
        if let q = rest.firstIndex(of: "?") {
            query = rest[rest.index(after: q)...]
            rest = rest[..<q]
        }
        var username: String?
        var password: String?
        if let at = rest.lastIndex(of: "@") {
            let userInfo = rest[..<at]
            rest = rest[rest.index(after: at)...]
            guard scheme != "stun" else { throw fail("a stun: server takes no credentials") }
            guard let split = userInfo.lastIndex(of: ":") else { throw fail("credentials must be USER:PASS@ before the host") }
            guard let user = Self.percentDecoded(userInfo[..<split]), let pass = Self.percentDecoded(userInfo[userInfo.index(after: split)...]) else {
                throw fail("bad %-escape in the credentials")
            }
            guard !user.isEmpty, !pass.isEmpty else { throw fail("the user name and the password must not be empty") }
            (username, password) = (user, pass)
        }
        if scheme != "stun", username == nil {
            throw fail("a \(scheme): server needs credentials: \(scheme):USER:PASS@HOST:PORT")
        }
        // Host and port.
        let host: Substring
        var portText: Substring?
        if rest.hasPrefix("[") {
            guard let close = rest.firstIndex(of: "]") else { throw fail("an IPv6 host needs a closing ]") }
            host = rest[rest.index(after: rest.startIndex)..<close]
            let after = rest[rest.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":") else { throw fail("expected :PORT after the IPv6 host") }
                portText = after.dropFirst()
            }
        } else if let c = rest.lastIndex(of: ":") {
            host = rest[..<c]
            portText = rest[rest.index(after: c)...]
        } else {
            host = rest
        }
        guard !host.isEmpty else { throw fail("the host is missing") }
        var port: UInt16 = scheme == "turns" ? 5349 : 3478
        if let portText {
            guard let p = UInt16(portText), p > 0 else { throw fail("the port must be 1…65535, not \"\(portText)\"") }
            port = p
        }
        let ip = host.lowercased() == "localhost" ? "127.0.0.1" : String(host)
        let isV6 = ip.contains(":")
        let hostPort = isV6 ? "[\(ip)]:\(port)" : "\(ip):\(port)"
        guard TransportAddress(hostPort) != nil else {
            throw fail("the host must be an IP address literal or localhost, not \"\(host)\"")
        }
        // Query: only transport, only for turn: (turns: is TCP by definition).
        var suffix = ""
        if let query {
            let q = query.lowercased()
            switch (scheme, q) {
            case ("turn", "transport=udp"), ("turn", "transport=tcp"):
                suffix = "?" + q
            case ("turns", "transport=tcp"):
                break
            default:
                throw fail(scheme == "turn" ? "the query must be transport=udp or transport=tcp" : "\(scheme): takes no query \"\(query)\"")
            }
        }
        self.init(urls: ["\(scheme):\(hostPort)\(suffix)"], username: username, credential: password)
    }

    /// Decodes `%XX` escapes (as UTF-8); `nil` for a malformed escape.
    static func percentDecoded(_ text: Substring) -> String? {
        var bytes: [UInt8] = []
        var it = Array(text.utf8)[...]
        while let b = it.popFirst() {
            guard b == UInt8(ascii: "%") else { bytes.append(b); continue }
            guard it.count >= 2, let v = UInt8(String(decoding: it.prefix(2), as: UTF8.self), radix: 16) else { return nil }
            bytes.append(v)
            it = it.dropFirst(2)
        }
        return String(validating: bytes, as: UTF8.self)
    }
}
