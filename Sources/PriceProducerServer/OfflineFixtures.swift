import Foundation
import PriceFixtureServer
import ServiceSupport
import Synchronization

/// `--offline`: the bundled fixture server, started in this process, imitates every price API
/// (synthesised history up to today for CryptoCompare, Binance, Frankfurter and FRED; the
/// recorded answers for the others), and the sources are pointed at it.
enum OfflineFixtures {
    /// Kept for the life of the process.
    private static let running = Mutex<PriceFixtureServer?>(nil)

    /// Starts the server when `--offline` or `PRODUCER_OFFLINE=true` asks for it.
    /// - Returns: base URLs by source name (empty when not offline).
    static func startIfAsked(flag: Bool, environment: ServiceEnvironment = ServiceEnvironment()) async throws -> [String: String] {
        let asked = flag || ["true", "1", "yes"].contains(environment.value(flag: nil, env: "PRODUCER_OFFLINE")?.lowercased() ?? "")
        guard asked else { return [:] }
        let today = Int(Date().timeIntervalSince1970 / 86_400)
        let assets = try environment.integer(flag: nil, flagName: "--offline", env: "PRODUCER_OFFLINE_ASSETS", default: 0)
        let universe = assets > 0 ? FixtureUniverse.synthetic(assets: assets, today: today) : FixtureUniverse.standard(today: today)
        let server = try await PriceFixtureServer(universe: universe, recordedFixtures: recordedFixtures(environment))
        running.withLock { $0 = server }
        FileHandle.standardError.write(Data("price-producer: offline: the price APIs are served by the bundled fixture server at \(server.baseURL)\n".utf8))
        return server.baseURLs
    }

    /// `PRICE_FIXTURES_DIR`, or `Tests/Fixtures/price-apis` in the working directory.
    static func recordedFixtures(_ environment: ServiceEnvironment) -> URL? {
        let candidates = [environment.value(flag: nil, env: "PRICE_FIXTURES_DIR"),
                          FileManager.default.currentDirectoryPath + "/Tests/Fixtures/price-apis"].compactMap { $0 }
        return candidates.map(URL.init(fileURLWithPath:)).first { FileManager.default.fileExists(atPath: $0.appendingPathComponent("index.json").path) }
    }
}
