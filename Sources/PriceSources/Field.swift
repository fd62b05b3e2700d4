/// Reads one required or optional field of a row, turning every problem into a
/// ``RowProblem`` that names the field.
enum Field {
    /// A finite number sent as a JSON number or string.
    static func number(_ value: JSON?, _ name: String) throws(RowProblem) -> Double {
        guard let value, !value.isNull else { throw RowProblem(.missingField, "\(name) missing") }
        guard let text = value.numericText else { throw RowProblem(.notANumber, "\(name) is \(value.compact)") }
        return try number(text: text, name)
    }

    /// A finite number, or `nil` when absent or `null`.
    static func optionalNumber(_ value: JSON?, _ name: String) throws(RowProblem) -> Double? {
        guard let value, !value.isNull else { return nil }
        return try number(value, name)
    }

    /// A finite number in text (CSV cells, JSON strings).
    static func number(text: String, _ name: String) throws(RowProblem) -> Double {
        guard let number = StrictNumber.double(text) else { throw RowProblem(.notANumber, "\(name) is \"\(text)\"") }
        return number
    }

    /// An integer time value.
    static func integer(_ value: JSON?, _ name: String) throws(RowProblem) -> Int64 {
        guard let value, !value.isNull else { throw RowProblem(.missingField, "\(name) missing") }
        guard let number = value.int64 else { throw RowProblem(.badTimestamp, "\(name) is \(value.compact)") }
        return number
    }

    /// A `YYYY-MM-DD` date.
    static func day(_ text: String, _ name: String) throws(RowProblem) -> UTCDay {
        guard let day = UTCDay(iso: text) else { throw RowProblem(.badTimestamp, "\(name) \"\(text)\" is not a valid date") }
        return day
    }
}
