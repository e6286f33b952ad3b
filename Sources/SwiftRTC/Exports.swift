// The public API of SwiftRTC includes the value types of the session engine: session
// descriptions, candidates, states and data-channel options.
@_exported import RTCSession
