/// Checks that bytes are a well-formed Avro binary encoding of a value of one schema,
/// before any decoder allocates memory on the strength of what the bytes claim.
///
/// A corrupt length or block count must not reach avro-c, which allocates for it before
/// looking at how many bytes there are. The validator walks the bytes by the schema,
/// allocating nothing per element, and rejects:
/// - varints longer than 10 bytes (5 for an `int`) or overflowing 64 bits, and `int`s outside `Int32`;
/// - a bytes, string or map-key length that is negative or larger than the bytes left;
/// - an array or map block whose items could not fit in the bytes left, given the least
///   number of bytes an item of its type takes;
/// - more than `maxZeroSizeElements` items, in all the arrays of one value together, of a
///   type encoded as no bytes (`null`, an empty record, a zero-size fixed);
/// - a negative block count whose byte size is negative, larger than the bytes left, or not
///   the size its items take;
/// - a union branch or enum index out of range, and a boolean byte other than 0 or 1;
/// - ill-formed UTF-8 in a string or map key;
/// - values nested deeper than `maxDepth` records, arrays and maps;
/// - in whole-value mode, bytes left after the value.
///
/// Errors are `AvroCodecError`s with a `kind` and a message naming where the problem is:
/// the value's path (`/fields/volume`, `/3`, a map key) and the byte offset.
public struct AvroBinaryValidator: Sendable {
    /// The schema values are checked against.
    public let schema: AvroParsedSchema
    /// The most items of a type encoded as no bytes that the arrays of one value may hold together.
    public let maxZeroSizeElements: Int
    /// The deepest nesting of records, arrays and maps accepted in a value.
    public let maxDepth: Int
    private let program: Program

    /// Prepares a validator for values of `schema`.
    /// - Parameters:
    ///   - schema: the schema the bytes were written with.
    ///   - maxZeroSizeElements: the most items of zero-byte types (`null`, empty records,
    ///     zero-size fixed) accepted in one value, over all its arrays.
    ///   - maxDepth: the deepest nesting of records, arrays and maps accepted (bounds the
    ///     recursion through recursive schemas).
    public init(schema: AvroParsedSchema, maxZeroSizeElements: Int = 1_000_000, maxDepth: Int = 512) {
        self.schema = schema
        self.maxZeroSizeElements = max(0, maxZeroSizeElements)
        self.maxDepth = max(0, maxDepth)
        self.program = Program(schema)
    }

    /// Checks that `bytes` begin with (or, in whole-value mode, are exactly) one encoded value.
    /// - Parameters:
    ///   - bytes: Avro binary encoding of a value of `schema`.
    ///   - wholeValue: when true, bytes after the value are an error; when false, the value
    ///     may be followed by anything.
    /// - Returns: the number of bytes the value takes.
    /// - Throws: `AvroCodecError` with the kind of problem, its path and byte offset.
    @discardableResult
    public func validate(_ bytes: UnsafeRawBufferPointer, wholeValue: Bool = true) throws -> Int {
        var walker = Walker(bytes: bytes, program: program, maxZeroSizeElements: maxZeroSizeElements, maxDepth: maxDepth)
        do throws(Failure) {
            try walker.walk(program.root, depth: 0)
        } catch {
            throw error.codecError
        }
        let left = bytes.count - walker.position
        if wholeValue, left > 0 {
            throw AvroCodecError(.trailingBytes, "\(left) trailing \(left == 1 ? "byte" : "bytes") after the value (byte \(walker.position))")
        }
        return walker.position
    }

    /// Checks that `bytes` begin with (or, in whole-value mode, are exactly) one encoded value.
    /// - Parameters:
    ///   - bytes: Avro binary encoding of a value of `schema`.
    ///   - wholeValue: when true, bytes after the value are an error.
    /// - Returns: the number of bytes the value takes.
    /// - Throws: `AvroCodecError` with the kind of problem, its path and byte offset.
    @discardableResult
    public func validate(_ bytes: some Collection<UInt8>, wholeValue: Bool = true) throws -> Int {
        if let consumed = try bytes.withContiguousStorageIfAvailable({ try validate(UnsafeRawBufferPointer($0), wholeValue: wholeValue) }) {
            return consumed
        }
        return try Array(bytes).withUnsafeBytes { try validate($0, wholeValue: wholeValue) }
    }
}

