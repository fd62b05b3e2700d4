import CAvro
import Foundation

/// Why a value could not be encoded or decoded.
public struct AvroCodecError: Error, Sendable, CustomStringConvertible {
    /// What is wrong, so that callers can tell corrupt input apart without parsing messages.
    public enum Kind: Sendable, Hashable {
        /// Anything else: avro-c failures, values that do not match the schema, undefined types.
        case other
        /// The input ends inside a value.
        case truncated
        /// A varint longer than 10 bytes (5 for an int) or overflowing 64 bits.
        case malformedVarint
        /// An int outside the range of `Int32`.
        case intOutOfRange
        /// A bytes, string or map-key length that is negative or larger than the bytes left.
        case invalidLength
        /// An array or map block count whose items cannot fit in the bytes left.
        case invalidBlockCount
        /// More items of a type encoded as no bytes than one value may hold.
        case tooManyZeroSizeElements
        /// The byte size of a block with a negative count is negative, too large, or wrong.
        case invalidBlockSize
        /// A union branch index outside the union.
        case unionIndexOutOfRange
        /// An enum index outside the enum's symbols.
        case enumIndexOutOfRange
        /// A boolean byte other than 0 or 1.
        case invalidBoolean
        /// Ill-formed UTF-8 in a string or map key.
        case invalidUTF8
        /// A map key with a NUL byte: avro-c keeps keys as C strings, which would cut it short.
        case nulInMapKey
        /// Bytes after the value, when the whole input must be one value.
        case trailingBytes
        /// Records, arrays and maps nested deeper than allowed.
        case tooDeep
    }

    /// What is wrong.
    public var kind: Kind
    public var message: String
    public init(_ message: String) { self.init(.other, message) }
    /// An error of a given kind.
    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }
    public var description: String { "Avro codec error: \(message)" }
}

/// Binary encoding and decoding of values of one schema, by avro-c.
/// Safe to share between tasks: every call uses its own avro-c value.
public final class AvroBinaryCodec: @unchecked Sendable {
    /// The schema values are encoded with.
    public let schema: AvroParsedSchema
    // Checks every input before avro-c reads it.
    private let validator: AvroBinaryValidator
    // Owned avro-c handles; released in deinit, never shared outside this object.
    private let cSchema: avro_schema_t
    private let valueClass: UnsafeMutablePointer<avro_value_iface_t>
    private let pool = AvroValuePool()

    /// Prepares avro-c for `schema`.
    /// - Throws: `AvroCodecError` when avro-c rejects the schema.
    public init(schema: AvroParsedSchema) throws {
        self.schema = schema
        self.validator = AvroBinaryValidator(schema: schema)
        let json = schema.avroCForm
        var parsed: avro_schema_t?
        let rc = json.withCString { avro_schema_from_json_length($0, strlen($0), &parsed) }
        guard rc == 0, let parsed else {
            throw AvroCodecError("avro-c rejected the schema: \(String(cString: avro_strerror()))")
        }
        guard let cls = avro_generic_class_from_schema(parsed) else {
            avro_schema_decref(parsed)
            throw AvroCodecError("avro-c could not build a value class: \(String(cString: avro_strerror()))")
        }
        self.cSchema = parsed
        self.valueClass = cls
    }

    deinit {
        pool.drain()
        pp_avro_value_iface_decref(valueClass)
        avro_schema_decref(cSchema)
    }

    /// Encodes `value` in Avro's binary encoding.
    /// - Throws: `AvroCodecError` when the value does not match the schema.
    public func encode(_ value: AvroValue) throws -> [UInt8] {
        var lease = try pool.take(valueClass)
        defer { pool.give(lease) }
        try fill(&lease.value, with: value, schema: schema.root, path: "")
        while true {
            let written = lease.scratch.withUnsafeMutableBytes { buffer -> Int in
                let writer = avro_writer_memory(buffer.baseAddress!.assumingMemoryBound(to: CChar.self), Int64(buffer.count))
                defer { avro_writer_free(writer) }
                guard avro_value_write(writer, &lease.value) == 0 else { return -1 }
                return Int(avro_writer_tell(writer))
            }
            if written >= 0 { return Array(lease.scratch[0..<written]) }
            guard lease.scratch.count < 1 << 30 else { throw lastError("writing the value") }
            // The scratch buffer was too small: grow it and write again.
            lease.scratch = [UInt8](repeating: 0, count: lease.scratch.count * 4)
        }
    }

