import ArgumentParser
import Foundation
import RTCSignaling
import SwiftRTC

/// `swiftrtc send FILE`: waits for a peer in the room, opens a `file` channel to it and sends
/// the file (docs/file-transfer.md) with backpressure, a progress bar on stderr and the
/// throughput at the end; exits 0 once the receiver confirms the SHA-256.
struct SendCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "send",
        abstract: "Send a file to the first peer that connects in the room."
    )

    @Argument(help: "The file to send.")
    var file: String

    @OptionGroup var options: RoomOptions

    @Option(help: "Bytes per data-channel message.")
    var chunkSize: Int = FileTransfer.defaultChunkSize

    @Option(help: "Give up if no peer connects within this many seconds (0: wait forever).")
    var waitTimeout: Double = 0

    @Option(help: "Give up if the receiver's confirmation takes longer than this many seconds after the last byte.")
    var confirmTimeout: Double = 60

    func validate() throws {
        guard (1...262_144).contains(chunkSize) else { throw ValidationError("--chunk-size must be 1…262144") }
    }

    func run() async throws {
        let url = URL(fileURLWithPath: file)
        let size: Int
        let digest: String
        do {
            let attributes = try FileManager.default.attributesOfItem(atPath: url.path)
            guard (attributes[.type] as? FileAttributeType) == .typeRegular, let bytes = attributes[.size] as? NSNumber else {
                throw CommandFailure("\(file) is not a regular file")
            }
            size = bytes.intValue
            digest = try FileTransfer.sha256(of: url)
        } catch let failure as CommandFailure {
            throw failure
        } catch {
            throw CommandFailure("cannot read \(file): \(error.localizedDescription)")
        }

        let room = options.makeRoom(command: "send")
        let signals = Console.onTerminationSignal { Task { await room.close() } }
        defer { signals.forEach { $0.cancel() } }
        do {
            try await transfer(url: url, size: size, digest: digest, room: room)
        } catch {
            await room.close()
            throw (error as? CommandFailure) ?? CommandFailure("\(error)")
        }
        await room.close()
    }

    private func transfer(url: URL, size: Int, digest: String, room: RoomClient) async throws {
        try await room.join()
        Console.line("send: joined room \(room.roomID) as \(room.localPeerID); waiting for a peer")
        let channels = room.dataChannels
        let peer = try await withDeadline(waitTimeout, "no peer connected within \(waitTimeout) s") {
            for await opened in channels { return opened.peerID }
            throw CommandFailure("the room closed before a peer connected")
        }
        let channel = try await room.openChannel(FileTransfer.channelLabel, to: peer)
        Console.line("send: sending \(url.lastPathComponent) (\(size) bytes) to \(peer)")

        let header = FileTransfer.Header(name: url.lastPathComponent, size: size, type: "application/octet-stream", sha256: digest)
        try await channel.send(FileTransfer.encode(header))
        let handle = try FileHandle(forReadingFrom: url)
        defer { try? handle.close() }
        var progress = ProgressBar(total: size)
        var sent = 0
        while sent < size, let data = try handle.read(upToCount: chunkSize), !data.isEmpty {
            try await channel.send([UInt8](data))  // suspends while the send buffer is full
            sent += data.count
            progress.update(sent)
        }
        progress.finish(sent)
        guard sent == size else { throw CommandFailure("\(url.path) changed while sending: read \(sent) of \(size) bytes") }

        let reply = try await withDeadline(confirmTimeout, "the receiver did not confirm within \(confirmTimeout) s") {
            try await channel.receiveText()
        }
        let elapsed = monotonicSeconds() - progress.start
        let receipt = try FileTransfer.decode(FileTransfer.Receipt.self, reply)
        guard receipt.status == "ok" else {
            throw CommandFailure("the receiver failed: \(receipt.message ?? "no reason given")")
        }
        guard receipt.sha256 == digest, receipt.size == size else {
            throw CommandFailure("the receiver got \(receipt.size ?? -1) bytes with SHA-256 \(receipt.sha256 ?? "?"), expected \(size) bytes with \(digest)")
        }
        Console.line("send: \(size) bytes in \(String(format: "%.2f", elapsed)) s, \(megabitsPerSecond(size, elapsed)); \(peer) confirmed SHA-256 \(digest)")
        await channel.close()
    }
}