// MARK: - The schema as a table of nodes

extension AvroBinaryValidator {
    /// The schema compiled for walking: nodes refer to each other by index, so named
    /// references (and recursion) cost nothing to follow.
    struct Program: Sendable {
        struct Field: Sendable {
            var name: String
            var node: Int
        }

        enum Node: Sendable {
            case null, boolean, int, long, float, double, bytes, string
            case fixed(size: Int)
            case enumeration(symbolCount: Int)
            case record(fields: [Field])
            case array(items: Int)
            case map(values: Int)
            case union(branches: [Int])
            /// A reference to a named type the schema does not define.
            case undefined(name: String)
        }

        var nodes: [Node]
        /// For each node, a lower bound of the bytes any value of it takes.
        var minimumSize: [Int]
        var root: Int

        init(_ schema: AvroParsedSchema) {
            var compiler = Compiler(schema: schema)
            root = compiler.compile(schema.root)
            nodes = compiler.nodes
            minimumSize = Self.minimumSizes(nodes)
        }

        /// Least sizes by fixed-point iteration from zero: every iterate is a lower bound of the
        /// true least size, so stopping early (a record that contains itself) stays safe.
        static func minimumSizes(_ nodes: [Node]) -> [Int] {
            let cap = Int(Int32.max)
            var size = [Int](repeating: 0, count: nodes.count)
            for _ in 0..<64 {
                var changed = false
                for i in nodes.indices.reversed() {
                    let new: Int
                    switch nodes[i] {
                    case .null, .undefined: new = 0
                    case .boolean, .int, .long, .bytes, .string, .enumeration, .array, .map: new = 1
                    case .float: new = 4
                    case .double: new = 8
                    case .fixed(let n): new = min(n, cap)
                    case .record(let fields): new = fields.reduce(0) { min($0 + size[$1.node], cap) }
                    case .union(let branches): new = 1 + (branches.map { size[$0] }.min() ?? 0)
                    }
                    let bounded = min(new, cap)
                    if bounded != size[i] {
                        size[i] = bounded
                        changed = true
                    }
                }
                if !changed { break }
            }
            return size
        }
    }

    struct Compiler {
        let schema: AvroParsedSchema
        var nodes: [Program.Node] = [.null, .boolean, .int, .long, .float, .double, .bytes, .string]
        var named: [String: Int] = [:]

        init(schema: AvroParsedSchema) {
            self.schema = schema
        }

        mutating func add(_ node: Program.Node) -> Int {
            nodes.append(node)
            return nodes.count - 1
        }

        mutating func compile(_ node: AvroSchema) -> Int {
            switch node {
            case .primitive(let p, _):
                switch p {
                case .null: return 0
                case .boolean: return 1
                case .int: return 2
                case .long: return 3
                case .float: return 4
                case .double: return 5
                case .bytes: return 6
                case .string: return 7
                }
            case .reference(let name):
                if let index = named[name.fullName] { return index }
                switch schema.namedTypes[name.fullName] {
                case let definition? where definition.fullName == name.fullName && !Self.isReference(definition):
                    return compile(definition)
                default:
                    let index = add(.undefined(name: name.fullName))
                    named[name.fullName] = index
                    return index
                }
            case .record(let r):
                if let index = named[r.name.fullName] { return index }
                let index = add(.record(fields: []))
                named[r.name.fullName] = index
                var fields: [Program.Field] = []
                fields.reserveCapacity(r.fields.count)
                for field in r.fields {
                    fields.append(Program.Field(name: field.name, node: compile(field.type)))
                }
                nodes[index] = .record(fields: fields)
                return index
            case .enumeration(let e):
                if let index = named[e.name.fullName] { return index }
                let index = add(.enumeration(symbolCount: e.symbols.count))
                named[e.name.fullName] = index
                return index
            case .fixed(let f):
                if let index = named[f.name.fullName] { return index }
                let index = add(.fixed(size: f.size))
                named[f.name.fullName] = index
                return index
            case .array(let items, _):
                let child = compile(items)
                return add(.array(items: child))
            case .map(let values, _):
                let child = compile(values)
                return add(.map(values: child))
            case .union(let branches):
                var children: [Int] = []
                children.reserveCapacity(branches.count)
                for branch in branches { children.append(compile(branch)) }
                return add(.union(branches: children))
            }
        }