    /// Decodes one value from Avro's binary encoding.
    ///
    /// The bytes are first checked by an `AvroBinaryValidator` (default limits), so that
    /// avro-c only reads input that passed it: corrupt lengths, counts and indexes, invalid
    /// UTF-8 and, in whole-value mode, trailing bytes are rejected before anything is allocated.
    /// - Parameter wholeValue: when true (the default), the bytes must be exactly one value;
    ///   when false, the value is decoded from a prefix and any bytes after it are ignored.
    /// - Throws: `AvroCodecError` (with its `kind`) when the bytes are truncated or corrupt.
    public func decode(_ bytes: some Collection<UInt8>, wholeValue: Bool = true) throws -> AvroValue {
        var lease = try pool.take(valueClass)
        defer { pool.give(lease) }
        let rc = try bytes.withContiguousStorageIfAvailable { try readInto(&lease.value, $0, wholeValue: wholeValue) }
            ?? Array(bytes).withUnsafeBufferPointer { try readInto(&lease.value, $0, wholeValue: wholeValue) }
        guard rc == 0 else { throw lastError("reading \(bytes.count) bytes (truncated or corrupt data)") }
        return try read(&lease.value, schema: schema.root, path: "")
    }

    /// Validates the buffer, then lets avro-c read the validated prefix only.
    private func readInto(_ value: inout avro_value_t, _ buffer: UnsafeBufferPointer<UInt8>, wholeValue: Bool) throws -> Int32 {
        let length = try validator.validate(UnsafeRawBufferPointer(buffer), wholeValue: wholeValue)
        let base = UnsafeRawPointer(buffer.baseAddress ?? UnsafePointer(bitPattern: 1)!).assumingMemoryBound(to: CChar.self)
        let reader = avro_reader_memory(base, Int64(length))
        defer { avro_reader_free(reader) }
        return avro_value_read(reader, &value)
    }

    private func lastError(_ doing: String) -> AvroCodecError {
        AvroCodecError("\(doing): \(String(cString: avro_strerror()))")
    }

    private func check(_ rc: Int32, _ doing: @autoclosure () -> String) throws {
        if rc != 0 { throw lastError(doing()) }
    }

    private func mismatch(_ value: AvroValue, _ schema: AvroSchema, _ path: String) -> AvroCodecError {
        AvroCodecError("value \(value) does not match schema \(schema.typeName) at \(path.isEmpty ? "/" : path)")
    }

