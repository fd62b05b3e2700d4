/// FRED series `DEXINUS` (INR per USD, H.10): the JSON API
/// `GET /fred/series/observations?series_id=DEXINUS&file_type=json&api_key=…` (values as
/// strings, `"."` on weekdays without a fixing) and the keyless CSV
/// `GET /graph/fredgraph.csv?id=DEXINUS&cosd=…&coed=…` (current header, empty cells).
/// Weekdays only, from 1973-01-02 to the Friday before the latest Monday (H.10 is
/// published weekly).
struct FredAPI: Sendable {
    static let series = "DEXINUS"
    static let firstDay = Calendars.day(1973, 1, 2)
    let book: PriceBook

    func reply(_ request: IncomingRequest, rowFault: Fault?) -> Reply? {
        switch request.path {
        case "/fred/series/observations": observations(request.query, rowFault: rowFault)
        case "/graph/fredgraph.csv": csv(request.query, rowFault: rowFault)
        default: nil
        }
    }

    /// The newest observation: the Friday before the latest Monday up to "today".
    var lastObservation: Int {
        let today = book.universe.lastDay
        return today - (Calendars.weekday(today) - 1) - 3
    }

    /// (day, value or `nil` for a listed day without a fixing), oldest first.
    func rows(_ start: Int, _ end: Int, rowFault: Fault?) -> [(day: Int, value: Double?)] {
        let lower = max(start, Self.firstDay)
        let upper = min(end, lastObservation)
        guard lower <= upper else { return [] }
        var rows = (lower...upper).filter { !Calendars.isWeekend($0) }.map { day in
            (day: day, value: Calendars.isH10Holiday(day) ? nil : Optional(book.fx.rate(day, .h10)))
        }
        switch rowFault {
        case .shortPage?: rows = RowEdits.dropMiddle(rows) { $0.value != nil }
        case .invalidRows?: rows = RowEdits.corruptMiddle(rows, isData: { $0.value != nil }) { ($0.day, $0.value.map { -$0 }) }
        default: break
        }
        return rows
    }

    func observations(_ query: Query, rowFault: Fault?) -> Reply {
        guard let key = query["api_key"], key.utf8.count == 32,
              key.utf8.allSatisfy({ (0x61...0x7A).contains($0) || (0x30...0x39).contains($0) }) else {
            return failure("Bad Request.  The value for variable api_key is not a 32 character alpha-numeric lower-case string.  Read https://fred.stlouisfed.org/docs/api/api_key.html for more information.")
        }
        guard let series = query["series_id"], !series.isEmpty else { return failure("Bad Request.  Variable series_id is not set.") }
        guard series == Self.series else { return failure("Bad Request.  The series does not exist.") }
        guard query["file_type"] == "json" else { return failure("Bad Request.  This fixture server only answers file_type=json.") }
        let startText = query["observation_start"] ?? "1776-07-04"
        let endText = query["observation_end"] ?? "9999-12-31"
        guard let start = FixtureUniverse.dayNumber(startText) else { return failure("Bad Request.  Variable observation_start is not a valid date.") }
        guard let end = FixtureUniverse.dayNumber(endText) else { return failure("Bad Request.  Variable observation_end is not a valid date.") }
        let descending = query["sort_order"] == "desc"
        let limit = query["limit"].flatMap { Int($0) } ?? 100_000
        let offset = query["offset"].flatMap { Int($0) } ?? 0
        guard (1...100_000).contains(limit), offset >= 0 else { return failure("Bad Request.  Variable limit or offset is out of range.") }
        var all = rows(start, end, rowFault: rowFault)
        if descending { all.reverse() }
        let today = JSONText.string(Calendars.iso(book.universe.lastDay))
        let realtime = "\"realtime_start\":\(today),\"realtime_end\":\(today)"
        let listed = all.dropFirst(offset).prefix(limit).map { row in
            "{\(realtime),\"date\":\"\(Calendars.iso(row.day))\",\"value\":\"\(row.value.map { NumberText.trimmed($0, 4) } ?? ".")\"}"
        }
        let body = "{\(realtime),\"observation_start\":\(JSONText.string(startText)),\"observation_end\":\(JSONText.string(endText)),"
            + "\"units\":\"lin\",\"output_type\":1,\"file_type\":\"json\",\"order_by\":\"observation_date\","
            + "\"sort_order\":\"\(descending ? "desc" : "asc")\",\"count\":\(all.count),\"offset\":\(offset),\"limit\":\(limit),"
            + "\"observations\":[" + listed.joined(separator: ",") + "]}"
        return .json(.fred, body)
    }

    func csv(_ query: Query, rowFault: Fault?) -> Reply {
        guard query["id"] == Self.series else {
            return Reply(status: 404, contentType: "text/html", body: "<html><body>Series not found</body></html>")
        }
        let start = query["cosd"].flatMap(FixtureUniverse.dayNumber) ?? Self.firstDay
        let end = query["coed"].flatMap(FixtureUniverse.dayNumber) ?? lastObservation
        let lines = rows(start, end, rowFault: rowFault).map { "\(Calendars.iso($0.day)),\($0.value.map { NumberText.fixed($0, 4) } ?? "")\n" }
        return Reply(contentType: "text/csv;charset=UTF-8", body: "observation_date,\(Self.series)\n" + lines.joined())
    }

    func failure(_ message: String) -> Reply {
        .json(.fred, "{\"error_code\":400,\"error_message\":\(JSONText.string(message))}", status: 400)
    }
}