        static func isReference(_ node: AvroSchema) -> Bool {
            if case .reference = node { return true }
            return false
        }
    }
}

// MARK: - Walking the bytes

extension AvroBinaryValidator {
    /// A problem found while walking, with the path built on the way back out
    /// (so that nothing is allocated for paths unless a value is rejected).
    struct Failure: Error {
        var kind: AvroCodecError.Kind
        var reason: String
        var offset: Int
        var reversedPath: [String] = []

        init(_ kind: AvroCodecError.Kind, _ reason: String, at offset: Int) {
            self.kind = kind
            self.reason = reason
            self.offset = offset
        }

        func inside(_ segment: String) -> Failure {
            var copy = self
            copy.reversedPath.append(segment)
            return copy
        }

        /// The path, with the middle of very deep paths left out.
        var path: String {
            let segments = Array(reversedPath.reversed())
            guard segments.count > 24 else { return "/" + segments.joined(separator: "/") }
            let omitted = segments.count - 16
            return "/" + segments.prefix(8).joined(separator: "/") + "/…(\(omitted) more)…/" + segments.suffix(8).joined(separator: "/")
        }

        var codecError: AvroCodecError {
            AvroCodecError(kind, "\(reason) at \(path) (byte \(offset))")
        }
    }

    struct Walker {
        let bytes: UnsafeRawBufferPointer
        let program: Program
        let maxZeroSizeElements: Int
        let maxDepth: Int
        var position = 0
        var zeroSizeElements = 0

        init(bytes: UnsafeRawBufferPointer, program: Program, maxZeroSizeElements: Int, maxDepth: Int) {
            self.bytes = bytes
            self.program = program
            self.maxZeroSizeElements = maxZeroSizeElements
            self.maxDepth = maxDepth
        }

        var left: Int { bytes.count - position }

        /// Walks one value of `start`. Union branches are followed in the same frame, so the
        /// stack grows only with records, arrays and maps, which `maxDepth` bounds.
        mutating func walk(_ start: Int, depth: Int) throws(Failure) {
            var node = start
            while true {
                switch program.nodes[node] {
                case .null:
                    return
                case .boolean:
                    let at = position
                    try skip(1, "boolean")
                    let b = bytes[at]
                    guard b <= 1 else { throw Failure(.invalidBoolean, "boolean byte 0x\(String(b, radix: 16)) is neither 0 nor 1", at: at) }
                    return
                case .int:
                    _ = try readInt("int")
                    return
                case .long:
                    _ = try readLong("long")
                    return
                case .float:
                    try skip(4, "float")
                    return
                case .double:
                    try skip(8, "double")
                    return
                case .bytes:
                    let count = try readLength("bytes length")
                    position += count
                    return
                case .string:
                    let count = try readLength("string length")
                    try checkUTF8(count, "the string")
                    return
                case .fixed(let size):
                    try skip(size, "fixed")
                    return
                case .enumeration(let symbolCount):
                    let at = position
                    let index = try readInt("enum index")
                    guard index >= 0, Int(index) < symbolCount else {
                        throw Failure(.enumIndexOutOfRange, "enum index \(index) is out of range for an enum of \(symbolCount) symbols", at: at)
                    }
                    return
                case .union(let branches):
                    let at = position
                    let index = try readInt("union branch index")
                    guard index >= 0, Int(index) < branches.count else {
                        throw Failure(.unionIndexOutOfRange, "union branch index \(index) is out of range for a union of \(branches.count) branches", at: at)
                    }
                    node = branches[Int(index)]
                case .record(let fields):
                    let level = try enter(depth)
                    for field in fields {
                        do throws(Failure) {
                            try walk(field.node, depth: level)
                        } catch {
                            throw error.inside("fields/\(field.name)")
                        }
                    }
                    return
                case .array(let items):
                    let level = try enter(depth)
                    try walkBlocks(items, isMap: false, depth: level)
                    return
                case .map(let values):
                    let level = try enter(depth)
                    try walkBlocks(values, isMap: true, depth: level)
                    return
                case .undefined(let name):
                    throw Failure(.other, "the schema does not define the named type \(name)", at: position)
                }
            }
        }

