/// Reads decimal numbers sent as JSON numbers or strings, refusing everything
/// `Double(_:)` would otherwise accept loosely (`nan`, `inf`, hex, spaces).
enum StrictNumber {
    /// A finite value of `-?digits[.digits][(e|E)[+-]digits]`, else `nil`.
    static func double(_ text: String) -> Double? {
        guard isDecimal(text), let value = Double(text), value.isFinite else { return nil }
        return value
    }

    /// An integer written as `-?digits`, or as a decimal with an integral value
    /// (`1709251200.0`), within `Int64`; else `nil`.
    static func int64(_ text: String) -> Int64? {
        if let value = Int64(text), text.utf8.allSatisfy({ $0 == UInt8(ascii: "-") || ($0 >= 48 && $0 <= 57) }) {
            return value
        }
        guard let value = double(text), value == value.rounded(), abs(value) < 9.0e15 else { return nil }
        return Int64(value)
    }

    static func isDecimal(_ text: String) -> Bool {
        var bytes = text.utf8[...]
        if bytes.first == UInt8(ascii: "-") { bytes = bytes.dropFirst() }
        let intDigits = bytes.prefix { $0 >= 48 && $0 <= 57 }.count
        guard intDigits > 0 else { return false }
        bytes = bytes.dropFirst(intDigits)
        if bytes.first == UInt8(ascii: ".") {
            bytes = bytes.dropFirst()
            let fraction = bytes.prefix { $0 >= 48 && $0 <= 57 }.count
            guard fraction > 0 else { return false }
            bytes = bytes.dropFirst(fraction)
        }
        if bytes.first == UInt8(ascii: "e") || bytes.first == UInt8(ascii: "E") {
            bytes = bytes.dropFirst()
            if bytes.first == UInt8(ascii: "+") || bytes.first == UInt8(ascii: "-") { bytes = bytes.dropFirst() }
            let exponent = bytes.prefix { $0 >= 48 && $0 <= 57 }.count
            guard exponent > 0 else { return false }
            bytes = bytes.dropFirst(exponent)
        }
        return bytes.isEmpty
    }
}
