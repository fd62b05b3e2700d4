/// Binance spot: `GET /api/v3/klines` (daily klines of `<ASSET>USDT`, oldest first,
/// prices and volumes as strings, times in ms, paged forwards with `startTime`) and
/// `GET /api/v3/ticker/price`. Only USD-family quotes exist (`USDT`, `USDC`, `FDUSD`,
/// served when the universe quotes `USD`); no pair trades before 2017-08-17.
struct BinanceAPI: Sendable {
    /// 2017-08-17, the first BTCUSDT kline.
    static let launchDay = 17_395
    static let stableQuotes = ["FDUSD", "USDT", "USDC"]
    let book: PriceBook

    func reply(_ request: IncomingRequest, rowFault: Fault?) -> Reply? {
        switch request.path {
        case "/api/v3/klines": klines(request.query, rowFault: rowFault)
        case "/api/v3/ticker/price": tickerPrice(request.query)
        default: nil
        }
    }

    /// Request weight of a call, as `X-MBX-USED-WEIGHT-1M` counts it.
    static func weight(_ request: IncomingRequest) -> Int {
        switch request.path {
        case "/api/v3/klines": 2
        case "/api/v3/ticker/price": request.query["symbol"] == nil ? 4 : 2
        default: 1
        }
    }

    /// The asset of a symbol such as `BTCUSDT`, when the universe has it.
    func asset(ofSymbol symbol: String) -> String? {
        guard book.universe.hasQuote("USD"), let quote = Self.stableQuotes.first(where: { symbol.hasSuffix($0) }) else { return nil }
        let asset = String(symbol.dropLast(quote.count))
        return book.universe.firstDay(of: asset) != nil ? asset : nil
    }

    /// The first kline day of an asset: its first day, but not before 2017-08-17.
    func listingDay(_ asset: String) -> Int {
        max(Self.launchDay, book.universe.firstDay(of: asset) ?? Self.launchDay)
    }

    func klines(_ query: Query, rowFault: Fault?) -> Reply {
        guard let symbol = query["symbol"], !symbol.isEmpty else { return error(-1102, "Mandatory parameter 'symbol' was not sent, was empty/null, or malformed.") }
        guard let interval = query["interval"], !interval.isEmpty else { return error(-1102, "Mandatory parameter 'interval' was not sent, was empty/null, or malformed.") }
        guard let asset = asset(ofSymbol: symbol) else { return error(-1121, "Invalid symbol.") }
        guard interval == "1d" else { return error(-1120, "Invalid interval.") }
        var limit = 500
        if let text = query["limit"] {
            guard let value = Int(text), (1...1000).contains(value) else { return error(-1130, "Data sent for parameter 'limit' is not valid.") }
            limit = value
        }
        let start = query["startTime"].map { Int64($0) }
        let end = query["endTime"].map { Int64($0) }
        if case .some(.none) = start { return error(-1100, "Illegal characters found in parameter 'startTime'; legal range is '^[0-9]{1,20}$'.") }
        if case .some(.none) = end { return error(-1100, "Illegal characters found in parameter 'endTime'; legal range is '^[0-9]{1,20}$'.") }
        if let s = start ?? nil, let e = end ?? nil, s > e { return error(-1023, "Start time is greater than end time.") }
        let listing = listingDay(asset)
        let lower = max(listing, (start ?? nil).map { Int(($0 + 86_399_999).floorDivided(by: 86_400_000)) } ?? listing)
        let upper = min(book.universe.lastDay, (end ?? nil).map { Int($0.floorDivided(by: 86_400_000)) } ?? book.universe.lastDay)
        var days: [Int] = []
        if lower <= upper {
            days = (start ?? nil) != nil ? Array(lower...min(upper, lower + limit - 1)) : Array(max(lower, upper - limit + 1)...upper)
        }
        if rowFault == .overlap, let first = days.first, first > listing {
            days = Array(max(listing, first - 3)..<first) + days
        }
        var rows = days.compactMap { book.candle(asset, "USD", day: $0, venue: .binance) }
        switch rowFault {
        case .shortPage?: rows = RowEdits.dropMiddle(rows) { _ in true }
        case .invalidRows?: rows = RowEdits.corruptMiddle(rows, isData: { _ in true }) { $0.withHighBelowLow }
        default: break
        }
        return .json(.binance, "[" + rows.map { kline($0, asset: asset) }.joined(separator: ",") + "]")
    }

    /// `[open ms,"open","high","low","close","volume",close ms,"quote volume",trades,"taker base","taker quote","0"]`.
    func kline(_ c: DayCandle, asset: String) -> String {
        let decimals = min(8, NumberText.priceDecimals(for: min(c.low, c.high)))
        func price(_ value: Double) -> String { "\"" + NumberText.fixed(value, decimals) + String(repeating: "0", count: 8 - decimals) + "\"" }
        let taker = 0.4 + 0.2 * book.noise.uniform(book.noise.stream(asset + "/taker"), c.day)
        let open = Int64(c.day) * 86_400_000
        return "[\(open),\(price(c.open)),\(price(c.high)),\(price(c.low)),\(price(c.close)),\"\(NumberText.fixed(c.volume, 5))000\","
            + "\(open + 86_399_999),\"\(NumberText.fixed(c.quoteVolume, 8))\",\(c.trades),\"\(NumberText.fixed(c.volume * taker, 5))000\","
            + "\"\(NumberText.fixed(c.quoteVolume * taker, 8))\",\"0\"]"
    }

    func tickerPrice(_ query: Query) -> Reply {
        if let symbol = query["symbol"] {
            guard let entry = ticker(symbol) else { return error(-1121, "Invalid symbol.") }
            return .json(.binance, entry)
        }
        let symbols: [String]
        if let list = query["symbols"] {
            symbols = list.trimming("[]").split(separator: ",").map { String($0).trimming("\" ") }
        } else {
            symbols = book.universe.hasQuote("USD") ? book.universe.assets.filter { listingDay($0) <= book.universe.lastDay }.map { $0 + "USDT" } : []
        }
        let entries = symbols.compactMap(ticker)
        guard entries.count == symbols.count else { return error(-1121, "Invalid symbol.") }
        return .json(.binance, "[" + entries.joined(separator: ",") + "]")
    }

    /// `{"symbol":"BTCUSDT","price":"69894.43000000"}` from today's kline.
    func ticker(_ symbol: String) -> String? {
        guard let asset = asset(ofSymbol: symbol), listingDay(asset) <= book.universe.lastDay,
              let candle = book.candle(asset, "USD", day: book.universe.lastDay, venue: .binance) else { return nil }
        let decimals = min(8, NumberText.priceDecimals(for: candle.close))
        return "{\"symbol\":\(JSONText.string(symbol)),\"price\":\"\(NumberText.fixed(candle.close, decimals))\(String(repeating: "0", count: 8 - decimals))\"}"
    }

    /// `{"code":…,"msg":…}` with HTTP 400.
    func error(_ code: Int, _ message: String) -> Reply {
        .json(.binance, "{\"code\":\(code),\"msg\":\(JSONText.string(message))}", status: 400)
    }
}

extension String {
    /// Drops leading and trailing characters that are in `set`.
    func trimming(_ set: String) -> String {
        let unwanted = Set(set)
        var slice = Substring(self)
        while let first = slice.first, unwanted.contains(first) { slice = slice.dropFirst() }
        while let last = slice.last, unwanted.contains(last) { slice = slice.dropLast() }
        return String(slice)
    }
}