        func enter(_ depth: Int) throws(Failure) -> Int {
            guard depth < maxDepth else { throw Failure(.tooDeep, "the value is nested deeper than \(maxDepth) levels", at: position) }
            return depth + 1
        }

        /// Walks the blocks of an array or map: `count items` blocks ended by a zero count; a
        /// negative count `-n` means n items preceded by the block's size in bytes.
        mutating func walkBlocks(_ item: Int, isMap: Bool, depth: Int) throws(Failure) {
            let what = isMap ? "map" : "array"
            // A map entry is a key (at least its length byte) and a value.
            let itemSize = min(program.minimumSize[item] + (isMap ? 1 : 0), Int(Int32.max))
            var index = 0
            while true {
                let countAt = position
                var count = try readLong(isMap ? "map block count" : "array block count")
                if count == 0 { return }
                var room = left
                var declaredSize: (size: Int, at: Int)?
                if count < 0 {
                    guard count != .min else { throw Failure(.invalidBlockCount, "\(what) block count \(count) cannot be negated", at: countAt) }
                    count = -count
                    let sizeAt = position
                    let size = try readLong(isMap ? "map block size" : "array block size")
                    guard size >= 0 else { throw Failure(.invalidBlockSize, "\(what) block size \(size) is negative", at: sizeAt) }
                    guard size <= left else {
                        throw Failure(.invalidBlockSize, "\(what) block size \(size) exceeds the \(left) bytes left", at: sizeAt)
                    }
                    room = Int(size)
                    declaredSize = (Int(size), sizeAt)
                }
                if itemSize > 0 {
                    let (needed, overflow) = count.multipliedReportingOverflow(by: Int64(itemSize))
                    guard !overflow, needed <= room else {
                        let amount = overflow ? "more than \(Int64.max)" : "\(needed)"
                        throw Failure(.invalidBlockCount, "\(what) block count \(count) needs at least \(amount) bytes but only \(room) are left", at: countAt)
                    }
                } else {
                    guard count <= maxZeroSizeElements - zeroSizeElements else {
                        throw Failure(.tooManyZeroSizeElements,
                                      "\(what) block count \(count) of items encoded as no bytes exceeds the limit of \(maxZeroSizeElements) such items in a value"
                                        + (zeroSizeElements > 0 ? " (\(zeroSizeElements) already seen)" : ""),
                                      at: countAt)
                    }
                    zeroSizeElements += Int(count)
                }
                let blockStart = position
                for _ in 0..<Int(count) {
                    if isMap {
                        let keyLength = try readLength("map key length")
                        let keyStart = position
                        try checkUTF8(keyLength, "the key of map entry \(index)")
                        do throws(Failure) {
                            try walk(item, depth: depth)
                        } catch {
                            throw error.inside(keySegment(keyStart, keyLength))
                        }
                    } else {
                        do throws(Failure) {
                            try walk(item, depth: depth)
                        } catch {
                            throw error.inside("\(index)")
                        }
                    }
                    index += 1
                }
                if let declaredSize, position - blockStart != declaredSize.size {
                    throw Failure(.invalidBlockSize,
                                  "\(what) block size \(declaredSize.size) does not match the \(position - blockStart) bytes its \(count) items take",
                                  at: declaredSize.at)
                }
            }
        }

