import Foundation

/// A parameter or COPY value with its Postgres type. Sent in binary format.
public enum PostgresValue: Sendable, Hashable {
    case null
    case bool(Bool)
    case int32(Int32)
    case int64(Int64)
    case double(Double)
    case text(String)
    case bytea([UInt8])
    /// A `timestamptz`, to the microsecond.
    case timestamptz(Date)
    /// A `smallint`.
    case int16(Int16)
    /// A `date`, as days since 1970-01-01.
    case date(daysSinceEpoch: Int32)
    /// A `numeric`, as its decimal text (`"123.4500"`, `"-1e-3"`, `"NaN"`); exact, never a double.
    case numeric(String)
    /// A `jsonb` document, as JSON text.
    case jsonb(String)
    /// A `timestamptz` given as milliseconds since the epoch (exact).
    case timestampMillis(Int64)
    /// A one-dimensional array of values of the type with OID `elementOID` (for example
    /// 25 for `text[]`, 701 for `float8[]`, 1184 for `timestamptz[]`); NULL elements allowed.
    indirect case array([PostgresValue], elementOID: UInt32)

    /// Postgres type OID of the value.
    var typeOID: UInt32 {
        switch self {
        case .null: return 0
        case .bool: return 16
        case .int32: return 23
        case .int64: return 20
        case .double: return 701
        case .text: return 25
        case .bytea: return 17
        case .timestamptz: return 1184
        case .int16: return 21
        case .date: return 1082
        case .numeric: return 1700
        case .jsonb: return 3802
        case .timestampMillis: return 1184
        case .array(_, let element): return PostgresValue.arrayOID(element: element)
        }
    }

    /// Microseconds between 1970-01-01 and 2000-01-01, Postgres's epoch.
    static let postgresEpochOffsetMicros: Int64 = 946_684_800_000_000

    /// The binary wire encoding (nil for NULL).
    func appendBinary(to out: inout [UInt8]) -> Bool {
        func be<T: FixedWidthInteger>(_ v: T) { withUnsafeBytes(of: v.bigEndian) { out.append(contentsOf: $0) } }
        switch self {
        case .null: return false
        case .bool(let b): out.append(b ? 1 : 0)
        case .int32(let i): be(i)
        case .int64(let i): be(i)
        case .double(let d): be(d.bitPattern)
        case .text(let s): out.append(contentsOf: s.utf8)
        case .bytea(let b): out.append(contentsOf: b)
        case .timestamptz(let date):
            let micros = Int64((date.timeIntervalSince1970 * 1_000_000).rounded()) - PostgresValue.postgresEpochOffsetMicros
            be(micros)
        case .int16(let i): be(i)
        case .date(let days): be(days - 10_957)
        case .numeric(let text):
            guard let digits = PostgresNumeric(text) else { return false }
            digits.appendBinary(to: &out)
        case .jsonb(let json):
            out.append(1)
            out.append(contentsOf: json.utf8)
        case .timestampMillis(let ms):
            be(ms &* 1000 &- PostgresValue.postgresEpochOffsetMicros)
        case .array(let elements, let element):
            be(Int32(1))
            be(Int32(elements.contains(.null) ? 1 : 0))
            be(Int32(bitPattern: element))
            be(Int32(elements.count))
            be(Int32(1))
            for e in elements {
                let lengthAt = out.count
                out.append(contentsOf: [0, 0, 0, 0])
                if e.appendBinary(to: &out) {
                    let length = Int32(out.count - lengthAt - 4).bigEndian
                    withUnsafeBytes(of: length) { for i in 0..<4 { out[lengthAt + i] = $0[i] } }
                } else {
                    for i in 0..<4 { out[lengthAt + i] = 0xFF }
                }
            }
        }
        return true
    }

    /// The array type OID for an element type OID.
    static func arrayOID(element: UInt32) -> UInt32 {
        switch element {
        case 16: return 1000
        case 17: return 1001
        case 21: return 1005
        case 23: return 1007
        case 20: return 1016
        case 25: return 1009
        case 701: return 1022
        case 1082: return 1182
        case 1184: return 1185
        case 1700: return 1231
        case 3802: return 3807
        default: return 0
        }
    }

    /// Why a value cannot be sent, or nil when it can.
    var invalidReason: String? {
        if case .numeric(let text) = self, PostgresNumeric(text) == nil { return "\"\(text)\" is not a decimal number" }
        return nil
    }
}

/// A decimal number in Postgres's binary `numeric` layout: base-10000 digits, a weight, a
/// sign and the display scale.
struct PostgresNumeric {
    var digits: [Int16] = []
    var weight: Int16 = 0
    var sign: UInt16 = 0
    var scale: Int16 = 0

