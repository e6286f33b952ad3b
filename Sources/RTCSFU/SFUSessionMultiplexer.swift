import DequeModule
import NIOCore
import RTCCore
import RTCSTUN

/// A session an ``SFUSessionMultiplexer`` can serve: any `DatagramCore` that says which ICE
/// username fragment its peer's connectivity checks name (RTCSession does).
public protocol SFUMultiplexedSession: DatagramCore {
    /// The local ICE username fragment now (it changes with an ICE restart).
    var localUsernameFragment: String { get }
}

/// A session's key in an ``SFUSessionMultiplexer``.
public struct SFUSessionKey: Hashable, Sendable, CustomStringConvertible {
    /// The multiplexer-assigned number.
    public let rawValue: Int
    /// Wraps a number the multiplexer handed out.
    public init(rawValue: Int) { self.rawValue = rawValue }
    /// `session#3`.
    public var description: String { "session#\(rawValue)" }
}

/// One event of one session, as the multiplexer reports it.
public struct SFUSessionEvent<Event> {
    /// The session that reported it.
    public var session: SFUSessionKey
    /// What it reported.
    public var event: Event
}

extension SFUSessionEvent: Sendable where Event: Sendable {}

/// Why the multiplexer could not hand a datagram to a session. Each is counted in
/// ``SFUSessionMultiplexer/drops``.
public enum SFUMultiplexerDropReason: Hashable, Sendable, CaseIterable {
    /// Not STUN, from an address no session has exchanged STUN with.
    case unknownAddress
    /// A STUN message that does not parse (RFC 8489 §5), from an unknown address.
    case malformedSTUN
    /// A STUN message from an unknown address without a USERNAME to route it by (a response
    /// or indication no session expects).
    case noUsername
    /// A STUN request whose USERNAME names no session's ufrag.
    case unknownUsernameFragment
}

/// Many sessions behind one UDP socket, as a single `DatagramCore` a `UDPDriver` runs: the edge
/// of an SFU, sans-IO.
///
/// A datagram from an address seen before goes to the session that address belongs to. A STUN
/// request is routed by the ufrag its USERNAME starts with (`ours:theirs`, RFC 8445 §7.2.2),
/// which also (re)binds its source address to that session — how a new peer, or a peer's new
/// candidate, is first found. STUN a session sends binds the destination too, so responses to
/// its own checks come back to it. Everything else from an unknown address is dropped and
/// counted; no session ever sees another's traffic.
///
/// Events come out tagged with their session. Commands reach a session through
/// ``withSession(_:_:)``, which collects what it produced.
public struct SFUSessionMultiplexer<Session: SFUMultiplexedSession>: DatagramCore {
    /// A datagram from the socket.
    public typealias Input = ReceivedDatagram
    /// A datagram for the socket.
    public typealias Output = Transmit
    /// One session's event.
    public typealias Event = SFUSessionEvent<Session.Event>

    /// The most remote addresses one session keeps (its peer's candidates it heard from); the
    /// oldest is forgotten beyond it.
    public static var maximumAddressesPerSession: Int { 16 }

    /// Datagrams dropped, by reason.
    public private(set) var drops: [SFUMultiplexerDropReason: Int] = [:]

    /// A session with what the multiplexer remembers of it, kept together so the per-packet path
    /// finds all of it with one hash of the key.
    private struct Entry {
        var session: Session
        /// Its ufrag as last seen (an ICE restart changes it).
        var usernameFragment: String
        /// Its next deadline as of its last interaction (only interactions change it).
        var deadline: NIODeadline?

        /// Reads the session's deadline again; the new one when it changed (`.some(nil)`: none now).
        mutating func refreshDeadline() -> NIODeadline?? {
            let now = session.nextDeadline
            guard now != deadline else { return .none }
            deadline = now
            return .some(now)
        }

