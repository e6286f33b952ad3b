import NIOCore

/// How an ``SFURouter`` throttles, caches and numbers.
public struct SFURouterConfiguration: Hashable, Sendable {
    /// The shortest spacing of two key-frame requests to one publisher source, however many
    /// subscribers ask; a request is repeated at this interval until a key frame arrives.
    public var keyFrameRequestInterval: TimeAmount = .milliseconds(500)
    /// How many rewritten packets each subscription keeps to answer its NACKs; 0 keeps none
    /// (when the leg's sender caches what it sends, as `RTCSession`'s send stream does).
    public var legCacheCapacity = 512
    /// How long a cached packet stays retransmittable.
    public var legCacheMaximumAge: TimeAmount = .seconds(1)
    /// The shortest spacing of two resends of one packet to one subscriber, and of two
    /// retransmission requests for one sequence number to a publisher, when no round-trip time
    /// is given.
    public var retransmissionInterval: TimeAmount = .milliseconds(100)

    /// The defaults: key frames at most every 500 ms per source, 512 packets (1 s) cached per leg.
    public init() {}
}
