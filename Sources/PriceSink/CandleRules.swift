import PriceModel

/// Normalisation and validation of candles and rates before they are stored.
public enum CandleRules {
    /// Interval names and their canonical form.
    static let canonicalIntervals: [String: String] = [
        "1d": "1d", "d": "1d", "day": "1d", "daily": "1d", "1day": "1d", "24h": "1d", "86400": "1d", "1440": "1d",
        "1h": "1h", "h": "1h", "hour": "1h", "hourly": "1h", "60m": "1h", "3600": "1h",
        "1w": "1w", "w": "1w", "week": "1w", "weekly": "1w",
    ]

    /// Milliseconds of each canonical interval (alignment of `open_time`).
    static let intervalMilliseconds: [String: Int64] = ["1d": millisecondsPerDay, "1h": 3_600_000, "1w": 7 * millisecondsPerDay]

    /// 2009-01-03, the first Bitcoin block: no candle is older.
    public static let earliestOpenTime: Int64 = 1_230_940_800_000

    /// Upper-case symbols, lower-case source, canonical interval name.
    public static func normalised(_ c: Candle) -> Candle {
        // Records from our producer are already canonical: check bytes before building strings.
        if isCanonical(c.base, upper: true), isCanonical(c.quote, upper: true), isCanonical(c.source, upper: false),
           c.interval == "1d" || c.interval == "1h" || c.interval == "1w" {
            return c
        }
        var c = c
        c.base = c.base.trimmingWhitespace().uppercased()
        c.quote = c.quote.trimmingWhitespace().uppercased()
        c.source = c.source.trimmingWhitespace().lowercased()
        let interval = c.interval.trimmingWhitespace().lowercased()
        c.interval = canonicalIntervals[interval] ?? interval
        return c
    }

    /// True when `text` is ASCII without whitespace and without letters of the other case:
    /// normalising it would not change it.
    static func isCanonical(_ text: String, upper: Bool) -> Bool {
        let wrongCase: ClosedRange<UInt8> = upper ? 0x61...0x7A : 0x41...0x5A
        for byte in text.utf8 where byte <= 0x20 || byte >= 0x7F || wrongCase.contains(byte) { return false }
        return true
    }

    /// Why a (normalised) candle cannot be stored, or nil when it can.
    /// - Parameter now: the current time, milliseconds since the epoch.
    public static func problem(with c: Candle, now: Int64) -> DeadLetterReason? {
        func invalid(_ message: String) -> DeadLetterReason { DeadLetterReason(stage: "validate", kind: "invalid_candle", message: message) }
        if c.source.isEmpty || c.base.isEmpty || c.quote.isEmpty { return invalid("source, base and quote must not be empty") }
        guard let step = intervalMilliseconds[c.interval] else { return invalid("unknown interval '\(c.interval.prefix(16))'") }
        let prices = [("open", c.open), ("high", c.high), ("low", c.low), ("close", c.close)]
        for (name, value) in prices where !value.isFinite || value <= 0 {
            return invalid("\(name) is \(value): prices must be finite and positive")
        }
        if !c.volume.isFinite || c.volume < 0 { return invalid("volume is \(c.volume): it must be finite and not negative") }
        if let cap = c.marketCap, !cap.isFinite || cap < 0 { return invalid("market_cap is \(cap): it must be finite and not negative") }
        if c.low > c.high { return invalid("low \(c.low) is above high \(c.high)") }
        if c.open < c.low || c.open > c.high { return invalid("open \(c.open) is outside [low \(c.low), high \(c.high)]") }
        if c.close < c.low || c.close > c.high { return invalid("close \(c.close) is outside [low \(c.low), high \(c.high)]") }
        let alignment = c.interval == "1w" ? (c.openTime - 4 * millisecondsPerDay) % step : c.openTime % step
        if alignment != 0 { return invalid("open_time \(c.openTime) is not aligned to the start of a \(c.interval) candle (00:00 UTC)") }
        if c.openTime < earliestOpenTime { return invalid("open_time \(c.openTime) is before 2009-01-03 (seconds given as milliseconds?)") }
        if c.openTime > now { return invalid("open_time \(c.openTime) is in the future") }
        return nil
    }

    /// Why a rate cannot be stored, or nil when it can.
    public static func problem(with r: FxRate) -> DeadLetterReason? {
        func invalid(_ message: String) -> DeadLetterReason { DeadLetterReason(stage: "validate", kind: "invalid_rate", message: message) }
        if r.base.isEmpty || r.quote.isEmpty || r.source.isEmpty { return invalid("base, quote and source must not be empty") }
        if !r.rate.isFinite || r.rate <= 0 { return invalid("rate is \(r.rate): it must be finite and positive") }
        return nil
    }

    public static func normalised(_ r: FxRate) -> FxRate {
        FxRate(base: r.base.trimmingWhitespace().uppercased(), quote: r.quote.trimmingWhitespace().uppercased(),
               date: r.date, rate: r.rate, source: r.source.trimmingWhitespace().lowercased())
    }
}

extension String {
    func trimmingWhitespace() -> String {
        var s = Substring(self)
        while let f = s.first, f.isWhitespace { s.removeFirst() }
        while let l = s.last, l.isWhitespace { s.removeLast() }
        return s.count == count ? self : String(s)
    }
}
