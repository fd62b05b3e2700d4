import CLibFuzzer
import Foundation

/// Starts libFuzzer from a fuzz target's `main.swift`.
///
/// SwiftPM links an executable's `main` to its module's entry point, so libFuzzer's own `main`
/// is never used: each target's entry point hands its `LLVMFuzzerTestOneInput` to the driver.
public enum LibFuzzer {
    /// Runs libFuzzer with the process's arguments and `testOneInput`, then exits with its status.
    public static func run(_ testOneInput: @convention(c) (UnsafePointer<UInt8>, Int) -> CInt) -> Never {
        var argc = CommandLine.argc
        var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
        exit(LLVMFuzzerRunDriver(&argc, &argv, testOneInput))
    }
}
