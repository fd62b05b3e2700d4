/// Alpha Vantage `GET /query`: `function=DIGITAL_CURRENCY_DAILY&symbol=&market=&apikey=`
/// (the 2024+ format, pretty-printed, newest first, the last 1000 days; `datatype=csv`
/// too) and `function=CURRENCY_EXCHANGE_RATE`. Its quirk is kept: market prices are the
/// USD ones times one constant rate for the whole series. Every answer is HTTP 200.
struct AlphaVantageAPI: Sendable {
    static let historyDays = 1000
    static let names = ["BTC": "Bitcoin", "ETH": "Ethereum", "SOL": "Solana", "XRP": "XRP", "ADA": "Cardano", "DOGE": "Dogecoin", "LTC": "Litecoin"]
    static let marketNames = ["USD": "United States Dollar", "INR": "Indian Rupee", "EUR": "Euro"]
    let book: PriceBook

    func reply(_ request: IncomingRequest, rowFault: Fault?) -> Reply? {
        guard request.path == "/query" else { return nil }
        let query = request.query
        guard let key = query["apikey"], !key.isEmpty else {
            return message("Error Message", "the parameter apikey is invalid or missing. Please claim your free API key on (https://www.alphavantage.co/support/#api-key). It should take less than 20 seconds.")
        }
        guard key != "demo" else {
            return message("Information", "The **demo** API key is for demo purposes only. Please claim your free API key at (https://www.alphavantage.co/support/#api-key) to explore our full API offerings. It takes fewer than 20 seconds.")
        }
        switch query["function"] {
        case "DIGITAL_CURRENCY_DAILY"?: return daily(query, rowFault: rowFault)
        case "CURRENCY_EXCHANGE_RATE"?: return exchangeRate(query)
        default: return message("Error Message", "This API function (\(query["function"] ?? "")) does not exist.")
        }
    }

    func daily(_ query: Query, rowFault: Fault?) -> Reply {
        guard let asset = query["symbol"], let first = book.universe.firstDay(of: asset), let market = query["market"], book.universe.hasQuote(market) else {
            return message("Error Message", "Invalid API call. Please retry or visit the documentation (https://www.alphavantage.co/documentation/) for DIGITAL_CURRENCY_DAILY.")
        }
        let lastDay = book.universe.lastDay
        let factor = market == "USD" ? 1 : (book.candle(asset, market, day: lastDay, venue: .aggregate)?.close ?? 1) / (book.usdCandle(asset, day: lastDay)?.close ?? 1)
        let lower = max(first, lastDay - Self.historyDays + 1)
        var rows = lower <= lastDay ? (lower...lastDay).reversed().compactMap { book.usdCandle(asset, day: $0)?.scaled(by: factor, volumeShare: 1) } : []
        switch rowFault {
        case .shortPage?: rows = RowEdits.dropMiddle(rows) { _ in true }
        case .invalidRows?: rows = RowEdits.corruptMiddle(rows, isData: { _ in true }) { $0.withHighBelowLow }
        default: break
        }
        func text(_ value: Double) -> String { NumberText.fixed(value, 8) }
        if query["datatype"] == "csv" {
            let lines = rows.map { "\(Calendars.iso($0.day)),\(text($0.open)),\(text($0.high)),\(text($0.low)),\(text($0.close)),\(text($0.volume))\r\n" }
            return Reply(contentType: "text/csv", body: "timestamp,open,high,low,close,volume\r\n" + lines.joined())
        }
        let meta = [
            ("1. Information", "Daily Prices and Volumes for Digital Currency"), ("2. Digital Currency Code", asset),
            ("3. Digital Currency Name", Self.names[asset] ?? asset), ("4. Market Code", market),
            ("5. Market Name", Self.marketNames[market] ?? market), ("6. Last Refreshed", Calendars.iso(lastDay) + " 00:00:00"), ("7. Time Zone", "UTC"),
        ]
        let metaText = meta.map { "        \(JSONText.string($0.0)): \(JSONText.string($0.1))" }.joined(separator: ",\n")
        let days = rows.map { c in
            "        \"\(Calendars.iso(c.day))\": {\n            \"1. open\": \"\(text(c.open))\",\n            \"2. high\": \"\(text(c.high))\",\n"
                + "            \"3. low\": \"\(text(c.low))\",\n            \"4. close\": \"\(text(c.close))\",\n            \"5. volume\": \"\(text(c.volume))\"\n        }"
        }
        let body = "{\n    \"Meta Data\": {\n" + metaText + "\n    },\n    \"Time Series (Digital Currency Daily)\": {\n" + days.joined(separator: ",\n") + "\n    }\n}"
        return .json(.alphavantage, body)
    }

    func exchangeRate(_ query: Query) -> Reply {
        guard let asset = query["from_currency"], let market = query["to_currency"], book.universe.hasQuote(market),
              let today = book.candle(asset, market, day: book.universe.lastDay, venue: .aggregate) else {
            return message("Error Message", "Invalid API call. Please retry or visit the documentation (https://www.alphavantage.co/documentation/) for CURRENCY_EXCHANGE_RATE.")
        }
        let stamp = Calendars.iso(book.universe.lastDay) + " 06:00:01"
        let fields = [
            ("1. From_Currency Code", asset), ("2. From_Currency Name", Self.names[asset] ?? asset), ("3. To_Currency Code", market),
            ("4. To_Currency Name", Self.marketNames[market] ?? market), ("5. Exchange Rate", NumberText.fixed(today.close, 8)),
            ("6. Last Refreshed", stamp), ("7. Time Zone", "UTC"), ("8. Bid Price", NumberText.fixed(today.close * 0.999_998, 8)),
            ("9. Ask Price", NumberText.fixed(today.close * 1.000_001, 8)),
        ]
        let text = fields.map { "        \(JSONText.string($0.0)): \(JSONText.string($0.1))" }.joined(separator: ",\n")
        return .json(.alphavantage, "{\n    \"Realtime Currency Exchange Rate\": {\n" + text + "\n    }\n}")
    }

    /// A one-key object, pretty-printed as Alpha Vantage does.
    func message(_ key: String, _ text: String) -> Reply {
        .json(.alphavantage, "{\n    \(JSONText.string(key)): \(JSONText.string(text))\n}")
    }
}
