/// CryptoCompare min-api: `GET /data/v2/histoday` (`limit + 1` rows ending with the day
/// containing `toTs`, oldest first, all-zero rows before the pair's first day),
/// `/data/pricemulti` and `/data/price`. Every answer, errors included, is HTTP 200.
struct CryptoCompareAPI: Sendable {
    static let maxLimit: Int64 = 2000
    let book: PriceBook

    func reply(_ request: IncomingRequest, rowFault: Fault?) -> Reply? {
        switch request.path {
        case "/data/v2/histoday": histoday(request.query, rowFault: rowFault)
        case "/data/pricemulti": priceMulti(request.query)
        case "/data/price": price(request.query)
        default: nil
        }
    }

    func histoday(_ query: Query, rowFault: Fault?) -> Reply {
        let universe = book.universe
        guard let fsym = query["fsym"], !fsym.isEmpty else { return error("fsym param seems to be missing.", param: "fsym") }
        guard let tsym = query["tsym"], !tsym.isEmpty else { return error("tsym param seems to be missing.", param: "tsym") }
        guard universe.firstDay(of: fsym) != nil else { return error("There is no data for the symbol \(fsym) .", param: "fsym") }
        guard universe.hasQuote(tsym) else {
            return query["tryConversion"] == "false"
                ? error("cccagg_or_exchange market does not exist for this coin pair (\(fsym)-\(tsym))", param: "e")
                : error("There is no data for the toSymbol \(tsym) .", param: "tsym")
        }
        let limit: Int64
        switch query.integer("limit") {
        case .none: limit = 30
        case .some(.some(let value)) where value >= 1 && value <= Self.maxLimit: limit = value
        default: return error("limit param is not valid, it must be an integer between 1 and \(Self.maxLimit).", param: "limit")
        }
        var end = universe.lastDay
        switch query.integer("toTs") {
        case .none: break
        case .some(.some(let seconds)): end = min(end, Int(seconds.floorDivided(by: 86_400)))
        case .some(.none): return error("toTs param is not an integer.", param: "toTs")
        }
        let first = universe.firstDay(of: fsym) ?? end
        let start = query["allData"] == "true" ? min(first, end) : end - Int(limit)
        var rows = (start...max(start, end)).map { day in (day: day, candle: book.candle(fsym, tsym, day: day, venue: .aggregate)) }
        switch rowFault {
        case .shortPage?: rows = RowEdits.dropMiddle(rows) { $0.candle != nil }
        case .invalidRows?: rows = RowEdits.corruptMiddle(rows, isData: { $0.candle != nil }) { ($0.day, $0.candle?.withHighBelowLow) }
        case .overlap?:
            let newer = end < universe.lastDay ? Array((end + 1)...min(end + 3, universe.lastDay)) : []
            rows += newer.map { ($0, book.candle(fsym, tsym, day: $0, venue: .aggregate)) }
        default: break
        }
        return .json(.cryptocompare, Self.successBody(rows))
    }

    static func successBody(_ rows: [(day: Int, candle: DayCandle?)]) -> String {
        let from = (rows.first?.day ?? 0) * 86_400
        let to = (rows.last?.day ?? 0) * 86_400
        var body = #"{"Response":"Success","Message":"","HasWarning":false,"Type":100,"RateLimit":{},"Data":{"Aggregated":false,"TimeFrom":"#
        body += "\(from),\"TimeTo\":\(to),\"Data\":["
        body += rows.map { row($0.day, $0.candle) }.joined(separator: ",")
        return body + "]}}"
    }

    /// `{"time":…,"high":…,"low":…,"open":…,"volumefrom":…,"volumeto":…,"close":…,"conversionType":"direct","conversionSymbol":""}`.
    static func row(_ day: Int, _ candle: DayCandle?) -> String {
        let tail = #","conversionType":"direct","conversionSymbol":""}"#
        guard let c = candle else {
            return "{\"time\":\(day * 86_400),\"high\":0,\"low\":0,\"open\":0,\"volumefrom\":0,\"volumeto\":0,\"close\":0" + tail
        }
        let decimals = NumberText.priceDecimals(for: min(c.low, c.high))
        func price(_ value: Double) -> String { NumberText.trimmed(value, decimals) }
        let volumeDecimals = c.volume < 1 ? NumberText.priceDecimals(for: c.volume) : 2
        return "{\"time\":\(day * 86_400),\"high\":\(price(c.high)),\"low\":\(price(c.low)),\"open\":\(price(c.open)),"
            + "\"volumefrom\":\(NumberText.trimmed(c.volume, volumeDecimals)),\"volumeto\":\(NumberText.trimmed(c.quoteVolume, 2)),"
            + "\"close\":\(price(c.close))" + tail
    }

    func priceMulti(_ query: Query) -> Reply {
        let assets = (query["fsyms"] ?? "").split(separator: ",").map(String.init)
        let quotes = (query["tsyms"] ?? "").split(separator: ",").map(String.init)
        guard !assets.isEmpty else { return error("fsyms param seems to be missing.", param: "fsyms") }
        guard !quotes.isEmpty else { return error("tsyms param seems to be missing.", param: "tsyms") }
        let known = assets.filter { book.universe.firstDay(of: $0) != nil }
        guard !known.isEmpty else { return error("There is no data for the symbol \(assets[0]) .", param: "fsyms") }
        let entries = known.map { asset in JSONText.string(asset) + ":" + latest(asset, quotes) }
        return .json(.cryptocompare, "{" + entries.joined(separator: ",") + "}")
    }

    func price(_ query: Query) -> Reply {
        guard let asset = query["fsym"], book.universe.firstDay(of: asset) != nil else {
            return error("There is no data for the symbol \(query["fsym"] ?? "") .", param: "fsym")
        }
        return .json(.cryptocompare, latest(asset, (query["tsyms"] ?? "").split(separator: ",").map(String.init)))
    }

    /// `{"INR":…,"USD":…}`: today's close in each known quote.
    func latest(_ asset: String, _ quotes: [String]) -> String {
        let today = book.universe.lastDay
        let values = quotes.compactMap { quote -> String? in
            guard book.universe.hasQuote(quote), let candle = book.candle(asset, quote, day: today, venue: .aggregate) else { return nil }
            return JSONText.string(quote) + ":" + NumberText.trimmed(candle.close, NumberText.priceDecimals(for: candle.close))
        }
        return "{" + values.joined(separator: ",") + "}"
    }

    /// `{"Response":"Error","Message":…,"Type":2,…,"ParamWithError":…}` with HTTP 200.
    func error(_ message: String, param: String) -> Reply {
        .json(.cryptocompare, #"{"Response":"Error","Message":"# + JSONText.string(message)
              + #","HasWarning":false,"Type":2,"RateLimit":{},"Data":{},"ParamWithError":"# + JSONText.string(param) + "}")
    }
}

extension Int64 {
    /// Division rounding towards negative infinity.
    func floorDivided(by divisor: Int64) -> Int64 {
        let quotient = self / divisor
        return (self % divisor != 0 && (self < 0) != (divisor < 0)) ? quotient - 1 : quotient
    }
}
