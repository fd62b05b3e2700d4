/// Coinbase Exchange: `GET /products/<BASE>-<QUOTE>/candles?granularity=86400&start=…&end=…`
/// (`[time s, low, high, open, close, volume]` as numbers, newest first, start and end
/// both inclusive, at most 300 buckets) and `/products/<product>/ticker`. No INR
/// products; nothing before 2015-07-20.
struct CoinbaseAPI: Sendable {
    /// 2015-07-20, the first BTC-USD candle.
    static let launchDay = 16_636
    static let maxBuckets = 300
    let book: PriceBook

    func reply(_ request: IncomingRequest, rowFault: Fault?) -> Reply? {
        let parts = request.path.split(separator: "/").map(String.init)
        guard parts.count == 3, parts[0] == "products" else { return nil }
        guard let (asset, quote) = product(parts[1]) else { return failure(404, "NotFound") }
        switch parts[2] {
        case "candles": return candles(asset, quote, request.query, rowFault: rowFault)
        case "ticker": return ticker(asset, quote)
        default: return nil
        }
    }

    /// `BTC-USD` → (`BTC`, `USD`) when the universe has both and the quote is not INR.
    func product(_ text: String) -> (String, String)? {
        let pieces = text.split(separator: "-").map(String.init)
        guard pieces.count == 2, pieces[1] != "INR", book.universe.hasQuote(pieces[1]), book.universe.firstDay(of: pieces[0]) != nil else { return nil }
        return (pieces[0], pieces[1])
    }

    func candles(_ asset: String, _ quote: String, _ query: Query, rowFault: Fault?) -> Reply {
        guard query["granularity"] == "86400" else { return failure(400, "Unsupported granularity") }
        let lastDay = book.universe.lastDay
        var first = lastDay - Self.maxBuckets + 1
        var last = lastDay
        switch (query["start"].map(Self.seconds), query["end"].map(Self.seconds)) {
        case (nil, nil):
            break
        case (.some(.some(let start)), .some(.some(let end))):
            guard start <= end else { return failure(400, "start must be before end") }
            first = Int((start + 86_399).floorDivided(by: 86_400))
            last = Int(end.floorDivided(by: 86_400))
            guard last - first + 1 <= Self.maxBuckets else {
                return failure(400, "granularity too small for the requested time range. Count of aggregations requested exceeds 300")
            }
        case (.some(.none), _), (_, .some(.none)):
            return failure(400, "Invalid start or end time")
        default:
            return failure(400, "start and end must both be given")
        }
        let listing = max(Self.launchDay, book.universe.firstDay(of: asset) ?? Self.launchDay)
        let lower = max(first, listing)
        var upper = min(last, lastDay)
        if rowFault == .overlap, upper >= lower { upper = min(upper + 3, lastDay) }
        var rows = lower <= upper ? (lower...upper).reversed().compactMap { book.candle(asset, quote, day: $0, venue: .coinbase) } : []
        switch rowFault {
        case .shortPage?: rows = RowEdits.dropMiddle(rows) { _ in true }
        case .invalidRows?: rows = RowEdits.corruptMiddle(rows, isData: { _ in true }) { $0.withHighBelowLow }
        default: break
        }
        return .json(.coinbase, "[" + rows.map(Self.row).joined(separator: ",") + "]")
    }

    /// `[time, low, high, open, close, volume]`.
    static func row(_ c: DayCandle) -> String {
        let decimals = NumberText.priceDecimals(for: min(c.low, c.high))
        let prices = [c.low, c.high, c.open, c.close].map { NumberText.trimmed($0, decimals) }
        return "[\(c.day * 86_400)," + prices.joined(separator: ",") + "," + NumberText.trimmed(c.volume, 8) + "]"
    }

    func ticker(_ asset: String, _ quote: String) -> Reply {
        guard let c = book.candle(asset, quote, day: book.universe.lastDay, venue: .coinbase) else { return failure(404, "NotFound") }
        let decimals = NumberText.priceDecimals(for: c.close)
        let price = NumberText.fixed(c.close, decimals)
        let ask = NumberText.fixed(c.close * 1.000_001 + 0.01, decimals)
        let time = Calendars.iso(book.universe.lastDay) + "T06:00:12.114832Z"
        return .json(.coinbase, "{\"ask\":\"\(ask)\",\"bid\":\"\(price)\",\"volume\":\"\(NumberText.fixed(c.volume, 8))\",\"trade_id\":\(c.trades * 331),"
                     + "\"price\":\"\(price)\",\"size\":\"0.00215000\",\"time\":\"\(time)\",\"rfq_volume\":\"\(NumberText.fixed(c.volume * 0.002, 6))\"}")
    }

    /// Seconds of an ISO-8601 time (`2024-03-01T00:00:00Z`), a date, or a number of seconds.
    static func seconds(_ text: String) -> Int64? {
        if let value = Int64(text) { return value }
        guard let day = FixtureUniverse.dayNumber(String(text.prefix(10))) else { return nil }
        var seconds = Int64(day) * 86_400
        let time = text.dropFirst(10)
        if !time.isEmpty {
            let clock = time.dropFirst().prefix(8).split(separator: ":").compactMap { Int64($0) }
            guard time.first == "T" || time.first == " ", clock.count == 3 else { return nil }
            seconds += clock[0] * 3600 + clock[1] * 60 + clock[2]
        }
        return seconds
    }

    func failure(_ status: Int, _ message: String) -> Reply {
        .json(.coinbase, "{\"message\":\(JSONText.string(message))}", status: status)
    }
}
