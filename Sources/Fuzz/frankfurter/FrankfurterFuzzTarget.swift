import PriceSourceFuzzing
import PriceSources

/// Frankfurter (ECB) rate answers, parsed by `FrankfurterSource`.
let source = FrankfurterSource()

/// libFuzzer's entry point: one fuzzed answer (see `FuzzedResponse` for its layout).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let input = FuzzedResponse(data, size)
    input.parseFixings(with: source)
    return 0
}