    private func fill(_ target: inout avro_value_t, with value: AvroValue, schema node: AvroSchema, path: String) throws {
        let node = schema.resolve(node)
        switch (node, value) {
        case (.primitive(.null, _), .null): try check(pp_avro_value_set_null(&target), "setting null at \(path)")
        case (.primitive(.boolean, _), .boolean(let b)): try check(pp_avro_value_set_boolean(&target, b ? 1 : 0), "setting boolean")
        case (.primitive(.int, _), .int(let i)): try check(pp_avro_value_set_int(&target, i), "setting int")
        case (.primitive(.long, _), .long(let l)): try check(pp_avro_value_set_long(&target, l), "setting long")
        case (.primitive(.float, _), .float(let f)): try check(pp_avro_value_set_float(&target, f), "setting float")
        case (.primitive(.double, _), .double(let d)): try check(pp_avro_value_set_double(&target, d), "setting double")
        case (.primitive(.string, _), .string(let s)):
            // avro-c copies the string with its terminating NUL.
            let length = s.utf8.count + 1
            try check(s.withCString { pp_avro_value_set_string_len(&target, $0, length) }, "setting string at \(path)")
        case (.primitive(.bytes, _), .bytes(let b)):
            var b = b
            try check(b.withUnsafeMutableBytes { pp_avro_value_set_bytes(&target, $0.baseAddress, $0.count) }, "setting bytes")
        case (.fixed(let f), .fixed(let b)) where f.size == 0:
            guard b.isEmpty else { throw mismatch(value, node, path) }
            try check(pp_avro_value_set_null(&target), "setting an empty fixed")
        case (.fixed(let f), .fixed(let b)):
            guard b.count == f.size else { throw mismatch(value, node, path) }
            var b = b
            try check(b.withUnsafeMutableBytes { pp_avro_value_set_fixed(&target, $0.baseAddress, $0.count) }, "setting fixed")
        case (.enumeration(let e), .enumSymbol(let s)):
            guard let i = e.symbols.firstIndex(of: s) else { throw mismatch(value, node, path) }
            try check(pp_avro_value_set_enum(&target, Int32(i)), "setting enum")
        case (.record(let r), .record(let fields)):
            guard fields.count == r.fields.count else { throw mismatch(value, node, path) }
            for (i, field) in r.fields.enumerated() {
                var child = avro_value_t()
                try check(pp_avro_value_get_by_index(&target, i, &child), "field \(field.name)")
                try fill(&child, with: fields[i], schema: field.type, path: "\(path)/\(field.name)")
            }
        case (.array(let items, _), .array(let elements)):
            for (i, element) in elements.enumerated() {
                var child = avro_value_t()
                try check(pp_avro_value_append(&target, &child), "appending to array")
                try fill(&child, with: element, schema: items, path: "\(path)/\(i)")
            }
        case (.map(let values, _), .map(let entries)):
            for key in entries.keys.sorted() {
                guard !key.utf8.contains(0) else {
                    throw AvroCodecError(.nulInMapKey, "the map key at \(path.isEmpty ? "/" : path) has a NUL byte, which avro-c cannot keep in a key")
                }
                var child = avro_value_t()
                try check(pp_avro_value_add(&target, key, &child), "adding map entry")
                try fill(&child, with: entries[key]!, schema: values, path: "\(path)/\(key)")
            }
        case (.union(let branches), .union(let index, let inner)):
            guard branches.indices.contains(index) else { throw mismatch(value, node, path) }
            var child = avro_value_t()
            try check(pp_avro_value_set_branch(&target, Int32(index), &child), "selecting union branch")
            try fill(&child, with: inner, schema: branches[index], path: path)
        default:
            throw mismatch(value, node, path)
        }
    }

