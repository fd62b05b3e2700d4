import Avro
import SchemaRegistry
import SchemaRegistryModel

/// The registry's request parsing, without HTTP: the input's first line is the `Accept`
/// header and the `{version}` path parameter; the rest is the request body, read as every
/// route reads it (registration with references, imported id and version, config, mode).
///
/// A registration is prepared (parsed against its references), checked against the Candle
/// subject, and applied to a copy of a small registry; re-registering the schema the registry
/// stored must give back the same id and version, as Confluent's clients expect.
let seeded: RegistryState = {
    var state = RegistryState()
    let setup: [RegistryCommand] = [
        .register(RegisterCommand(subject: moneySubject, schema: money)),
        .register(RegisterCommand(subject: candleSubject, schema: candle)),
        .setMode(subject: importSubject, mode: .import, force: true),
    ]
    for command in setup {
        if case .rejected(let error) = state.apply(command) { fatalError("the fuzz registry cannot be set up: \(error)") }
    }
    return state
}()

let moneySubject = "money-value"
let candleSubject = "prices.candles-value"
let importSubject = "imported-value"
let newSubject = "fuzz-value"
let money = #"{"type":"record","name":"Money","namespace":"io.pricepipeline","fields":[{"name":"amount","type":"double"},{"name":"currency","type":"string"}]}"#
let candle = """
    {"type":"record","name":"Candle","namespace":"io.pricepipeline","fields":[{"name":"source","type":"string"},\
    {"name":"base","type":"string"},{"name":"quote","type":"string"},{"name":"interval","type":"string"},\
    {"name":"open_time","type":{"type":"long","logicalType":"timestamp-millis"}},{"name":"open","type":"double"},\
    {"name":"high","type":"double"},{"name":"low","type":"double"},{"name":"close","type":"double"},\
    {"name":"volume","type":"double"},{"name":"market_cap","type":["null","double"],"default":null},\
    {"name":"fetched_at","type":{"type":"long","logicalType":"timestamp-millis"}}]}
    """

/// libFuzzer's entry point: a header line and a request body.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = UnsafeBufferPointer(start: data, count: size)
    let split = bytes.firstIndex(of: UInt8(ascii: "\n")) ?? size
    let header = String(decoding: bytes[..<split], as: UTF8.self)
    _ = RegistryAPI.negotiatedContentType(accept: header)
    _ = try? seeded.version(header, of: candleSubject, includeDeleted: false)
    guard let body = try? RegistryAPI.requestBody(Array(bytes[min(split + 1, size)...])) else { return 0 }
    _ = try? RegistryAPI.compatibilityLevel(in: body)
    _ = try? RegistryAPI.mode(in: body)
    for normalize in [false, true] {
        guard var command = try? RegistryAPI.registerCommand(subject: newSubject, body: body, normalize: normalize) else { return 0 }
        guard let prepared = try? seeded.prepare(command, limits: SchemaLimits()) else { return 0 }
        _ = try? seeded.incompatibilities(of: prepared, subject: candleSubject)
        do {
            command.id = try RegistryAPI.importNumber(body, "id")
            command.version = try RegistryAPI.importNumber(body, "version")
        } catch {
            return 0
        }
        if command.id != nil || command.version != nil { command.subject = importSubject }
        var state = seeded
        guard case .registered(let id, let version) = state.apply(.register(command)), let stored = try? state.schema(id: id) else {
            continue
        }
        let imported = command.subject == importSubject
        let again = RegisterCommand(subject: command.subject, schema: stored.text, references: stored.references,
                                    normalize: normalize, id: command.id, version: imported ? version : nil)
        let outcome = state.apply(.register(again))
        precondition(outcome == .registered(id: id, version: version),
                     "re-registering the stored schema gives \(outcome), not id \(id) version \(version):\n\(stored.text)")
    }
    return 0
}
