import Foundation
import PriceSources

/// A price-API answer made from fuzzer bytes, and the checks every adapter's parser must pass.
///
/// The first byte chooses the request and the answer's framing; the rest is the body:
/// - bits 0–3: the HTTP status, from `statuses`;
/// - bit 4: the instrument is quoted in INR instead of USD;
/// - bit 5: the cursor is the source's first page of a backfill of 2010-07-17...2024-03-10
///   (otherwise of 2024-03-01...2024-03-10, the fixtures' days);
/// - bit 6: the body's first line is the value of the `Retry-After` and
///   `X-MBX-USED-WEIGHT-1M` headers, the rest is the body.
///
/// Parsers may throw (`SourceError` is how they refuse an answer); a trap, an address
/// sanitizer report or a broken promise of `CandlePage` is a finding.
public struct FuzzedResponse {
    /// The statuses bits 0–3 choose from.
    public static let statuses = [200, 400, 401, 403, 404, 408, 418, 422, 429, 451, 500, 502, 503, 504, 301, 204]
    /// 2024-03-11T06:00:12Z, when the fixtures were recorded.
    public static let now = Date(timeIntervalSince1970: 1_710_136_812)

    /// The answer.
    public let response: SourceResponse
    /// The instrument asked for.
    public let instrument: Instrument
    /// Whether the backfill starts in 2010.
    public let wholeHistory: Bool

    /// Reads the fuzzer's bytes.
    public init(_ data: UnsafePointer<UInt8>, _ size: Int) {
        let bytes = Array(UnsafeBufferPointer(start: data, count: size))
        let flags = bytes.first ?? 0
        var body = Array(bytes.dropFirst())
        var headers = [HTTPHeader(name: "Content-Type", value: "application/json")]
        if flags & 0x40 != 0 {
            let line = body.prefix { $0 != UInt8(ascii: "\n") }
            let value = String(decoding: line, as: UTF8.self)
            headers += [HTTPHeader(name: "Retry-After", value: value), HTTPHeader(name: "X-MBX-USED-WEIGHT-1M", value: value)]
            body = Array(body.dropFirst(line.count + 1))
        }
        response = SourceResponse(status: Self.statuses[Int(flags & 0x0F)], headers: headers, body: body)
        instrument = Instrument(base: "BTC", quote: flags & 0x10 != 0 ? "INR" : "USD")
        wholeHistory = flags & 0x20 != 0
    }

    /// The cursor the answer is parsed for.
    public func cursor(for source: any CandleSource) -> PageCursor {
        let first = wholeHistory ? Self.day(2010, 7, 17) : Self.day(2024, 3, 1)
        return source.firstCursor(for: instrument, days: first...Self.day(2024, 3, 10))
    }

    /// Parses the answer as a page of daily candles and checks what `CandlePage` promises.
    public func parseCandles(with source: any CandleSource) {
        let cursor = cursor(for: source)
        guard let page = try? source.parse(response, cursor: cursor, now: Self.now) else { return }
        var previous: SourceCandle?
        for candle in page.candles {
            precondition(cursor.window.contains(UTCDay(containingMillis: candle.openTime)), "\(source.name): a candle outside the window")
            precondition(candle.openTime % UTCDay.millisPerDay == 0, "\(source.name): a candle not at 00:00 UTC")
            precondition(previous.map { $0.openTime < candle.openTime } ?? true, "\(source.name): candles not oldest first, one per day")
            precondition(candle.low > 0 && candle.low <= candle.high && candle.high.isFinite, "\(source.name): low or high not in 0...high, finite")
            precondition((candle.low...candle.high).contains(candle.open) && (candle.low...candle.high).contains(candle.close),
                         "\(source.name): open or close outside low...high")
            precondition(candle.volume >= 0, "\(source.name): negative volume")
            previous = candle
        }
        for day in page.missingDays {
            precondition(cursor.window.contains(day), "\(source.name): a missing day outside the window")
        }
    }

    /// Parses the answer as a latest price.
    public func parseSpot(with source: any SpotPriceSource) {
        guard let spot = try? source.parseSpot(response, for: instrument, now: Self.now) else { return }
        precondition(spot.price > 0 && spot.price.isFinite, "\(source.name): a spot price that is not positive and finite")
    }

    /// Parses the answer as reference rates and checks what `FxPage` promises.
    public func parseFixings(with source: any FxSource) {
        let pair = Instrument(base: "USD", quote: "INR")
        guard let page = try? source.parse(response, for: pair, now: Self.now) else { return }
        var previous: FxFixing?
        for fixing in page.fixings {
            precondition(fixing.rate > 0 && fixing.rate.isFinite, "\(source.name): a rate that is not positive and finite")
            precondition(previous.map { $0.day < fixing.day } ?? true, "\(source.name): fixings not in date order, one per day")
            previous = fixing
        }
    }

    /// A day of the calendar (the literals above all exist).
    static func day(_ year: Int, _ month: Int, _ day: Int) -> UTCDay {
        UTCDay(year: year, month: month, day: day) ?? UTCDay.genesis
    }
}
