/// A traded pair, for example BTC/USD or BTC/INR. Symbols are stored upper case.
public struct Instrument: Hashable, Sendable, CustomStringConvertible {
    /// The asset being priced, e.g. `BTC`.
    public let base: String
    /// The currency the price is expressed in, e.g. `USD` or `INR`.
    public let quote: String

    /// An instrument; both symbols are upper-cased.
    public init(base: String, quote: String) {
        self.base = base.uppercased()
        self.quote = quote.uppercased()
    }

    /// Parses `BASE/QUOTE`; `nil` unless both parts are well-formed symbols.
    public init?(_ text: String) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2 else { return nil }
        self.init(base: String(parts[0]), quote: String(parts[1]))
        guard isWellFormed else { return nil }
    }

    /// Both symbols are 2–10 ASCII letters or digits and differ from each other.
    public var isWellFormed: Bool {
        Instrument.isSymbol(base) && Instrument.isSymbol(quote) && base != quote
    }

    /// `BASE/QUOTE`.
    public var description: String { "\(base)/\(quote)" }

    static func isSymbol(_ text: String) -> Bool {
        (2...10).contains(text.utf8.count) && text.utf8.allSatisfy { byte in
            (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
        }
    }
}
