import ArgumentParser
import Foundation
import RTCSignaling
import SwiftRTC

/// `swiftrtc echo`: joins a room and echoes every data-channel message back on the channel it
/// came on (text as text, binary as binary), for every peer that connects, until SIGINT/SIGTERM.
struct EchoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "echo",
        abstract: "Join a room and echo every data-channel message back to its sender."
    )

    @OptionGroup var options: RoomOptions

    func run() async throws {
        let room = options.makeRoom(command: "echo")
        let signals = Console.onTerminationSignal { Task { await room.close() } }
        defer { signals.forEach { $0.cancel() } }
        let members: [String]
        do {
            members = try await room.join()
        } catch {
            await room.close()
            throw CommandFailure("\(error)")
        }
        Console.line("echo: joined room \(room.roomID) as \(room.localPeerID)" + (members.isEmpty ? "" : "; members: \(members.joined(separator: ", "))"))
        let memberTask = Task {
            for await event in room.memberEvents {
                switch event {
                case .joined(let id): Console.line("echo: \(id) joined")
                case .left(let id): Console.line("echo: \(id) left")
                }
            }
        }
        await withDiscardingTaskGroup { group in
            for await opened in room.dataChannels {
                Console.line("echo: channel \"\(opened.channel.label)\" with \(opened.peerID) open")
                group.addTask { await Self.echo(opened) }
            }
        }
        await room.close()
        await memberTask.value
        Console.line("echo: closed")
    }

    static func echo(_ opened: RoomClient.PeerChannel) async {
        let channel = opened.channel
        var count = 0
        do {
            for try await message in channel {
                try await channel.send(message)
                count += 1
            }
        } catch {
            Console.line("echo: channel \"\(channel.label)\" with \(opened.peerID): \(error)")
        }
        Console.line("echo: channel \"\(channel.label)\" with \(opened.peerID) closed after \(count) messages")
    }
}
