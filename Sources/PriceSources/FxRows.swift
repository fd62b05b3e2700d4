/// Collects fixings for one pair: validates rates, de-duplicates and sorts dates.
struct FxRows {
    let source: String
    let pair: Instrument
    private var fixings: [UTCDay: FxFixing] = [:]
    private var noFixing: Set<UTCDay> = []
    private var rejected: [RejectedRow] = []

    init(source: String, pair: Instrument) {
        self.source = source
        self.pair = pair
    }

    /// A published value; `nil` text or `.`/empty means "listed without a fixing".
    mutating func add(date: String, value: JSON?, raw: String, divisor: Double = 1) {
        do throws(RowProblem) {
            let day = try Field.day(date, "date")
            if let text = value?.numericText, text == "." || text.isEmpty {
                noFixing.insert(day)
                return
            }
            guard let value, !value.isNull else {
                noFixing.insert(day)
                return
            }
            let rate = try Field.number(value, "rate") / divisor
            guard rate > 0, rate.isFinite else { throw RowProblem(.nonPositivePrice, "rate \(rate)", day: day) }
            if fixings[day] == nil {
                fixings[day] = FxFixing(base: pair.base, quote: pair.quote, day: day, rate: rate, source: source)
            } else if fixings[day]?.rate != rate {
                throw RowProblem(.conflictingDuplicate, "second rate for \(day)", day: day)
            }
        } catch {
            rejected.append(RejectedRow(reason: error.reason, detail: error.detail, day: error.day ?? UTCDay(iso: date), raw: raw))
        }
    }

    mutating func reject(_ problem: RowProblem, raw: String) {
        rejected.append(RejectedRow(reason: problem.reason, detail: problem.detail, day: problem.day, raw: raw))
    }

    var page: FxPage {
        FxPage(fixings: fixings.values.sorted { $0.day < $1.day }, noFixing: noFixing.subtracting(fixings.keys).sorted(), rejected: rejected)
    }
}
