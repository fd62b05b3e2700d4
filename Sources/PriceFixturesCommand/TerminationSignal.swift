import Dispatch
import Foundation

/// Waits for SIGTERM or SIGINT (the default handlers are replaced, so the process can
/// shut the server down cleanly).
enum TerminationSignal {
    /// The number of the first of the two signals to arrive.
    static func next() async -> Int32 {
        let (stream, continuation) = AsyncStream<Int32>.makeStream()
        let sources = [SIGTERM, SIGINT].map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { continuation.yield(number) }
            source.resume()
            return source
        }
        defer { sources.forEach { $0.cancel() } }
        for await number in stream { return number }
        return SIGTERM
    }
}