        /// A map key as a path segment, escaped as in a JSON pointer.
        func keySegment(_ start: Int, _ count: Int) -> String {
            var segment = ""
            for scalar in String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<start + count]), as: UTF8.self).unicodeScalars {
                switch scalar {
                case "~": segment += "~0"
                case "/": segment += "~1"
                default: segment.unicodeScalars.append(scalar)
                }
            }
            return segment
        }

        mutating func skip(_ count: Int, _ what: StaticString) throws(Failure) {
            guard count <= left else {
                throw Failure(.truncated, "the \(what) needs \(count) \(count == 1 ? "byte" : "bytes") but only \(left) are left", at: position)
            }
            position += count
        }

        /// Reads a length and checks it against the bytes left; the position is then at the
        /// first byte of the content.
        mutating func readLength(_ what: StaticString) throws(Failure) -> Int {
            let at = position
            let length = try readLong(what)
            guard length >= 0 else { throw Failure(.invalidLength, "the \(what) \(length) is negative", at: at) }
            guard length <= left else { throw Failure(.invalidLength, "the \(what) \(length) exceeds the \(left) bytes left", at: at) }
            return Int(length)
        }

        /// Checks that the next `count` bytes are well-formed UTF-8 and moves past them.
        mutating func checkUTF8(_ count: Int, _ what: @autoclosure () -> String) throws(Failure) {
            if let bad = AvroBinaryValidator.firstInvalidUTF8(in: bytes, from: position, to: position + count) {
                throw Failure(.invalidUTF8, "invalid UTF-8 in \(what()): byte 0x\(String(bytes[bad], radix: 16)) does not start a well-formed sequence", at: bad)
            }
            position += count
        }

        mutating func readLong(_ what: StaticString) throws(Failure) -> Int64 {
            Self.zigZag(try readVarint(what, maxBytes: 10))
        }

        mutating func readInt(_ what: StaticString) throws(Failure) -> Int32 {
            let at = position
            let value = Self.zigZag(try readVarint(what, maxBytes: 5))
            guard let int = Int32(exactly: value) else {
                throw Failure(.intOutOfRange, "the \(what) \(value) is outside the range of an int", at: at)
            }
            return int
        }

        /// Reads an unsigned varint of at most `maxBytes` bytes (10 for 64 bits, 5 for 32).
        mutating func readVarint(_ what: StaticString, maxBytes: Int) throws(Failure) -> UInt64 {
            let start = position
            var value: UInt64 = 0
            var shift: UInt64 = 0
            while true {
                guard position < bytes.count else { throw Failure(.truncated, "the input ends inside the \(what)", at: start) }
                let b = bytes[position]
                position += 1
                let length = position - start
                if length == maxBytes {
                    guard b & 0x80 == 0 else { throw Failure(.malformedVarint, "the \(what) is a varint longer than \(maxBytes) bytes", at: start) }
                    // The tenth byte of a 64-bit varint holds only bit 63.
                    guard maxBytes < 10 || b <= 1 else { throw Failure(.malformedVarint, "the \(what) varint overflows 64 bits", at: start) }
                }
                value |= UInt64(b & 0x7F) << shift
                if b & 0x80 == 0 { return value }
                shift += 7
            }
        }

        static func zigZag(_ raw: UInt64) -> Int64 {
            Int64(bitPattern: (raw >> 1) ^ (0 &- (raw & 1)))
        }
    }

    /// The offset of the first byte in `start..<end` that does not begin a well-formed UTF-8
    /// sequence (Unicode Table 3-7: no overlong forms, surrogates or code points above U+10FFFF),
    /// or nil when the range is well formed.
    static func firstInvalidUTF8(in bytes: UnsafeRawBufferPointer, from start: Int, to end: Int) -> Int? {
        var i = start
        while i < end {
            let lead = bytes[i]
            if lead < 0x80 {
                i += 1
                continue
            }
            let trailing: Int
            var low: UInt8 = 0x80
            var high: UInt8 = 0xBF
            switch lead {
            case 0xC2...0xDF: trailing = 1
            case 0xE0: trailing = 2; low = 0xA0
            case 0xE1...0xEC, 0xEE...0xEF: trailing = 2
            case 0xED: trailing = 2; high = 0x9F
            case 0xF0: trailing = 3; low = 0x90
            case 0xF1...0xF3: trailing = 3
            case 0xF4: trailing = 3; high = 0x8F
            default: return i
            }
            guard end - i > trailing else { return i }
            let second = bytes[i + 1]
            guard second >= low, second <= high else { return i }
            var k = 2
            while k <= trailing {
                guard bytes[i + k] & 0xC0 == 0x80 else { return i }
                k += 1
            }
            i += trailing + 1
        }
        return nil
    }
}
