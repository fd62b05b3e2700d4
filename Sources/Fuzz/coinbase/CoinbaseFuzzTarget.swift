import PriceSourceFuzzing
import PriceSources

/// Coinbase Exchange `candles` and `ticker` answers, parsed by `CoinbaseSource`.
let source = CoinbaseSource()

/// libFuzzer's entry point: one fuzzed answer (see `FuzzedResponse` for its layout).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let input = FuzzedResponse(data, size)
    input.parseCandles(with: source)
    input.parseSpot(with: source)
    return 0
}
