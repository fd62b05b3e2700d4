import Foundation

/// A calendar day in UTC, counted as whole days since 1970-01-01.
///
/// All day arithmetic in this module is integer arithmetic on this value; no
/// `Calendar`, `DateFormatter` or time zone is involved.
public struct UTCDay: Sendable, Hashable, Comparable, Strideable, CustomStringConvertible {
    /// Milliseconds in one day.
    public static let millisPerDay: Int64 = 86_400_000
    /// Seconds in one day.
    public static let secondsPerDay: Int64 = 86_400
    /// 2009-01-03, the Bitcoin genesis block: no candle can be older.
    public static let genesis = UTCDay(daysSinceEpoch: 14_247)

    /// Days since 1970-01-01 (negative before it).
    public let daysSinceEpoch: Int64

    /// The day with this number.
    public init(daysSinceEpoch: Int64) {
        self.daysSinceEpoch = daysSinceEpoch
    }

    /// The day with these civil components, or `nil` when the date does not exist.
    public init?(year: Int, month: Int, day: Int) {
        guard (1...9999).contains(year), (1...12).contains(month),
              day >= 1, day <= UTCDay.daysIn(month: month, year: year) else { return nil }
        self.daysSinceEpoch = UTCDay.daysFromCivil(year: year, month: month, day: day)
    }

    /// Parses a strict `YYYY-MM-DD` date; `nil` for anything else (including `2010-02-30`).
    public init?(iso text: some StringProtocol) {
        let bytes = Array(text.utf8)
        guard bytes.count == 10, bytes[4] == UInt8(ascii: "-"), bytes[7] == UInt8(ascii: "-"),
              let year = UTCDay.digits(bytes[0..<4]),
              let month = UTCDay.digits(bytes[5..<7]),
              let day = UTCDay.digits(bytes[8..<10]) else { return nil }
        self.init(year: year, month: month, day: day)
    }

    /// The day containing this instant (milliseconds since the epoch).
    public init(containingMillis millis: Int64) {
        self.daysSinceEpoch = UTCDay.floorDiv(millis, UTCDay.millisPerDay)
    }

    /// The day containing this instant.
    public init(containing date: Date) {
        self.init(containingMillis: UTCDay.millis(of: date))
    }

    /// 00:00:00.000 UTC of this day, in milliseconds since the epoch.
    public var startMillis: Int64 { daysSinceEpoch * UTCDay.millisPerDay }

    /// 00:00:00 UTC of this day, in seconds since the epoch.
    public var startSeconds: Int64 { daysSinceEpoch * UTCDay.secondsPerDay }

    /// The civil date of this day.
    public var components: (year: Int, month: Int, day: Int) {
        UTCDay.civil(fromDays: daysSinceEpoch)
    }

    /// `YYYY-MM-DD`.
    public var iso: String {
        let (year, month, day) = components
        return UTCDay.pad(year, 4) + "-" + UTCDay.pad(month, 2) + "-" + UTCDay.pad(day, 2)
    }

    /// The first day of the month after this day's month.
    public var firstOfNextMonth: UTCDay {
        let (year, month, _) = components
        let next = month == 12 ? (year + 1, 1) : (year, month + 1)
        return UTCDay(daysSinceEpoch: UTCDay.daysFromCivil(year: next.0, month: next.1, day: 1))
    }

    public var description: String { iso }

    public static func < (lhs: UTCDay, rhs: UTCDay) -> Bool { lhs.daysSinceEpoch < rhs.daysSinceEpoch }

    public func distance(to other: UTCDay) -> Int64 { other.daysSinceEpoch - daysSinceEpoch }

    public func advanced(by n: Int64) -> UTCDay { UTCDay(daysSinceEpoch: daysSinceEpoch + n) }

    /// Milliseconds since the epoch of `date`, rounded down.
    public static func millis(of date: Date) -> Int64 {
        Int64((date.timeIntervalSince1970 * 1000).rounded(.down))
    }
}

extension UTCDay {
    static func floorDiv(_ a: Int64, _ b: Int64) -> Int64 {
        let q = a / b
        return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q
    }

    static func isLeap(_ year: Int) -> Bool {
        (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
    }

    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: return isLeap(year) ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
    static func daysFromCivil(year: Int, month: Int, day: Int) -> Int64 {
        let y = Int64(month <= 2 ? year - 1 : year)
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let m = Int64(month)
        let doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + Int64(day) - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    static func civil(fromDays days: Int64) -> (year: Int, month: Int, day: Int) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        let year = yoe + era * 400 + (month <= 2 ? 1 : 0)
        return (Int(year), Int(month), Int(day))
    }

    static func digits(_ bytes: ArraySlice<UInt8>) -> Int? {
        var value = 0
        for byte in bytes {
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
            value = value * 10 + Int(byte - UInt8(ascii: "0"))
        }
        return value
    }

    static func pad(_ value: Int, _ width: Int) -> String {
        let text = String(value)
        return text.count >= width ? text : String(repeating: "0", count: width - text.count) + text
    }
}
