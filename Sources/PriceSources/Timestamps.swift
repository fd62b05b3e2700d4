import Foundation

/// Explicit timestamp-unit conversions and the few date-time formats the APIs use.
enum Timestamps {
    /// Any epoch value below this is not a plausible millisecond time after 1973,
    /// and above it not a plausible second time before year 5138.
    static let unitThreshold: Int64 = 100_000_000_000

    /// A source documented to send seconds.
    static func millis(fromSeconds value: Int64) throws(RowProblem) -> Int64 {
        guard value >= 0 else { throw RowProblem(.badTimestamp, "negative time \(value)") }
        guard value < unitThreshold else { throw RowProblem(.millisInsteadOfSeconds, "time \(value) is in milliseconds, seconds expected") }
        return value * 1000
    }

    /// A source documented to send milliseconds.
    static func millis(fromMillis value: Int64) throws(RowProblem) -> Int64 {
        guard value >= 0 else { throw RowProblem(.badTimestamp, "negative time \(value)") }
        guard value >= unitThreshold else { throw RowProblem(.secondsInsteadOfMillis, "time \(value) is in seconds, milliseconds expected") }
        return value
    }

    /// The day of a row's time in seconds, when plausible (for rows rejected while reading).
    static func day(seconds json: JSON?) -> UTCDay? {
        guard let value = json?.int64, value >= 0, value < unitThreshold else { return nil }
        return UTCDay(containingMillis: value * 1000)
    }

    /// The day of a row's time in milliseconds, when plausible.
    static func day(millis json: JSON?) -> UTCDay? {
        guard let value = json?.int64, value >= unitThreshold else { return nil }
        return UTCDay(containingMillis: value)
    }

    /// `YYYY-MM-DD[T| ]HH:MM:SS[.fraction][Z]`, always UTC, to milliseconds.
    static func millis(isoDateTime text: String) -> Int64? {
        let bytes = Array(text.utf8)
        guard bytes.count >= 19, bytes[10] == UInt8(ascii: "T") || bytes[10] == UInt8(ascii: " "),
              bytes[13] == UInt8(ascii: ":"), bytes[16] == UInt8(ascii: ":"),
              let day = UTCDay(iso: String(decoding: bytes[0..<10], as: UTF8.self)),
              let hour = UTCDay.digits(bytes[11..<13]), let minute = UTCDay.digits(bytes[14..<16]),
              let second = UTCDay.digits(bytes[17..<19]), hour < 24, minute < 60, second < 61 else { return nil }
        var rest = bytes[19...]
        var millis = 0
        if rest.first == UInt8(ascii: ".") {
            let fraction = rest.dropFirst().prefix { $0 >= 48 && $0 <= 57 }
            guard !fraction.isEmpty, let value = UTCDay.digits(fraction.prefix(3)) else { return nil }
            millis = value * [100, 10, 1][fraction.prefix(3).count - 1]
            rest = rest.dropFirst(1 + fraction.count)
        }
        if rest.first == UInt8(ascii: "Z") { rest = rest.dropFirst() }
        guard rest.isEmpty else { return nil }
        return day.startMillis + Int64(((hour * 60 + minute) * 60 + second) * 1000 + millis)
    }

    /// An HTTP date (`Sun, 06 Nov 1994 08:49:37 GMT`) to milliseconds; its time is two digits
    /// each of hour, minute and second, in range.
    static func millis(httpDate text: String) -> Int64? {
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        let parts = text.split(separator: " ")
        guard parts.count == 6, parts[5] == "GMT", let dayOfMonth = Int(parts[1]),
              let monthIndex = months.firstIndex(of: String(parts[2])), let year = Int(parts[3]),
              let date = UTCDay(year: year, month: monthIndex + 1, day: dayOfMonth) else { return nil }
        let time = Array(parts[4].utf8)
        guard time.count == 8, time[2] == UInt8(ascii: ":"), time[5] == UInt8(ascii: ":"),
              let hour = UTCDay.digits(time[0..<2]), let minute = UTCDay.digits(time[3..<5]), let second = UTCDay.digits(time[6..<8]),
              hour < 24, minute < 60, second < 61 else { return nil }
        return date.startMillis + Int64(((hour * 60 + minute) * 60 + second) * 1000)
    }

    /// The delay a `Retry-After` header asks for (seconds or an HTTP date), never negative.
    static func retryAfter(_ response: SourceResponse, now: Date) -> Duration? {
        guard let value = response.header("Retry-After")?.trimmingCharacters(in: .whitespaces) else { return nil }
        if let seconds = Int64(value) { return .seconds(max(0, seconds)) }
        guard let date = millis(httpDate: value) else { return nil }
        return .milliseconds(max(0, date - UTCDay.millis(of: now)))
    }

    /// The time left until the next 00:00 UTC.
    static func untilNextUTCDay(from now: Date) -> Duration {
        let nowMillis = UTCDay.millis(of: now)
        return .milliseconds(UTCDay(containingMillis: nowMillis).advanced(by: 1).startMillis - nowMillis)
    }
}
