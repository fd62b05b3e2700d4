import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// A loopback HTTP/1.1 server imitating the price APIs, each under its own path prefix
/// (`<base>/cryptocompare`, `<base>/binance`, `<base>/frankfurter`, `<base>/fred`,
/// `<base>/coinbase`, `<base>/kraken`, `<base>/coingecko`, `<base>/alphavantage`), so a
/// base URL per source points at one server (see ``baseURL(for:)``).
///
/// Answers are synthesised from the ``FixtureUniverse`` (deterministic per seed, in each
/// API's exact shape and paging): CryptoCompare `histoday`/`pricemulti`, Binance
/// `klines`/`ticker/price`, Frankfurter v1, FRED `DEXINUS` (JSON and CSV), Coinbase
/// candles/ticker, Kraken OHLC/Ticker, CoinGecko charts/`simple/price` and Alpha Vantage
/// `DIGITAL_CURRENCY_DAILY`/`CURRENCY_EXCHANGE_RATE`. Sources listed in `replaying`, and
/// paths the synthesis does not know, are answered from the recorded fixtures. A
/// ``FaultScript`` injects faults and enforces rate limits; every request is logged per
/// source. Call ``close()`` when done.
public final class PriceFixtureServer: Sendable {
    /// The history the server synthesises.
    public let universe: FixtureUniverse
    /// `http://<host>:<port>` of the running server.
    public let baseURL: String

    private let channel: any Channel
    private let group: MultiThreadedEventLoopGroup
    private let state: ServerState
    private let closed = Atomic<Bool>(false)

    /// Starts a server.
    ///
    /// - Parameters:
    ///   - host: the address to bind (loopback by default).
    ///   - port: the port; 0 picks a free one (read ``baseURL``).
    ///   - universe: the assets, quotes and days that exist.
    ///   - faults: the initial fault script and limits.
    ///   - recordedFixtures: the folder holding `index.json` and the recorded answers
    ///     (`Tests/Fixtures/price-apis`).
    ///   - replaying: sources (`coinbase`, `kraken`, ...) answered from the recorded
    ///     fixtures instead of synthesis, where a fixture exists for the path.
    public init(
        host: String = "127.0.0.1", port: Int = 0, universe: FixtureUniverse, faults: FaultScript = .none,
        recordedFixtures: URL? = nil, replaying: Set<String> = []
    ) async throws {
        let recorded = try recordedFixtures.map { try RecordedFixtures(directory: $0) }
        let state = ServerState(script: faults)
        let responder = Responder(book: PriceBook(universe: universe), state: state, recorded: recorded,
                                  replaying: Set(replaying.compactMap { APIName(rawValue: $0) }))
        let group = MultiThreadedEventLoopGroup(numberOfThreads: min(2, System.coreCount))
        do {
            channel = try await ServerBootstrap(group: group)
                .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                .childChannelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                        try channel.pipeline.syncOperations.addHandler(HTTPHandler(responder: responder))
                    }
                }
                .bind(host: host, port: port).get()
        } catch {
            try? await group.shutdownGracefully()
            throw error
        }
        self.group = group
        self.state = state
        self.universe = universe
        let shownHost = host == "0.0.0.0" || host == "::" ? "127.0.0.1" : host
        baseURL = "http://\(shownHost):\(channel.localAddress?.port ?? port)"
    }

    /// The base URL to configure for a source's adapter: `<base>/<source>`, except
    /// CoinGecko (`<base>/coingecko/api/v3`, as its adapter's base includes `/api/v3`)
    /// and FRED's JSON API (`fred_api`: `<base>/fred`, like `fred`).
    public func baseURL(for source: String) -> String {
        switch source {
        case "coingecko": baseURL + "/coingecko/api/v3"
        case "fred_api": baseURL + "/fred"
        default: baseURL + "/" + source
        }
    }

    /// ``baseURL(for:)`` of every source, keyed as `SourceSettings.baseURLs` expects.
    public var baseURLs: [String: String] {
        Dictionary(uniqueKeysWithValues: (APIName.allCases.map(\.rawValue) + ["fred_api"]).map { ($0, baseURL(for: $0)) })
    }

    /// Requests received for a source (`cryptocompare`, `binance`, ...), refused and faulted ones included.
    public func requestCount(source: String) -> Int {
        state.requests(source: source).count
    }

    /// The requests received for a source, oldest first, with arrival times (to check
    /// "never more than N per window").
    public func requests(source: String) -> [ServedRequest] {
        state.requests(source: source)
    }

    /// Requests of a source refused by its enforced ``RequestLimit``.
    public func violations(source: String) -> Int {
        state.violations(source: source)
    }

    /// Requests of a source that got a scripted ``Fault``.
    public func faultCount(source: String) -> Int {
        state.faultCount(source: source)
    }

    /// Replaces the fault script (rule counters restart; limit windows carry on).
    public func setFaults(_ script: FaultScript) {
        state.setScript(script)
    }

    /// Stops listening and shuts the event loops down. Calling it again does nothing.
    public func close() async throws {
        guard !closed.exchange(true, ordering: .acquiringAndReleasing) else { return }
        try? await channel.close()
        try await group.shutdownGracefully()
    }
}
