import PriceSourceFuzzing
import PriceSources

/// Binance `klines` and `ticker/price` answers, parsed by `BinanceSource`.
let source = BinanceSource()

/// libFuzzer's entry point: one fuzzed answer (see `FuzzedResponse` for its layout).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let input = FuzzedResponse(data, size)
    input.parseCandles(with: source)
    input.parseSpot(with: source)
    return 0
}
