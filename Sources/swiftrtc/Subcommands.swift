import ArgumentParser

extension SwiftRTCCommand {
    /// Every subcommand of `swiftrtc`, in the order `--help` lists them.
    static let allSubcommands: [any ParsableCommand.Type] = [
        ServeCommand.self,
        EchoCommand.self,
        SendCommand.self,
        ReceiveCommand.self,
        PlayCommand.self,
        RecordCommand.self,
    ]
}
