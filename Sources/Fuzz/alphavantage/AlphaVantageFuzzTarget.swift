import PriceSourceFuzzing
import PriceSources

/// Alpha Vantage `DIGITAL_CURRENCY_DAILY` (JSON and CSV) and `CURRENCY_EXCHANGE_RATE`
/// answers, parsed by `AlphaVantageSource`.
let source = AlphaVantageSource(apiKey: "fuzz")

/// libFuzzer's entry point: one fuzzed answer (see `FuzzedResponse` for its layout).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let input = FuzzedResponse(data, size)
    input.parseCandles(with: source)
    input.parseSpot(with: source)
    return 0
}
