import NIOCore
import RTCCore

/// Resolves the `.local` names that browsers put in host candidates instead of their addresses
/// (draft-ietf-mmusic-mdns-ice-candidates), as a multicast DNS one-shot querier (RFC 6762
/// §5.2), sans-IO: ``resolve(_:now:)`` asks, ``pollTransmit()`` gives the queries to send to
/// the mDNS group (224.0.0.251:5353) on every interface, ``handle(_:now:)`` takes what arrives
/// on the group, ``pollEvent()`` tells which names resolved and which did not in time.
///
/// A query is sent at once, then after 1 s and 2 s (the intervals double, RFC 6762 §5.2); a
/// name still unanswered after ``Configuration/timeout`` is reported unresolved. Answers are
/// cached for their TTL (at most ``Configuration/maximumCacheEntries`` names), so every
/// connection of a process can share one resolver. Responses to names nobody asked for are
/// ignored; malformed messages are counted and dropped.
public struct MDNSResolver: Sendable {
    /// Limits of the resolver.
    public struct Configuration: Sendable {
        /// How long a name may stay unanswered before it is reported unresolved.
        public var timeout: TimeAmount = .seconds(5)
        /// How many names may wait for an answer at once (more are reported unresolved at once).
        public var maximumPending = 256
        /// How many answers are kept.
        public var maximumCacheEntries = 1024

        /// The defaults: 5 s, 256 pending names, 1,024 cached answers.
        public init() {}
    }

    /// What became of a name.
    public enum Event: Sendable, Hashable {
        /// The name resolved to this address.
        case resolved(name: String, address: IPAddress)
        /// No answer came in time (or the name is no DNS name, or too many names wait).
        case unresolved(name: String)
    }

    /// Counters for diagnostics.
    public struct Statistics: Sendable, Hashable {
        /// Queries handed out (each goes to the group on every interface).
        public var queriesSent = 0
        /// Names resolved from an answer.
        public var namesResolved = 0
        /// Names answered from the cache.
        public var cacheHits = 0
        /// Names that got no answer in time.
        public var namesUnresolved = 0
        /// Messages that did not parse.
        public var malformedMessages = 0
    }

    private struct Pending {
        var started: NIODeadline
        var nextQuery: NIODeadline
        var interval: TimeAmount
    }

    /// The limits in use.
    public let configuration: Configuration
    /// Counters.
    public private(set) var statistics = Statistics()
    private var pending: [String: Pending] = [:]
    private var cache: [String: (address: IPAddress, expires: NIODeadline)] = [:]
    private var transmits: [ByteBuffer] = []
    private var events: [Event] = []

    /// A resolver with `configuration`.
    public init(configuration: Configuration = Configuration()) {
        self.configuration = configuration
    }

    /// Asks for `name` (case-insensitive, with or without the trailing dot). A cached answer
    /// is returned at once; otherwise the answer comes as an event.
    public mutating func resolve(_ name: String, now: NIODeadline) -> IPAddress? {
        let key = Self.key(name)
        if let hit = cache[key] {
            if hit.expires > now {
                statistics.cacheHits += 1
                return hit.address
            }
            cache[key] = nil
        }
        guard pending[key] == nil else { return nil }
        guard pending.count < configuration.maximumPending, let query = MDNSMessage.query(for: key) else {
            statistics.namesUnresolved += 1
            events.append(.unresolved(name: key))
            return nil
        }
        pending[key] = Pending(started: now, nextQuery: now + .seconds(1), interval: .seconds(1))
        transmits.append(query)
        statistics.queriesSent += 1
        return nil
    }

    /// Takes a datagram that arrived on the mDNS group (or a unicast reply to a query).
    public mutating func handle(_ datagram: ByteBuffer, now: NIODeadline) {
        let records: [MDNSMessage.AddressRecord]
        do { records = try MDNSMessage.addressRecords(in: datagram) } catch {
            statistics.malformedMessages += 1
            return
        }
        for record in records where record.ttl > 0 {
            let known = pending.removeValue(forKey: record.name) != nil
            if known || cache[record.name] != nil {
                // Only names somebody asked for are kept: a busy link's chatter is not cached.
                if cache.count >= configuration.maximumCacheEntries, cache[record.name] == nil { evictOldest() }
                cache[record.name] = (record.address, now + .seconds(Int64(min(record.ttl, 4500))))
            }
            if known {
                statistics.namesResolved += 1
                events.append(.resolved(name: record.name, address: record.address))
            }
        }
    }

    /// The next query to send to the group (224.0.0.251:5353, from port 5353) on every interface.
    public mutating func pollTransmit() -> ByteBuffer? {
        transmits.isEmpty ? nil : transmits.removeFirst()
    }

    /// The next event.
    public mutating func pollEvent() -> Event? {
        events.isEmpty ? nil : events.removeFirst()
    }

    /// When ``handleTimeout(now:)`` is due next (a query to repeat or a name to give up on).
    public var nextDeadline: NIODeadline? {
        pending.values.map { min($0.nextQuery, $0.started + configuration.timeout) }.min()
    }

    /// Repeats queries that are due and gives up on names past the timeout.
    public mutating func handleTimeout(now: NIODeadline) {
        for (name, var entry) in pending {
            if now >= entry.started + configuration.timeout {
                pending[name] = nil
                statistics.namesUnresolved += 1
                events.append(.unresolved(name: name))
                continue
            }
            guard now >= entry.nextQuery, let query = MDNSMessage.query(for: name) else { continue }
            transmits.append(query)
            statistics.queriesSent += 1
            entry.interval = entry.interval * 2
            entry.nextQuery = now + entry.interval
            pending[name] = entry
        }
    }

    private mutating func evictOldest() {
        if let oldest = cache.min(by: { $0.value.expires < $1.value.expires })?.key { cache[oldest] = nil }
    }

    private static func key(_ name: String) -> String {
        (name.hasSuffix(".") ? String(name.dropLast()) : name).lowercased()
    }
}
