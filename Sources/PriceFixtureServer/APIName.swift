/// The APIs the server imitates; each lives under `/<rawValue>` on the one server.
enum APIName: String, CaseIterable, Sendable {
    case cryptocompare, binance, frankfurter, fred, coinbase, kraken, coingecko, alphavantage

    /// The `Content-Type` the real API sends with JSON.
    var jsonContentType: String {
        switch self {
        case .cryptocompare, .fred: "application/json; charset=UTF-8"
        case .binance, .alphavantage: "application/json"
        case .frankfurter, .coinbase, .kraken, .coingecko: "application/json; charset=utf-8"
        }
    }

    /// The API name a recorded fixture's `api` field maps to (`fred_api` is FRED too).
    init?(fixtureAPI: String) {
        self.init(rawValue: fixtureAPI == "fred_api" ? "fred" : fixtureAPI)
    }
}
