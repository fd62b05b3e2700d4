import Foundation
import Testing

/// Configuration through the built executables (`swift build` puts them next to the test
/// bundle; `PP_BIN` overrides): each case's command runs with only `PATH` and the case's
/// variables, and must stop at once with its exit status and a message naming what to set.
@Suite("Bad input: configuration", .timeLimit(.minutes(2)))
struct ConfigBoundaryTests {
    /// The directory of the built executables.
    static var binDirectory: URL {
        if let bin = ProcessInfo.processInfo.environment["PP_BIN"], !bin.isEmpty { return URL(fileURLWithPath: bin) }
        return URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
    }

    /// `KEY=VALUE` lines of an `.env` case file (`#` comments and blank lines skipped).
    static func variables(_ entry: Case) throws -> [String: String] {
        var env: [String: String] = [:]
        if entry.file.hasSuffix(".env") {
            let text = String(decoding: try Corpus.bytes(entry.file), as: UTF8.self)
            for line in text.split(whereSeparator: \.isNewline) where !line.hasPrefix("#") {
                guard let eq = line.firstIndex(of: "=") else { throw CorpusError("\(entry.file): '\(line)' is not KEY=VALUE") }
                env[String(line[..<eq])] = String(line[line.index(after: eq)...])
            }
        }
        for (key, value) in entry.input.env ?? [:] {
            env[key] = value.replacingOccurrences(of: "$FILE", with: Corpus.path(entry.file))
        }
        return env
    }

    @Test(arguments: Corpus.cases("config"))
    func configuration(_ entry: Case) async throws {
        let command = try #require(entry.input.command, "\(entry.file): no command")
        let executable = Self.binDirectory.appendingPathComponent(command[0])
        try #require(FileManager.default.isExecutableFile(atPath: executable.path),
                     "\(executable.path) is not built: run swift build, or set PP_BIN")
        var env = try Self.variables(entry)
        env["PATH"] = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        let (status, reason, output) = try await Self.run(executable, arguments: Array(command.dropFirst()), environment: env, timeout: .seconds(30))
        #expect(reason == .exit, "\(entry.file): \(command[0]) was killed by signal \(status):\n\(output)")
        #expect(status == entry.expect.exit, "\(entry.file): exit status \(status):\n\(output)")
        for fragment in entry.expect.output ?? [] {
            #expect(output.contains(fragment), "\(entry.file): the output does not name \(fragment):\n\(output)")
        }
        for secret in entry.expect.mustNotContain ?? [] {
            #expect(!output.contains(secret), "\(entry.file): the output shows \(secret):\n\(output)")
        }
        #expect(!output.contains("Fatal error") && !output.contains("Crash"), "\(entry.file): crashed:\n\(output)")
    }

    /// Runs a process to its end (or kills it after `timeout`); standard output and error together.
    static func run(_ executable: URL, arguments: [String], environment: [String: String], timeout: Duration) async throws
        -> (status: Int32, reason: Process.TerminationReason, output: String) {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        process.environment = environment
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("bad-input-\(UUID().uuidString).out")
        try Data().write(to: output)
        defer { try? FileManager.default.removeItem(at: output) }
        let handle = try FileHandle(forWritingTo: output)
        defer { try? handle.close() }
        process.standardOutput = handle
        process.standardError = handle
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let deadline = ContinuousClock.now + timeout
        while process.isRunning {
            if ContinuousClock.now > deadline {
                process.terminate()
                Issue.record("\(executable.lastPathComponent) \(arguments) did not stop within \(timeout)")
                break
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        process.waitUntilExit()
        return (process.terminationStatus, process.terminationReason, String(decoding: try Data(contentsOf: output), as: UTF8.self))
    }
}
