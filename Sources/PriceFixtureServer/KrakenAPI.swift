/// Kraken public API: `GET /0/public/OHLC?pair=XBTUSD&interval=1440&since=…` (at most
/// the 720 newest daily candles, rows after `since`, strings, keyed by Kraken's
/// canonical pair name, `last` = the newest committed candle) and `/0/public/Ticker`.
/// Every error is HTTP 200 with a non-empty `error` array. No INR pairs.
struct KrakenAPI: Sendable {
    /// 2013-10-06, Kraken's first XBT/USD day.
    static let launchDay = 15_984
    static let maxCandles = 720
    static let codes = ["BTC": "XBT", "DOGE": "XDG"]
    /// Assets and fiat quotes that carry Kraken's legacy `X…Z…` names.
    static let legacyAssets: Set<String> = ["XBT", "ETH", "LTC", "XRP", "XDG", "XLM", "XMR", "ZEC"]
    static let fiat: Set<String> = ["USD", "EUR", "GBP", "CAD", "JPY", "CHF", "AUD"]
    let book: PriceBook

    func reply(_ request: IncomingRequest, rowFault: Fault?) -> Reply? {
        switch request.path {
        case "/0/public/OHLC": ohlc(request.query, rowFault: rowFault)
        case "/0/public/Ticker": ticker(request.query)
        default: nil
        }
    }

    /// (asset, quote, canonical result key) for `XBTUSD`, `XXBTZUSD`, `ETHUSD`, ...
    func pair(_ text: String) -> (asset: String, quote: String, key: String)? {
        for quote in book.universe.quotes where quote != "INR" {
            for suffix in ["Z" + quote, quote] where text.hasSuffix(suffix) {
                var code = String(text.dropLast(suffix.count))
                if code.count == 4, code.hasPrefix("X"), Self.legacyAssets.contains(String(code.dropFirst())) { code.removeFirst() }
                let asset = Self.codes.first { $0.value == code }?.key ?? code
                guard book.universe.firstDay(of: asset) != nil else { continue }
                let legacy = Self.legacyAssets.contains(code) && Self.fiat.contains(quote)
                return (asset, quote, legacy ? "X\(code)Z\(quote)" : code + quote)
            }
        }
        return nil
    }

    func ohlc(_ query: Query, rowFault: Fault?) -> Reply {
        guard let text = query["pair"], !text.isEmpty else { return failure("EGeneral:Invalid arguments") }
        guard let pair = pair(text) else { return failure("EQuery:Unknown asset pair") }
        guard (query["interval"] ?? "1") == "1440" else { return failure("EGeneral:Invalid arguments") }
        let since = query["since"].map { Int64($0) } ?? 0
        guard let since else { return failure("EGeneral:Invalid arguments") }
        let lastDay = book.universe.lastDay
        let listing = max(Self.launchDay, book.universe.firstDay(of: pair.asset) ?? Self.launchDay)
        let lower = max(listing, lastDay - Self.maxCandles + 1, Int(since.floorDivided(by: 86_400)) + 1)
        var rows = lower <= lastDay ? (lower...lastDay).compactMap { book.candle(pair.asset, pair.quote, day: $0, venue: .kraken) } : []
        switch rowFault {
        case .shortPage?: rows = RowEdits.dropMiddle(rows) { _ in true }
        case .invalidRows?: rows = RowEdits.corruptMiddle(rows, isData: { _ in true }) { $0.withHighBelowLow }
        default: break
        }
        let body = "{\"error\":[],\"result\":{\(JSONText.string(pair.key)):[" + rows.map(Self.row).joined(separator: ",")
            + "],\"last\":\((lastDay - 1) * 86_400)}}"
        return .json(.kraken, body)
    }

    /// `[time, "open", "high", "low", "close", "vwap", "volume", count]`.
    static func row(_ c: DayCandle) -> String {
        let decimals = decimals(for: min(c.low, c.high))
        let vwap = min(max((c.high + c.low + c.close) / 3, min(c.low, c.high)), max(c.low, c.high))
        let prices = [c.open, c.high, c.low, c.close, vwap].map { "\"" + NumberText.fixed($0, decimals) + "\"" }
        return "[\(c.day * 86_400)," + prices.joined(separator: ",") + ",\"\(NumberText.fixed(c.volume, 8))\",\(c.trades)]"
    }

    /// Kraken's price precision: 1 decimal from 1000 up, 2 from 1, more below.
    static func decimals(for price: Double) -> Int {
        price >= 1000 ? 1 : price >= 1 ? 2 : NumberText.priceDecimals(for: price) + 1
    }

    func ticker(_ query: Query) -> Reply {
        guard let text = query["pair"], let pair = pair(text),
              let c = book.candle(pair.asset, pair.quote, day: book.universe.lastDay, venue: .kraken) else { return failure("EQuery:Unknown asset pair") }
        func price(_ value: Double) -> String { "\"" + NumberText.fixed(value, 5) + "\"" }
        let volume = "\"" + NumberText.fixed(c.volume, 8) + "\""
        let body = "{\"error\":[],\"result\":{\(JSONText.string(pair.key)):{\"a\":[\(price(c.close * 1.000_002)),\"1\",\"1.000\"],"
            + "\"b\":[\(price(c.close)),\"2\",\"2.000\"],\"c\":[\(price(c.close)),\"0.00410000\"],\"v\":[\(volume),\(volume)],"
            + "\"p\":[\(price((c.high + c.low) / 2)),\(price((c.high + c.low) / 2))],\"t\":[\(c.trades),\(c.trades)],"
            + "\"l\":[\(price(c.low)),\(price(c.low))],\"h\":[\(price(c.high)),\(price(c.high))],\"o\":\(price(c.open))}}}"
        return .json(.kraken, body)
    }

    func failure(_ error: String) -> Reply {
        .json(.kraken, "{\"error\":[\(JSONText.string(error))]}")
    }
}