    /// Parses `[-+]digits[.digits][e[-+]digits]` or `NaN`.
    init?(_ text: String) {
        if text == "NaN" { sign = 0xC000; return }
        var chars = Substring(text)
        var negative = false
        if let first = chars.first, first == "-" || first == "+" { negative = first == "-"; chars.removeFirst() }
        var exponent = 0
        if let e = chars.firstIndex(where: { $0 == "e" || $0 == "E" }) {
            guard let x = Int(chars[chars.index(after: e)...]), abs(x) < 10_000 else { return nil }
            exponent = x
            chars = chars[..<e]
        }
        let parts = chars.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        let intPart = parts[0], fracPart = parts.count > 1 ? parts[1] : ""
        guard !(intPart.isEmpty && fracPart.isEmpty), (intPart + fracPart).allSatisfy(\.isASCII), (intPart + fracPart).allSatisfy(\.isNumber) else { return nil }
        // All decimal digits, and the position of the decimal point within them.
        var all: [Int] = (intPart + fracPart).utf8.map { Int($0) - 48 }
        var point = intPart.count + exponent
        scale = Int16(max(0, fracPart.count - exponent))
        while let f = all.first, f == 0, point > 0 { all.removeFirst(); point -= 1 }
        if all.allSatisfy({ $0 == 0 }) { return }
        // Pad so that the point falls on a base-10000 boundary.
        let lead = ((point % 4) + 4) % 4
        if lead != 0 { all.insert(contentsOf: [Int](repeating: 0, count: 4 - lead), at: 0); point += 4 - lead }
        while all.count % 4 != 0 { all.append(0) }
        var groups: [Int16] = []
        for i in stride(from: 0, to: all.count, by: 4) {
            let group: Int = all[i] * 1000 + all[i + 1] * 100 + all[i + 2] * 10 + all[i + 3]
            groups.append(Int16(group))
        }
        var w = point / 4 - 1
        while let f = groups.first, f == 0 { groups.removeFirst(); w -= 1 }
        while let l = groups.last, l == 0 { groups.removeLast() }
        digits = groups
        weight = Int16(w)
        sign = negative ? 0x4000 : 0
    }

    func appendBinary(to out: inout [UInt8]) {
        func be<T: FixedWidthInteger>(_ v: T) { withUnsafeBytes(of: v.bigEndian) { out.append(contentsOf: $0) } }
        be(Int16(digits.count))
        be(weight)
        be(sign)
        be(scale)
        for d in digits { be(d) }
    }
}

/// Quotes SQL identifiers.
public enum PostgresIdentifier {
    /// `name` as a quoted identifier (`"my ""odd"" name"`); a dotted name is quoted part by part
    /// (`public.prices` → `"public"."prices"`).
    public static func quoted(_ name: String) -> String {
        name.split(separator: ".", omittingEmptySubsequences: false)
            .map { "\"" + $0.replacingOccurrences(of: "\"", with: "\"\"") + "\"" }
            .joined(separator: ".")
    }
}

