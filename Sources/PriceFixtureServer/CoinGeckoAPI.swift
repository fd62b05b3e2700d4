import Foundation

/// CoinGecko v3 (below `/api/v3`): `GET /coins/<id>/market_chart/range?vs_currency=&from=&to=`,
/// `/coins/<id>/market_chart?vs_currency=&days=` and `/simple/price`. Chart points are
/// `[ms, value]` at 00:00 UTC (the day's snapshot, one per day whatever the range;
/// `market_chart` ends with a point at the server's "now"). Without a Pro key
/// (`x-cg-pro-api-key` header or `x_cg_pro_api_key` query) history stops 365 days back
/// (401, error 10012).
struct CoinGeckoAPI: Sendable {
    static let standardIDs = [
        "bitcoin": "BTC", "ethereum": "ETH", "solana": "SOL", "ripple": "XRP", "cardano": "ADA", "dogecoin": "DOGE",
        "litecoin": "LTC", "binancecoin": "BNB", "polkadot": "DOT", "avalanche-2": "AVAX", "chainlink": "LINK", "tron": "TRX",
    ]
    static let historyDays = 365
    let book: PriceBook

    func reply(_ request: IncomingRequest, rowFault: Fault?) -> Reply? {
        let parts = request.path.split(separator: "/").map(String.init)
        guard parts.count >= 3, parts[0] == "api", parts[1] == "v3" else { return nil }
        let pro = request.header("x-cg-pro-api-key") != nil || request.query["x_cg_pro_api_key"] != nil
        switch Array(parts.dropFirst(2)) {
        case ["simple", "price"]:
            return simplePrice(request.query)
        case let route where route.count == 3 && route[0] == "coins" && route[2] == "market_chart":
            return chart(id: route[1], request.query, pro: pro, range: false, rowFault: rowFault)
        case let route where route.count == 4 && route[0] == "coins" && route[2] == "market_chart" && route[3] == "range":
            return chart(id: route[1], request.query, pro: pro, range: true, rowFault: rowFault)
        default:
            return nil
        }
    }

    /// The universe asset for a coin id (`bitcoin`, or a synthetic asset's lower-case name).
    func asset(_ id: String) -> String? {
        let asset = Self.standardIDs[id] ?? id.uppercased()
        return book.universe.firstDay(of: asset) != nil ? asset : nil
    }

