import ArgumentParser
import Crypto
import Foundation
import RTCSignaling
import SwiftRTC

/// `swiftrtc receive --out FILE`: waits for a peer to open a `file` channel, receives one file
/// (docs/file-transfer.md), writes it, verifies its SHA-256, confirms to the sender and prints
/// the throughput.
struct ReceiveCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "receive",
        abstract: "Receive one file sent with `swiftrtc send` (or the demo page) in the room."
    )

    @Option(help: "Where to write the file.")
    var out: String

    @OptionGroup var options: RoomOptions

    @Option(help: "Give up if no file transfer starts within this many seconds (0: wait forever).")
    var waitTimeout: Double = 0

    func run() async throws {
        let url = URL(fileURLWithPath: out)
        guard FileManager.default.createFile(atPath: url.path, contents: nil) else {
            throw CommandFailure("cannot create \(out)")
        }
        let room = options.makeRoom(command: "receive")
        let signals = Console.onTerminationSignal { Task { await room.close() } }
        defer { signals.forEach { $0.cancel() } }
        do {
            try await receive(into: url, room: room)
        } catch {
            await room.close()
            throw (error as? CommandFailure) ?? CommandFailure("\(error)")
        }
        await room.close()
    }

    private func receive(into url: URL, room: RoomClient) async throws {
        try await room.join()
        Console.line("receive: joined room \(room.roomID) as \(room.localPeerID); waiting for a file")
        let channels = room.dataChannels
        let opened = try await withDeadline(waitTimeout, "no file transfer started within \(waitTimeout) s") {
            for await opened in channels where opened.channel.label == FileTransfer.channelLabel { return opened }
            throw CommandFailure("the room closed before a file transfer started")
        }
        let channel = opened.channel
        let header = try FileTransfer.decode(FileTransfer.Header.self, try await channel.receiveText())
        guard header.size >= 0 else { throw CommandFailure("the sender announced a negative size") }
        Console.line("receive: \(header.name) (\(header.size) bytes) from \(opened.peerID)")

        let handle = try FileHandle(forWritingTo: url)
        defer { try? handle.close() }
        var hasher = SHA256()
        var progress = ProgressBar(total: header.size)
        var received = 0
        while received < header.size {
            let bytes: [UInt8]
            do {
                bytes = try await channel.receiveBinary()
            } catch WebRTCError.dataChannelClosed {
                throw CommandFailure("the sender closed the channel after \(received) of \(header.size) bytes")
            }
            guard received + bytes.count <= header.size else {
                try? await channel.send(FileTransfer.encode(FileTransfer.Receipt(status: "error", message: "more bytes than announced")))
                throw CommandFailure("the sender sent more than the announced \(header.size) bytes")
            }
            let data = Data(bytes)
            try handle.write(contentsOf: data)
            hasher.update(data: data)
            received += bytes.count
            progress.update(received)
        }
        progress.finish(received)
        try handle.synchronize()
        let elapsed = monotonicSeconds() - progress.start
        let digest = FileTransfer.hex(hasher.finalize())
        if let expected = header.sha256, expected.lowercased() != digest {
            try? await channel.send(FileTransfer.encode(FileTransfer.Receipt(status: "error", size: received, sha256: digest,
                                                                              message: "SHA-256 mismatch")))
            throw CommandFailure("SHA-256 mismatch: received \(digest), the sender announced \(expected)")
        }
        try await channel.send(FileTransfer.encode(FileTransfer.Receipt(status: "ok", size: received, sha256: digest)))
        let verified = header.sha256 == nil ? "(the sender sent no SHA-256 to compare)" : "verified"
        Console.line("receive: wrote \(received) bytes to \(url.path) in \(String(format: "%.2f", elapsed)) s, \(megabitsPerSecond(received, elapsed)); SHA-256 \(digest) \(verified)")
        // Give the receipt time to arrive: the sender closes the channel once it has read it.
        // A sender that sent no SHA-256 (the demo page) does not read receipts: wait briefly.
        _ = try? await withDeadline(header.sha256 == nil ? 1 : 10, "") {
            while (try? await channel.receive()) != nil {}
        }
    }
}