extension PostgresValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByFloatLiteral, ExpressibleByBooleanLiteral, ExpressibleByNilLiteral {
    public init(stringLiteral value: String) { self = .text(value) }
    public init(integerLiteral value: Int64) { self = .int64(value) }
    public init(floatLiteral value: Double) { self = .double(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(nilLiteral: ()) { self = .null }
}

/// A Swift type that can be read from a column's text representation.
public protocol PostgresDecodable {
    /// Reads the value from Postgres's text output for a column of type `typeOID`.
    static func decode(text: String, typeOID: UInt32) throws -> Self
}

extension String: PostgresDecodable {
    public static func decode(text: String, typeOID: UInt32) throws -> String { text }
}

extension Int: PostgresDecodable {}
extension Int64: PostgresDecodable {}
extension Int32: PostgresDecodable {}
extension Int16: PostgresDecodable {}

extension PostgresDecodable where Self: FixedWidthInteger {
    /// Reads an integer column (`int2`, `int4`, `int8`, or a count).
    public static func decode(text: String, typeOID: UInt32) throws -> Self {
        guard let v = Self(text) else {
            throw PostgresError(.decoding, "'\(text.prefix(32))' is not an integer that fits \(Self.self)")
        }
        return v
    }
}

extension Double: PostgresDecodable {
    public static func decode(text: String, typeOID: UInt32) throws -> Double {
        switch text {
        case "NaN": return .nan
        case "Infinity": return .infinity
        case "-Infinity": return -.infinity
        default:
            guard let v = Double(text) else { throw PostgresError(.decoding, "'\(text.prefix(32))' is not a number") }
            return v
        }
    }
}

extension Bool: PostgresDecodable {
    public static func decode(text: String, typeOID: UInt32) throws -> Bool {
        switch text {
        case "t", "true": return true
        case "f", "false": return false
        default: throw PostgresError(.decoding, "'\(text.prefix(32))' is not a boolean")
        }
    }
}

extension Array: PostgresDecodable where Element == UInt8 {
    /// Reads `bytea` in hex output format (`\x0102`).
    public static func decode(text: String, typeOID: UInt32) throws -> [UInt8] {
        guard text.hasPrefix("\\x") else { return Array(text.utf8) }
        let hex = Array(text.utf8.dropFirst(2))
        guard hex.count % 2 == 0 else { throw PostgresError(.decoding, "odd-length bytea hex") }
        return try stride(from: 0, to: hex.count, by: 2).map { i in
            guard let b = UInt8(String(decoding: hex[i..<i + 2], as: UTF8.self), radix: 16) else {
                throw PostgresError(.decoding, "invalid bytea hex")
            }
            return b
        }
    }
}

extension Date: PostgresDecodable {
    /// Reads `timestamptz` (session time zone UTC, DateStyle ISO) or `date`.
    public static func decode(text: String, typeOID: UInt32) throws -> Date {
        // "2024-03-10 12:34:56.123456+00" or "2024-03-10"
        let parts = text.split(separator: " ", maxSplits: 1)
        let ymd = parts[0].split(separator: "-").compactMap { Int($0) }
        guard ymd.count == 3 else { throw PostgresError(.decoding, "'\(text.prefix(40))' is not a timestamp") }
        var seconds = 0.0
        var offset = 0
        if parts.count == 2 {
            var time = Substring(parts[1])
            if let signIndex = time.lastIndex(where: { $0 == "+" || $0 == "-" }) {
                let zone = time[signIndex...]
                time = time[..<signIndex]
                let zoneParts = zone.dropFirst().split(separator: ":").compactMap { Int($0) }
                let magnitude = (zoneParts.first ?? 0) * 3600 + (zoneParts.count > 1 ? zoneParts[1] * 60 : 0)
                offset = zone.first == "-" ? -magnitude : magnitude
            }
            let hms = time.split(separator: ":")
            guard hms.count == 3, let h = Double(hms[0]), let m = Double(hms[1]), let s = Double(hms[2]) else {
                throw PostgresError(.decoding, "'\(text.prefix(40))' is not a timestamp")
            }
            seconds = h * 3600 + m * 60 + s
        }
        let days = daysFromCivil(year: ymd[0], month: ymd[1], day: ymd[2])
        return Date(timeIntervalSince1970: Double(days) * 86400 + seconds - Double(offset))
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date.
    static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }
}

extension Optional: PostgresDecodable where Wrapped: PostgresDecodable {
    public static func decode(text: String, typeOID: UInt32) throws -> Wrapped? {
        try Wrapped.decode(text: text, typeOID: typeOID)
    }
}

/// One result row; values are read by column name or index.
public struct PostgresRow: Sendable {
    public let columns: [String]
    let typeOIDs: [UInt32]
    let values: [String?]

    /// The column `name` as `T`; a NULL reads as nil for optional `T` and throws otherwise.
    public func decode<T: PostgresDecodable>(_ name: String, as type: T.Type = T.self) throws -> T {
        guard let i = columns.firstIndex(of: name) else { throw PostgresError(.decoding, "no column named \(name)") }
        return try decode(i, as: type)
    }

    /// The column at `index` as `T`.
    public func decode<T: PostgresDecodable>(_ index: Int, as type: T.Type = T.self) throws -> T {
        guard values.indices.contains(index) else { throw PostgresError(.decoding, "no column \(index)") }
        guard let text = values[index] else {
            if let optional = T.self as? any OptionalProtocol.Type { return optional.nullValue as! T }
            throw PostgresError(.decoding, "column \(columns[index]) is NULL")
        }
        return try T.decode(text: text, typeOID: typeOIDs[index])
    }

    /// Whether the column is NULL.
    public func isNull(_ name: String) -> Bool {
        guard let i = columns.firstIndex(of: name) else { return true }
        return values[i] == nil
    }
}

protocol OptionalProtocol { static var nullValue: Self { get } }
extension Optional: OptionalProtocol { static var nullValue: Self { nil } }

/// The outcome of a statement.
public struct PostgresQueryResult: Sendable {
    public let rows: [PostgresRow]
    /// Rows inserted, updated, deleted or copied (0 when the statement reports none).
    public let affectedRows: Int
    /// The server's command tag, such as `INSERT 0 5` or `COMMIT` (`ROLLBACK` when a COMMIT
    /// found the transaction aborted).
    public var commandTag: String = ""

    public init(rows: [PostgresRow], affectedRows: Int, commandTag: String = "") {
        self.rows = rows
        self.affectedRows = affectedRows
        self.commandTag = commandTag
    }
}
