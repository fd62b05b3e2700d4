import Foundation

/// Decimal text for JSON numbers and numeric strings, without `printf` and without
/// exponent notation. Rounding is monotonic, so `low <= open <= high` survives it.
enum NumberText {
    /// `value` with exactly `decimals` digits after the point (`"61189.41000000"`).
    static func fixed(_ value: Double, _ decimals: Int) -> String {
        let scale = pow10(decimals)
        let scaled = (abs(value) * scale).rounded()
        guard scaled < 9.0e18 else { return String(value) }
        let units = UInt64(scaled)
        let divisor = UInt64(scale)
        let whole = String(units / divisor)
        let sign = value < 0 && units != 0 ? "-" : ""
        guard decimals > 0 else { return sign + whole }
        let fraction = String(units % divisor)
        return sign + whole + "." + String(repeating: "0", count: decimals - fraction.count) + fraction
    }

    /// `value` rounded to `decimals`, trailing zeros removed; `keepPoint` keeps one
    /// (`"46.0"`, Frankfurter's style), otherwise whole numbers print bare (`"20"`).
    static func trimmed(_ value: Double, _ decimals: Int, keepPoint: Bool = false) -> String {
        var text = fixed(value, decimals)
        guard text.contains(".") else { return keepPoint ? text + ".0" : text }
        while text.hasSuffix("0") { text.removeLast() }
        if text.hasSuffix(".") {
            if keepPoint { text += "0" } else { text.removeLast() }
        }
        return text
    }

    /// Decimals that keep about four significant digits of a price: 2 from 1 up,
    /// more below (`0.04951` → 5).
    static func priceDecimals(for value: Double) -> Int {
        guard value > 0, value < 1 else { return 2 }
        return min(10, 3 - Int(log10(value).rounded(.down)))
    }

    static func pow10(_ exponent: Int) -> Double {
        var result = 1.0
        for _ in 0..<max(0, exponent) { result *= 10 }
        return result
    }
}