    private func read(_ source: inout avro_value_t, schema node: AvroSchema, path: String) throws -> AvroValue {
        let node = schema.resolve(node)
        switch node {
        case .primitive(let p, _):
            switch p {
            case .null: return .null
            case .boolean:
                var b: Int32 = 0
                try check(pp_avro_value_get_boolean(&source, &b), "reading boolean")
                return .boolean(b != 0)
            case .int:
                var i: Int32 = 0
                try check(pp_avro_value_get_int(&source, &i), "reading int")
                return .int(i)
            case .long:
                var l: Int64 = 0
                try check(pp_avro_value_get_long(&source, &l), "reading long")
                return .long(l)
            case .float:
                var f: Float = 0
                try check(pp_avro_value_get_float(&source, &f), "reading float")
                return .float(f)
            case .double:
                var d: Double = 0
                try check(pp_avro_value_get_double(&source, &d), "reading double")
                return .double(d)
            case .string:
                var p: UnsafePointer<CChar>?
                var n = 0
                try check(pp_avro_value_get_string(&source, &p, &n), "reading string")
                guard let p, n > 0 else { return .string("") }
                guard let s = String(validating: UnsafeRawBufferPointer(start: p, count: n - 1), as: UTF8.self) else {
                    throw AvroCodecError(.invalidUTF8, "invalid UTF-8 in the string at \(path.isEmpty ? "/" : path)")
                }
                return .string(s)
            case .bytes:
                var p: UnsafeRawPointer?
                var n = 0
                try check(pp_avro_value_get_bytes(&source, &p, &n), "reading bytes")
                return .bytes(p.map { Array(UnsafeRawBufferPointer(start: $0, count: n)) } ?? [])
            }
        case .fixed(let f) where f.size == 0:
            return .fixed([])
        case .fixed:
            var p: UnsafeRawPointer?
            var n = 0
            try check(pp_avro_value_get_fixed(&source, &p, &n), "reading fixed")
            return .fixed(p.map { Array(UnsafeRawBufferPointer(start: $0, count: n)) } ?? [])
        case .enumeration(let e):
            var i: Int32 = 0
            try check(pp_avro_value_get_enum(&source, &i), "reading enum")
            guard e.symbols.indices.contains(Int(i)) else { throw AvroCodecError("enum index \(i) out of range at \(path)") }
            return .enumSymbol(e.symbols[Int(i)])
        case .record(let r):
            var fields: [AvroValue] = []
            fields.reserveCapacity(r.fields.count)
            for (i, field) in r.fields.enumerated() {
                var child = avro_value_t()
                try check(pp_avro_value_get_by_index(&source, i, &child), "reading field \(field.name)")
                fields.append(try read(&child, schema: field.type, path: "\(path)/\(field.name)"))
            }
            return .record(fields)
        case .array(let items, _):
            var n = 0
            try check(pp_avro_value_get_size(&source, &n), "reading array size")
            var out: [AvroValue] = []
            out.reserveCapacity(n)
            for i in 0..<n {
                var child = avro_value_t()
                try check(pp_avro_value_get_by_index(&source, i, &child), "reading array element")
                out.append(try read(&child, schema: items, path: "\(path)/\(i)"))
            }
            return .array(out)
        case .map(let values, _):
            var n = 0
            try check(pp_avro_value_get_size(&source, &n), "reading map size")
            var out: [String: AvroValue] = [:]
            for i in 0..<n {
                var child = avro_value_t()
                var key: UnsafePointer<CChar>?
                try check(pp_avro_value_get_map_entry(&source, i, &child, &key), "reading map entry")
                var k = ""
                if let key {
                    guard let valid = String(validatingCString: key) else {
                        throw AvroCodecError(.invalidUTF8, "invalid UTF-8 in the key of map entry \(i) at \(path.isEmpty ? "/" : path)")
                    }
                    k = valid
                }
                out[k] = try read(&child, schema: values, path: "\(path)/\(k)")
            }
            return .map(out)
        case .union(let branches):
            var d: Int32 = 0
            try check(pp_avro_value_get_discriminant(&source, &d), "reading union branch")
            guard branches.indices.contains(Int(d)) else { throw AvroCodecError("union branch \(d) out of range at \(path)") }
            var child = avro_value_t()
            try check(pp_avro_value_get_current_branch(&source, &child), "reading union value")
            return .union(branch: Int(d), try read(&child, schema: branches[Int(d)], path: path))
        case .reference(let n):
            throw AvroCodecError("unknown named type \(n.fullName) at \(path)")
        }
    }
}

/// Reusable avro-c values (and a scratch buffer for encoding), so that a call allocates
/// no avro-c value of its own.
final class AvroValuePool: @unchecked Sendable {
    struct Lease {
        var value: avro_value_t
        var scratch: [UInt8]
    }
    private let lock = NSLock()
    private var idle: [Lease] = []

    func take(_ valueClass: UnsafeMutablePointer<avro_value_iface_t>) throws -> Lease {
        if let lease = lock.withLock({ idle.popLast() }) { return lease }
        var value = avro_value_t()
        guard avro_generic_value_new(valueClass, &value) == 0 else {
            throw AvroCodecError("allocating a value: \(String(cString: avro_strerror()))")
        }
        return Lease(value: value, scratch: [UInt8](repeating: 0, count: 256))
    }

    func give(_ lease: Lease) {
        var lease = lease
        _ = pp_avro_value_reset(&lease.value)
        let kept = lock.withLock { () -> Bool in
            guard idle.count < 8 else { return false }
            idle.append(lease)
            return true
        }
        if !kept { avro_value_decref(&lease.value) }
    }

    func drain() {
        let all = lock.withLock { defer { idle = [] }; return idle }
        for var lease in all { avro_value_decref(&lease.value) }
    }
}
