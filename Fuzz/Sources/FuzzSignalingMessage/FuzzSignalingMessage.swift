import Foundation
import NIOCore
import RTCSignaling
import RTCSignalingServer

/// Shared hub: two connections in one room, so fuzzed messages exercise join/relay/leave rules.
nonisolated(unsafe) var hub: SignalingHub = {
    var hub = SignalingHub(configuration: SignalingHubConfiguration(rateLimit: SignalingRateLimit(messagesPerSecond: 1e9, burst: 1e9)))
    let now = NIODeadline.uptimeNanoseconds(1)
    _ = hub.connect(SignalingConnectionID(1), now: now)
    _ = hub.connect(SignalingConnectionID(2), now: now)
    _ = hub.receive(Data(#"{"type":"join","peer_id":"a","room_id":"r"}"#.utf8), from: SignalingConnectionID(1), now: now, unixTime: 0)
    return hub
}()

/// Decodes arbitrary bytes as a signaling message: a decoded message must re-encode to JSON
/// that decodes to an equal value; every input must also go through the hub without a trap.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Data(UnsafeBufferPointer(start: data, count: size))
    if let message = try? SignalingMessage.decode(bytes) {
        let again: SignalingMessage
        do {
            again = try SignalingMessage.decode(message.jsonString())
        } catch {
            fatalError("re-encoded message does not decode: \(error) \(message.jsonString())")
        }
        precondition(again == message, "round trip changed \(message) into \(again)")
    }
    let outputs = hub.receive(bytes, from: SignalingConnectionID(2), now: .uptimeNanoseconds(2), unixTime: 0)
    for case .send(let reply, _) in outputs { precondition(!reply.jsonString().isEmpty) }
    // Put connection 2 back to "connected, not joined" for the next input.
    _ = hub.disconnect(SignalingConnectionID(2))
    _ = hub.connect(SignalingConnectionID(2), now: .uptimeNanoseconds(2))
    return 0
}