        /// Reads the session's ufrag again; the new one when it changed (an ICE restart).
        mutating func refreshUsernameFragment() -> String? {
            // Compared in place with the one last seen: a short string, no hash.
            let current = session.localUsernameFragment
            guard current != usernameFragment else { return nil }
            usernameFragment = current
            return current
        }
    }

    private var sessions: [SFUSessionKey: Entry] = [:]
    /// The sessions' deadlines apart from the sessions (reading them through `sessions` would
    /// copy each session), so the driver's timer needs no call into every session. Updated only
    /// when a session's deadline changed, which most forwarded packets do not.
    private var deadlines: [SFUSessionKey: NIODeadline] = [:]
    private var byUsernameFragment: [String: SFUSessionKey] = [:]
    private var byAddress: [TransportAddress: SFUSessionKey] = [:]
    private var addressesOf: [SFUSessionKey: [TransportAddress]] = [:]
    private var transmits = Deque<Transmit>()
    private var events = Deque<Event>()
    private var nextKey = 1

    /// Creates a multiplexer with no session.
    public init() {}

    /// The sessions' keys.
    public var sessionKeys: [SFUSessionKey] { Array(sessions.keys) }

    /// How many datagrams were dropped for `reason`.
    public func dropped(_ reason: SFUMultiplexerDropReason) -> Int { drops[reason] ?? 0 }

    /// The session a remote address belongs to, if any.
    public func session(for address: TransportAddress) -> SFUSessionKey? { byAddress[address] }

    /// Adds a session and returns its key; what it has produced already is collected.
    public mutating func addSession(_ session: Session) -> SFUSessionKey {
        let key = SFUSessionKey(rawValue: nextKey)
        nextKey += 1
        sessions[key] = Entry(session: session, usernameFragment: session.localUsernameFragment)
        byUsernameFragment[session.localUsernameFragment] = key
        collect(key, at: sessions.index(forKey: key)!)
        return key
    }

    /// Removes a session (after closing it and draining, if it should say goodbye) with its
    /// addresses; returns it, or nil for an unknown key.
    @discardableResult
    public mutating func removeSession(_ key: SFUSessionKey) -> Session? {
        guard let session = sessions.removeValue(forKey: key)?.session else { return nil }
        deadlines[key] = nil
        for (ufrag, owner) in byUsernameFragment where owner == key { byUsernameFragment[ufrag] = nil }
        for address in addressesOf.removeValue(forKey: key) ?? [] where byAddress[address] == key { byAddress[address] = nil }
        return session
    }

    /// Runs a command on one session (`setRemoteDescription`, `sendRTP`, …) and collects what it
    /// produced; nil for an unknown key.
    public mutating func withSession<R, E: Error>(_ key: SFUSessionKey, _ body: (inout Session) throws(E) -> R) throws(E) -> R? {
        // In place by index: a getter through the key subscript would copy the whole session.
        guard let i = sessions.index(forKey: key) else { return nil }
        let result = try body(&sessions.values[i].session)
        // An ICE restart: per command — and `sendRTP` is one per forwarded packet — the ufrag is
        // compared with the one last seen rather than looked up by hash.
        if let ufrag = sessions.values[i].refreshUsernameFragment() { byUsernameFragment[ufrag] = key }
        collect(key, at: i)
        return result
    }

    /// Reads one session; nil for an unknown key.
    public func session(_ key: SFUSessionKey) -> Session? { sessions[key]?.session }

    // MARK: DatagramCore

    /// Routes one datagram from the socket: by its source address when known, else (a STUN
    /// request) by the ufrag its USERNAME names.
    public mutating func handle(_ datagram: ReceivedDatagram, now: NIODeadline) {
        let isSTUN = datagram.payload.getInteger(at: datagram.payload.readerIndex, as: UInt8.self).map {
            PacketKind(firstByte: $0) == .stun
        } ?? false
        var key = byAddress[datagram.source]
        if isSTUN, let named = route(stun: datagram.payload, known: key != nil) { key = named }
        guard let key, let i = sessions.index(forKey: key) else {
            if !isSTUN { drop(.unknownAddress) }
            return
        }
        if byAddress[datagram.source] != key { bind(datagram.source, to: key) }
        sessions.values[i].session.handle(datagram, now: now)
        collect(key, at: i)
    }

