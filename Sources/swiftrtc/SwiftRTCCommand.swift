import ArgumentParser

/// The `swiftrtc` command-line tool: the signaling server with its demo page, and peers
/// that join rooms from the terminal.
@main
struct SwiftRTCCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "swiftrtc",
        abstract: "SwiftRTC: a pure-Swift WebRTC stack and its tools.",
        subcommands: SwiftRTCCommand.allSubcommands
    )
}
