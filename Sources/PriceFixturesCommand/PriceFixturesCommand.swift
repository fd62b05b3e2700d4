import ArgumentParser
import Foundation
import PriceFixtureServer

/// `price-fixtures`: runs the price-API fixture server until SIGTERM or SIGINT.
@main
struct PriceFixturesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "price-fixtures",
        abstract: "Serve imitations of the price APIs (CryptoCompare, Binance, Frankfurter, FRED, and recorded Coinbase, Kraken, CoinGecko, Alpha Vantage) on one loopback port.")

    @Option(help: "Address to bind.")
    var host = "127.0.0.1"

    @Option(help: "Port to listen on (0: any free port).")
    var port = 0

    @Option(help: "Number of assets: the standard ones (BTC, ETH, ...) then A001, A002, ... (default: the standard set).")
    var assets: Int?

    @Option(help: "Comma-separated quote currencies.")
    var quotes = "USD,INR"

    @Option(help: "The server's today, YYYY-MM-DD (default: the current UTC date).")
    var today: String?

    @Option(help: "Seed of the price walks.")
    var seed: UInt64 = 1

    @Option(help: "A fault-script JSON file (rules and limits).")
    var faults: String?

    @Option(help: "Folder with the recorded fixtures' index.json (default: Tests/Fixtures/price-apis when present).")
    var fixtures: String?

    @Option(help: "Comma-separated sources answered from the recorded fixtures instead of synthesis (e.g. coinbase,kraken).")
    var replay = ""

    func validate() throws {
        if let today, FixtureUniverse.dayNumber(today) == nil { throw ValidationError("--today must be a date YYYY-MM-DD") }
        if let assets, assets < 1 { throw ValidationError("--assets must be at least 1") }
        if !(0...65_535).contains(port) { throw ValidationError("--port must be 0...65535") }
    }

    func run() async throws {
        let day = today.flatMap(FixtureUniverse.dayNumber) ?? Int(Date().timeIntervalSince1970 / 86_400)
        let quoteList = quotes.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces).uppercased() }.filter { !$0.isEmpty }
        var universe = assets.map { FixtureUniverse.synthetic(assets: $0, quotes: quoteList, today: day, seed: seed) }
            ?? FixtureUniverse.standard(today: day, seed: seed)
        universe.quotes = quoteList
        let script = try faults.map { try FaultScript(json: Data(contentsOf: URL(fileURLWithPath: $0))) } ?? .none
        let replaying = Set(replay.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces).lowercased() }.filter { !$0.isEmpty })
        let server = try await PriceFixtureServer(host: host, port: port, universe: universe, faults: script,
                                                  recordedFixtures: fixturesFolder(), replaying: replaying)
        FileHandle.standardOutput.write(Data("listening on \(server.baseURL)\n".utf8))
        let signal = await TerminationSignal.next()
        FileHandle.standardError.write(Data("price-fixtures: signal \(signal), shutting down\n".utf8))
        // What each imitated API saw, for the scripts that check a client's behaviour.
        for source in ["cryptocompare", "binance", "frankfurter", "fred", "coinbase", "kraken", "coingecko", "alphavantage"] {
            let requests = server.requestCount(source: source)
            guard requests > 0 else { continue }
            FileHandle.standardError.write(Data("price-fixtures: \(source) requests=\(requests) faults=\(server.faultCount(source: source)) limit_violations=\(server.violations(source: source))\n".utf8))
        }
        try await server.close()
    }

    /// `--fixtures`, or `Tests/Fixtures/price-apis` under the working directory when it exists.
    func fixturesFolder() -> URL? {
        if let fixtures { return URL(fileURLWithPath: fixtures) }
        let fallback = URL(fileURLWithPath: FileManager.default.currentDirectoryPath).appendingPathComponent("Tests/Fixtures/price-apis")
        return FileManager.default.fileExists(atPath: fallback.appendingPathComponent("index.json").path) ? fallback : nil
    }
}
