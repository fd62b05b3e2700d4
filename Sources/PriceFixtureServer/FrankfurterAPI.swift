/// Frankfurter v1 (ECB reference rates), USD→INR only: `GET /v1/<from>..<to>`,
/// `/v1/<from>..`, `/v1/<date>`, `/v1/latest` with `from`/`base` and `to`/`symbols`.
/// Fixings exist on ECB working days from 2009-01-02 up to the day before the server's
/// "today" (today's is published at ~16:00 CET, after the server's clock).
struct FrankfurterAPI: Sendable {
    /// 2009-01-02, the ECB's first INR fixing.
    static let firstINRDay = 14_246
    let book: PriceBook

    func reply(_ request: IncomingRequest, rowFault: Fault?) -> Reply? {
        guard request.path.hasPrefix("/v1/") else { return nil }
        let target = String(request.path.dropFirst(4))
        if target == "currencies" {
            return ok(#"{"EUR":"Euro","INR":"Indian Rupee","USD":"United States Dollar"}"#)
        }
        let base = request.query["from"] ?? request.query["base"] ?? "EUR"
        let quote = request.query["to"] ?? request.query["symbols"] ?? "INR"
        guard base != quote else { return failure(422, "bad currency pair") }
        let amountText = request.query["amount"] ?? "1"
        guard let amount = Double(amountText), amount > 0, amount.isFinite else { return failure(422, "invalid amount") }
        guard base == "USD", quote == "INR" else { return failure(404, "not found") }
        if target == "latest" || target == "current" { return single(book.universe.lastDay, amount: amount) }
        if let range = target.range(of: "..") {
            guard let start = FixtureUniverse.dayNumber(String(target[..<range.lowerBound])) else { return failure(422, "invalid date") }
            let endText = String(target[range.upperBound...])
            guard let end = endText.isEmpty ? book.universe.lastDay : FixtureUniverse.dayNumber(endText) else { return failure(422, "invalid date") }
            return series(start, end, amount: amount, rowFault: rowFault)
        }
        guard let date = FixtureUniverse.dayNumber(target) else { return failure(422, "invalid date") }
        return single(date, amount: amount)
    }

    /// A range: starts at the working day on or before `start`; non-working days absent.
    func series(_ start: Int, _ end: Int, amount: Double, rowFault: Fault?) -> Reply {
        let last = min(end, book.universe.lastDay - 1)
        guard start <= book.universe.lastDay, start <= end,
              let first = workingDay(onOrBefore: min(max(start, Self.firstINRDay), book.universe.lastDay - 1)), first <= last else {
            return failure(404, "not found")
        }
        var rows = (first...last).filter(Calendars.isECBWorkingDay).map { ($0, rate($0) * amount) }
        switch rowFault {
        case .shortPage?: rows = RowEdits.dropMiddle(rows) { _ in true }
        case .invalidRows?: rows = RowEdits.corruptMiddle(rows, isData: { _ in true }) { ($0.0, -$0.1) }
        default: break
        }
        guard let firstRow = rows.first, let lastRow = rows.last else { return failure(404, "not found") }
        let entries = rows.map { "\"\(Calendars.iso($0.0))\":{\"INR\":\(Self.text($0.1))}" }
        return ok("{\"amount\":\(NumberText.trimmed(amount, 4, keepPoint: true)),\"base\":\"USD\",\"start_date\":\"\(Calendars.iso(firstRow.0))\","
                  + "\"end_date\":\"\(Calendars.iso(lastRow.0))\",\"rates\":{" + entries.joined(separator: ",") + "}}")
    }

    /// One date (a later date answers the latest fixing; a non-working day the one before).
    func single(_ date: Int, amount: Double) -> Reply {
        guard let day = workingDay(onOrBefore: min(date, book.universe.lastDay - 1)) else { return failure(404, "not found") }
        return ok("{\"amount\":\(NumberText.trimmed(amount, 4, keepPoint: true)),\"base\":\"USD\",\"date\":\"\(Calendars.iso(day))\","
                  + "\"rates\":{\"INR\":\(Self.text(rate(day) * amount))}}")
    }

    /// The last ECB working day on or before `day`, from 2009-01-02.
    func workingDay(onOrBefore day: Int) -> Int? {
        var candidate = day
        while candidate >= Self.firstINRDay {
            if Calendars.isECBWorkingDay(candidate) { return candidate }
            candidate -= 1
        }
        return nil
    }

    /// The ECB-derived USD→INR cross rate, rounded as Frankfurter rounds it.
    func rate(_ day: Int) -> Double {
        book.fx.rate(day, .ecb)
    }

    /// 4 decimals below 20, 3 below 80, 2 above; trailing zeros trimmed (`45.5`, `46.0`).
    static func text(_ rate: Double) -> String {
        let magnitude = abs(rate)
        return NumberText.trimmed(rate, magnitude < 20 ? 4 : magnitude < 80 ? 3 : 2, keepPoint: true)
    }

    func ok(_ body: String) -> Reply {
        .json(.frankfurter, body, headers: [("Cache-Control", "public, max-age=86400"), ("ETag", Self.etag(body))])
    }

    func failure(_ status: Int, _ message: String) -> Reply {
        .json(.frankfurter, "{\"message\":\(JSONText.string(message))}", status: status, headers: [("Cache-Control", "no-store")])
    }

    static func etag(_ body: String) -> String {
        "W/\"" + String(SeededNoise(seed: 0).stream(body), radix: 16) + "\""
    }
}
