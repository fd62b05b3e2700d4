import Avro

/// The schema parser, the Parsing Canonical Form and its fingerprint, the normalized form,
/// and what is built from a parsed schema (the binary validator's program, avro-c's schema).
///
/// The input is schema JSON. A schema that parses must have a canonical form that parses to
/// a schema of the same canonical form and fingerprint, and a normalized form that parses to
/// a schema of the same normalized form; avro-c must accept it (the sink builds a codec for
/// every writer schema).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    guard let schema = try? AvroParsedSchema(parsing: text) else { return 0 }
    let canonical = schema.canonicalForm
    let normalized = schema.normalizedForm
    do {
        let again = try AvroParsedSchema(parsing: canonical)
        precondition(again.canonicalForm == canonical, "the canonical form of the canonical form differs:\n\(canonical)\n\(again.canonicalForm)")
        precondition(again.fingerprint == schema.fingerprint, "the canonical form has another fingerprint")
    } catch {
        fatalError("the canonical form does not parse: \(error)\n\(canonical)")
    }
    do {
        let again = try AvroParsedSchema(parsing: normalized)
        precondition(again.normalizedForm == normalized, "the normalized form of the normalized form differs:\n\(normalized)\n\(again.normalizedForm)")
    } catch {
        fatalError("the normalized form does not parse: \(error)\n\(normalized)")
    }
    _ = AvroBinaryValidator(schema: schema)
    do {
        _ = try AvroBinaryCodec(schema: schema)
    } catch {
        fatalError("avro-c rejects a schema: \(error)\n\(canonical)")
    }
    return 0
}
