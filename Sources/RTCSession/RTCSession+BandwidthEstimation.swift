import NIOCore
import RTCRTP
import RTCRTPStreams

/// The session's send-side bandwidth estimation: the transport-wide estimator fed with every
/// stamped RTP packet and every transport-wide feedback, and what was last reported of it.
struct SessionSendSideEstimation {
    /// The estimator (draft-ietf-rmcat-gcc-02 over transport-wide feedback).
    var estimator = TransportWideCCEstimator()
    /// The estimate last reported as ``SessionEvent/Media/bandwidthEstimate(bitsPerSecond:)``.
    var reported: UInt64?
    /// When it was reported.
    var reportedAt: NIODeadline?

    /// A change smaller than this fraction of the last report waits for ``quietInterval``.
    static let significantChange = 0.05
    /// The estimate is reported again after this long, changed or not (so a consumer that lets
    /// estimates expire keeps a steady one).
    static let quietInterval: TimeAmount = .seconds(1)

    /// Whether `estimate` should be reported at `now`: the first one, a change of more than 5 %,
    /// or whatever it is a second after the last report.
    func shouldReport(_ estimate: UInt64, now: NIODeadline) -> Bool {
        guard let reported, let reportedAt else { return true }
        let change = Double(estimate > reported ? estimate - reported : reported - estimate)
        return change > Double(reported) * Self.significantChange || now - reportedAt >= Self.quietInterval
    }
}

extension RTCSession {
    /// Records an RTP packet stamped with transport-wide sequence number `number` (the
    /// extension was negotiated for sending), `size` bytes on the wire, sent at `now`.
    mutating func recordSentForEstimate(_ number: UInt16, size: Int, now: NIODeadline) {
        // Through optional chaining, in place: comparing the optional with nil first would copy
        // the estimation (its ring included) once per packet.
        if sendSideEstimation?.estimator.packetSent(sequenceNumber: number, size: size, at: now) == nil {
            sendSideEstimation = SessionSendSideEstimation()
            sendSideEstimation!.estimator.packetSent(sequenceNumber: number, size: size, at: now)
        }
    }

    /// Feeds the peer's transport-wide feedback to the estimator and reports the estimate when
    /// it changed enough (``SessionSendSideEstimation/shouldReport(_:now:)``). Feedback before
    /// anything was stamped is dropped.
    mutating func handleTransportFeedback(_ feedback: RTCPTransportWideCC, now: NIODeadline) {
        guard sendSideEstimation != nil else { return }
        sendSideEstimation!.estimator.handleFeedback(feedback, now: now)
        guard let estimate = sendSideEstimation!.estimator.estimate,
              sendSideEstimation!.shouldReport(estimate, now: now) else { return }
        sendSideEstimation!.reported = estimate
        sendSideEstimation!.reportedAt = now
        events.append(.media(.bandwidthEstimate(bitsPerSecond: estimate)))
    }

    /// The send-side estimate from the peer's transport-wide feedback, bits per second; nil
    /// before transport-cc feedback measured enough (or when it was not negotiated).
    public var sendSideBandwidthEstimate: UInt64? {
        sendSideEstimation?.estimator.estimate
    }
}
