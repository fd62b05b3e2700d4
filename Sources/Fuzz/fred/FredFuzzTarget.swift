import PriceSourceFuzzing
import PriceSources

/// FRED `DEXINUS` answers (API JSON and graph CSV), parsed by `FredSource`.
let source = FredSource(apiKey: "fuzz")

/// libFuzzer's entry point: one fuzzed answer (see `FuzzedResponse` for its layout).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let input = FuzzedResponse(data, size)
    input.parseFixings(with: source)
    return 0
}
