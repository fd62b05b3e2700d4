import Avro

/// The schema compatibility checker, on two schemas: the input's first line is the reader's
/// JSON, the rest the writer's.
///
/// Both directions and every level are checked; each schema must be able to read itself.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = UnsafeBufferPointer(start: data, count: size)
    let split = bytes.firstIndex(of: UInt8(ascii: "\n")) ?? size
    let readerText = String(decoding: bytes[..<split], as: UTF8.self)
    let writerText = String(decoding: bytes[min(split + 1, size)...], as: UTF8.self)
    guard let reader = try? AvroParsedSchema(parsing: readerText), let writer = try? AvroParsedSchema(parsing: writerText) else {
        return 0
    }
    _ = AvroCompatibility.incompatibilities(reader: reader, writer: writer)
    _ = AvroCompatibility.incompatibilities(reader: writer, writer: reader)
    for level in AvroCompatibilityLevel.allCases {
        _ = level.incompatibilities(new: reader, existing: [writer, reader])
    }
    for schema in [reader, writer] {
        let problems = AvroCompatibility.incompatibilities(reader: schema, writer: schema)
        precondition(problems.isEmpty, "a schema cannot read itself: \(problems)\n\(schema.canonicalForm)")
    }
    return 0
}