    func chart(id: String, _ query: Query, pro: Bool, range: Bool, rowFault: Fault?) -> Reply {
        guard let asset = asset(id) else { return .json(.coingecko, #"{"error":"coin not found"}"#, status: 404) }
        guard let currency = query["vs_currency"], let quote = book.universe.quotes.first(where: { $0.lowercased() == currency }) else {
            return .json(.coingecko, #"{"error":"invalid vs_currency"}"#, status: 400)
        }
        let lastDay = book.universe.lastDay
        var firstDay: Int
        var lastPointDay = lastDay
        var withNow = false
        if range {
            guard let from = query["from"].flatMap(CoinbaseAPI.seconds), let to = query["to"].flatMap(CoinbaseAPI.seconds), from <= to else {
                return .json(.coingecko, #"{"error":"invalid from or to"}"#, status: 400)
            }
            firstDay = Int((from + 86_399).floorDivided(by: 86_400))
            lastPointDay = min(lastDay, Int(to.floorDivided(by: 86_400)))
        } else {
            let days = query["days"] ?? ""
            if days == "max" {
                firstDay = Int.min / 2
            } else if let count = Int(days), count > 0 {
                firstDay = lastDay - count + 1
            } else {
                return .json(.coingecko, #"{"error":"invalid days"}"#, status: 400)
            }
            withNow = true
        }
        if !pro, firstDay < lastDay - Self.historyDays { return historyLimit() }
        firstDay = max(firstDay, book.universe.firstDay(of: asset) ?? firstDay)
        var points: [(ms: Int64, price: Double, cap: Double, volume: Double)] = []
        if firstDay <= lastPointDay {
            for day in firstDay...lastPointDay {
                guard let snap = book.snapshot(asset, quote, day: day) else { continue }
                points.append((Int64(day) * 86_400_000, snap.price, snap.price * supply(asset), snap.dayVolume))
            }
        }
        if withNow, let today = book.candle(asset, quote, day: lastDay, venue: .aggregate) {
            points.append((Int64(book.nowSeconds) * 1000 + 345, today.close, today.close * supply(asset), 4 * (book.marketVolume(asset, quote, day: lastDay) ?? 0)))
        }
        switch rowFault {
        case .shortPage?: points = RowEdits.dropMiddle(points) { _ in true }
        case .invalidRows?: points = RowEdits.corruptMiddle(points, isData: { _ in true }) { ($0.ms, -$0.price, $0.cap, $0.volume) }
        default: break
        }
        func series(_ value: (Double) -> String, _ pick: ((ms: Int64, price: Double, cap: Double, volume: Double)) -> Double) -> String {
            "[" + points.map { "[\($0.ms),\(value(pick($0)))]" }.joined(separator: ",") + "]"
        }
        return .json(.coingecko, "{\"prices\":" + series(Self.number, \.price) + ",\"market_caps\":" + series(Self.number, \.cap)
                     + ",\"total_volumes\":" + series(Self.number, \.volume) + "}")
    }

    func simplePrice(_ query: Query) -> Reply {
        let ids = (query["ids"] ?? "").split(separator: ",").map(String.init)
        let currencies = (query["vs_currencies"] ?? "").split(separator: ",").map(String.init)
        let flags = ["include_market_cap", "include_24hr_vol", "include_24hr_change", "include_last_updated_at"].map { query[$0] == "true" }
        let lastDay = book.universe.lastDay
        let entries = ids.compactMap { id -> String? in
            guard let asset = asset(id) else { return nil }
            var fields: [String] = []
            for currency in currencies {
                guard let quote = book.universe.quotes.first(where: { $0.lowercased() == currency }),
                      let today = book.candle(asset, quote, day: lastDay, venue: .aggregate) else { continue }
                let yesterday = book.candle(asset, quote, day: lastDay - 1, venue: .aggregate)?.close ?? today.open
                fields.append("\"\(currency)\":" + (today.close >= 1000 ? String(Int(today.close.rounded())) : Self.number(today.close)))
                if flags[0] { fields.append("\"\(currency)_market_cap\":" + Self.number(today.close * supply(asset))) }
                if flags[1] { fields.append("\"\(currency)_24h_vol\":" + Self.number(4 * (book.marketVolume(asset, quote, day: lastDay) ?? 0))) }
                if flags[2] { fields.append("\"\(currency)_24h_change\":" + Self.number((today.close / yesterday - 1) * 100)) }
            }
            if flags[3] { fields.append("\"last_updated_at\":\(book.nowSeconds - 31)") }
            return JSONText.string(id) + ":{" + fields.joined(separator: ",") + "}"
        }
        return .json(.coingecko, "{" + entries.joined(separator: ",") + "}")
    }

    /// Circulating supply for market caps (BTC, ETH near their real ones).
    func supply(_ asset: String) -> Double {
        switch asset {
        case "BTC": 19_600_000
        case "ETH": 120_000_000
        default: Foundation.pow(10, 8 + 3 * book.noise.uniform(book.noise.stream(asset + "/supply"), 0))
        }
    }

    func historyLimit() -> Reply {
        let stamp = Calendars.iso(book.universe.lastDay) + "T06:00:13.102+00:00"
        return .json(.coingecko, "{\"error\":{\"status\":{\"timestamp\":\"\(stamp)\",\"error_code\":10012,\"error_message\":\"Your request exceeds the allowed time range. "
                     + "Public API users are limited to querying historical data within the past 365 days. Upgrade to a paid plan to enjoy full historical data access: "
                     + "https://www.coingecko.com/en/api/pricing. \"}}}", status: 401)
    }

    /// About 15 significant digits, no exponent (`37700.4311206985`).
    static func number(_ value: Double) -> String {
        let magnitude = abs(value)
        let digits = magnitude >= 1 ? Int(log10(magnitude).rounded(.down)) + 1 : 0
        let decimals = magnitude > 0 && magnitude < 1 ? NumberText.priceDecimals(for: magnitude) + 8 : max(0, 15 - digits)
        return NumberText.trimmed(value, min(decimals, 16))
    }
}