    /// The next datagram for the socket.
    public mutating func pollTransmit() -> Transmit? { transmits.popFirst() }

    /// The next session event.
    public mutating func pollEvent() -> Event? { events.popFirst() }

    /// Whether session events wait to be polled.
    public var hasEvents: Bool { !events.isEmpty }

    /// The earliest deadline of any session.
    public var nextDeadline: NIODeadline? { deadlines.values.min() }

    /// Runs the timers of every session that has one due at `now`.
    public mutating func handleTimeout(now: NIODeadline) {
        for (key, deadline) in deadlines where deadline <= now {
            guard let i = sessions.index(forKey: key) else { continue }
            sessions.values[i].session.handleTimeout(now: now)
            collect(key, at: i)
        }
    }

    /// Tells every session that a stream connection closed (sessions not using it ignore it).
    public mutating func streamClosed(local: TransportAddress, remote: TransportAddress, reason: String, now: NIODeadline) {
        for key in Array(sessions.keys) {
            guard let i = sessions.index(forKey: key) else { continue }
            sessions.values[i].session.streamClosed(local: local, remote: remote, reason: reason, now: now)
            collect(key, at: i)
        }
    }

    // MARK: Routing

    /// The session a STUN message names by its USERNAME's first ufrag; nil (and counted when the
    /// address is unknown too) when it names none.
    private mutating func route(stun payload: ByteBuffer, known: Bool) -> SFUSessionKey? {
        let message: STUNParsedMessage
        do {
            message = try STUNParsedMessage(payload)
        } catch {
            if !known { drop(.malformedSTUN) }
            return nil
        }
        guard let username = message.message.username else {
            if !known { drop(.noUsername) }
            return nil
        }
        let ufrag = username.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? ""
        guard let key = byUsernameFragment[ufrag] else {
            if !known { drop(.unknownUsernameFragment) }
            return nil
        }
        return key
    }

    private mutating func bind(_ address: TransportAddress, to key: SFUSessionKey) {
        if let previous = byAddress[address], previous != key { addressesOf[previous]?.removeAll { $0 == address } }
        byAddress[address] = key
        var addresses = addressesOf[key] ?? []
        addresses.removeAll { $0 == address }
        addresses.append(address)
        if addresses.count > Self.maximumAddressesPerSession {
            let forgotten = addresses.removeFirst()
            if byAddress[forgotten] == key { byAddress[forgotten] = nil }
        }
        addressesOf[key] = addresses
    }

    private mutating func drop(_ reason: SFUMultiplexerDropReason) { drops[reason, default: 0] += 1 }

    /// Moves a session's transmits and events out; STUN it sends binds the destination to it.
    /// The session is reached through its index in `sessions.values`, in place: through the
    /// dictionary's key subscript and `!` the whole session was copied (and released) per call.
    private mutating func collect(_ key: SFUSessionKey, at i: [SFUSessionKey: Entry].Index) {
        while let transmit = sessions.values[i].session.pollTransmit() {
            // STUN first: the address lookup is a hash of the address, per forwarded packet.
            if !transmit.viaStream,
               let first = transmit.payload.getInteger(at: transmit.payload.readerIndex, as: UInt8.self),
               PacketKind(firstByte: first) == .stun, byAddress[transmit.destination] != key {
                bind(transmit.destination, to: key)
            }
            transmits.append(transmit)
        }
        while let event = sessions.values[i].session.pollEvent() { events.append(SFUSessionEvent(session: key, event: event)) }
        // Through a mutating call (the values' `_modify`): a read of `sessions.values[i]` copies the entry.
        if let changed = sessions.values[i].refreshDeadline() { deadlines[key] = changed }
    }
}
