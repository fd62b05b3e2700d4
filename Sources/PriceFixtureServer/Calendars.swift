import PriceSources

/// Working-day calendars, on day numbers (days since 1970-01-01).
enum Calendars {
    /// ISO weekday: 1 = Monday ... 7 = Sunday (1970-01-01 was a Thursday).
    static func weekday(_ day: Int) -> Int {
        ((day + 3) % 7 + 7) % 7 + 1
    }

    static func isWeekend(_ day: Int) -> Bool { weekday(day) >= 6 }

    /// The day number of a civil date (callers pass valid dates).
    static func day(_ year: Int, _ month: Int, _ dayOfMonth: Int) -> Int {
        Int(UTCDay(year: year, month: month, day: dayOfMonth)?.daysSinceEpoch ?? 0)
    }

    static func components(_ day: Int) -> (year: Int, month: Int, day: Int) {
        UTCDay(daysSinceEpoch: Int64(day)).components
    }

    static func iso(_ day: Int) -> String { UTCDay(daysSinceEpoch: Int64(day)).iso }

    /// Easter Sunday of a Gregorian year (the anonymous Gregorian computus).
    static func easterSunday(_ year: Int) -> Int {
        let a = year % 19, b = year / 100, c = year % 100
        let d = b / 4, e = b % 4, f = (b + 8) / 25, g = (b - f + 1) / 3
        let h = (19 * a + b - d - g + 15) % 30
        let i = c / 4, k = c % 4
        let l = (32 + 2 * e + 2 * i - h - k) % 7
        let m = (a + 11 * h + 22 * l) / 451
        let month = (h + l - 7 * m + 114) / 31
        let dayOfMonth = (h + l - 7 * m + 114) % 31 + 1
        return day(year, month, dayOfMonth)
    }

    /// An ECB (TARGET) fixing day: not a weekend, 1 January, Good Friday, Easter
    /// Monday, 1 May, 25 or 26 December.
    static func isECBWorkingDay(_ day: Int) -> Bool {
        guard !isWeekend(day) else { return false }
        let (year, month, dayOfMonth) = components(day)
        switch (month, dayOfMonth) {
        case (1, 1), (5, 1), (12, 25), (12, 26): return false
        default: break
        }
        let easter = easterSunday(year)
        return day != easter - 2 && day != easter + 1
    }

    /// A weekday on which H.10 (`DEXINUS`) has no value: US federal holidays as the
    /// Federal Reserve observes them, plus the Indian holidays the series skips
    /// (26 January, 15 August, 2 October).
    static func isH10Holiday(_ day: Int) -> Bool {
        guard !isWeekend(day) else { return false }
        let (year, month, dayOfMonth) = components(day)
        if [(1, 26), (8, 15), (10, 2)].contains(where: { $0 == (month, dayOfMonth) }) { return true }
        var fixed = [(1, 1), (7, 4), (11, 11), (12, 25)]
        if year >= 2022 { fixed.append((6, 19)) }
        for (m, d) in fixed {
            let holiday = Calendars.day(year, m, d)
            let observed = weekday(holiday) == 7 ? holiday + 1 : holiday
            if observed == day { return true }
        }
        var floating = [
            nth(year, 2, weekday: 1, 3), nth(year, 5, weekday: 1, -1), nth(year, 9, weekday: 1, 1),
            nth(year, 10, weekday: 1, 2), nth(year, 11, weekday: 4, 4),
        ]
        if year >= 1986 { floating.append(nth(year, 1, weekday: 1, 3)) }
        return floating.contains(day)
    }

    /// The `n`-th given weekday of a month (`n == -1`: the last one).
    static func nth(_ year: Int, _ month: Int, weekday wanted: Int, _ n: Int) -> Int {
        if n > 0 {
            let first = day(year, month, 1)
            return first + (wanted - weekday(first) + 7) % 7 + 7 * (n - 1)
        }
        let next = month == 12 ? day(year + 1, 1, 1) : day(year, month + 1, 1)
        let last = next - 1
        return last - (weekday(last) - wanted + 7) % 7
    }
}
