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
/// - ill-formed UTF-8 in a string or map key, and a NUL byte in a map key (avro-c would cut
///   the key short there, merging entries);
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
    ///   - maxDepth: the deepest nesting of records, arrays and maps accepted. The walk itself
    ///     uses no recursion; the limit protects the recursive decoders that read the value
    ///     afterwards (avro-c, `AvroBinaryCodec`) from values of recursive schemas.
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
            try walker.run(program.root)
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
                    case .fixed(let n): new = min(max(n, 0), cap)
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

    /// Builds a `Program`, giving each named type one node, however often it is referenced.
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
    /// A problem found while walking; `path` is filled in from the walker's frames.
    struct Failure: Error {
        var kind: AvroCodecError.Kind
        var reason: String
        var offset: Int
        var path = "/"

        init(_ kind: AvroCodecError.Kind, _ reason: String, at offset: Int) {
            self.kind = kind
            self.reason = reason
            self.offset = offset
        }

        var codecError: AvroCodecError {
            AvroCodecError(kind, "\(reason) at \(path) (byte \(offset))")
        }
    }

    /// What a length-prefixed text is, for messages.
    enum Text {
        case string
        case mapKey(entry: Int)
    }

    /// A record, array or map being walked (or, at the bottom, the value itself).
    struct Frame {
        enum Kind { case root, record, array, map }
        var kind: Kind
        /// A record's fields.
        var fields: [Program.Field] = []
        /// An array's item node, a map's value node, or the root's node.
        var item = 0
        /// The next field, or the overall index of the next item.
        var next = 0
        /// The overall index after the last item of the current block.
        var end = 0
        /// Whether item `next - 1` is being walked (false while a block header or key is read).
        var inItem = false
        /// The bytes of the key of map entry `next - 1`.
        var key = 0..<0
        var block = BlockHeader(count: 0)
    }

    /// A block's item count and, for a negative count, its declared size in bytes
    /// (`declaredSize` is -1 otherwise) and where its items start.
    struct BlockHeader {
        var count: Int
        var declaredSize = -1
        var sizeOffset = -1
        var start = 0
    }

    /// Walks the bytes of one value, depth first, with its own stack of frames rather than
    /// recursion: the thread's stack use does not grow with nesting (in any build), and a
    /// failure's path is read off the frames.
    struct Walker: AvroBinaryPrimitiveReading {
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

        /// Walks one value of `root`.
        mutating func run(_ root: Int) throws(Failure) {
            var outer: [Frame] = []
            var top = Frame(kind: .root, item: root)
            do throws(Failure) {
                try walk(outer: &outer, top: &top)
            } catch {
                var failure = error
                failure.path = Self.path(of: outer + [top], bytes: bytes)
                throw failure
            }
        }

        /// The loop of the walk. The innermost frame is kept apart from the enclosing ones, so
        /// that moving on to the next field or item changes a variable, not an array element
        /// (which, unoptimised, costs an allocation each time).
        mutating func walk(outer: inout [Frame], top: inout Frame) throws(Failure) {
            var pending: Int?
            while true {
                if var node = pending {
                    pending = nil
                    while case .union(let branches) = program.nodes[node] {
                        node = try branch(of: branches)
                    }
                    switch program.nodes[node] {
                    case .record(let fields):
                        guard outer.count < maxDepth else { throw .tooDeep(maxDepth, at: position) }
                        outer.append(top)
                        top = Frame(kind: .record, fields: fields)
                    case .array(let items):
                        guard outer.count < maxDepth else { throw .tooDeep(maxDepth, at: position) }
                        outer.append(top)
                        top = Frame(kind: .array, item: items)
                    case .map(let values):
                        guard outer.count < maxDepth else { throw .tooDeep(maxDepth, at: position) }
                        outer.append(top)
                        top = Frame(kind: .map, item: values)
                    case .null, .boolean, .int, .long, .float, .double, .bytes, .string, .fixed, .enumeration, .undefined, .union:
                        try walkLeaf(node)
                    }
                }
                // Find the next value to walk: the next field or item of the innermost frame.
                switch top.kind {
                case .root:
                    guard top.next == 0 else { return }
                    pending = top.item
                    top.next = 1
                case .record:
                    guard top.next < top.fields.count else {
                        top = outer.removeLast()
                        continue
                    }
                    pending = top.fields[top.next].node
                    top.next += 1
                case .array, .map:
                    let isMap = top.kind == .map
                    top.inItem = false
                    if top.next == top.end {
                        try checkBlockSize(top.block, isMap: isMap)
                        top.block = try readBlockHeader(top.item, isMap: isMap)
                        guard top.block.count > 0 else {
                            top = outer.removeLast()
                            continue
                        }
                        top.end = top.next + top.block.count
                    }
                    if isMap {
                        top.key = try readKey(entry: top.next)
                    }
                    pending = top.item
                    top.inItem = true
                    top.next += 1
                }
            }
        }

        /// The path of the value being walked: a field name, item index or map key per frame.
        static func path(of frames: [Frame], bytes: UnsafeRawBufferPointer) -> String {
            var segments: [String] = []
            for frame in frames {
                switch frame.kind {
                case .record where frame.next > 0:
                    segments.append("fields/\(frame.fields[frame.next - 1].name)")
                case .array where frame.inItem:
                    segments.append("\(frame.next - 1)")
                case .map where frame.inItem:
                    segments.append(keySegment(bytes, frame.key))
                case .root, .record, .array, .map:
                    break
                }
            }
            // Very deep paths keep their ends.
            guard segments.count > 24 else { return "/" + segments.joined(separator: "/") }
            let omitted = segments.count - 16
            return "/" + segments.prefix(8).joined(separator: "/") + "/…(\(omitted) more)…/" + segments.suffix(8).joined(separator: "/")
        }

        /// A map key as a path segment, escaped as in a JSON pointer.
        static func keySegment(_ bytes: UnsafeRawBufferPointer, _ key: Range<Int>) -> String {
            var segment = ""
            for scalar in String(decoding: UnsafeRawBufferPointer(rebasing: bytes[key]), as: UTF8.self).unicodeScalars {
                switch scalar {
                case "~": segment += "~0"
                case "/": segment += "~1"
                default: segment.unicodeScalars.append(scalar)
                }
            }
            return segment
        }

        /// Walks a value of a type that contains no other values.
        mutating func walkLeaf(_ node: Int) throws(Failure) {
            switch program.nodes[node] {
            case .null:
                return
            case .boolean:
                let at = position
                try skip(1, "boolean")
                guard bytes[at] <= 1 else { throw .invalidBoolean(bytes[at], at: at) }
            case .int:
                _ = try readInt("int")
            case .long:
                _ = try readLong("long")
            case .float:
                try skip(4, "float")
            case .double:
                try skip(8, "double")
            case .bytes:
                position += try readLength("bytes length")
            case .string:
                let count = try readLength("string length")
                try checkUTF8(count, .string)
            case .fixed(let size):
                try skip(size, "fixed")
            case .enumeration(let symbolCount):
                let at = position
                let index = try readInt("enum index")
                guard index >= 0, Int(index) < symbolCount else { throw .enumIndex(index, symbolCount: symbolCount, at: at) }
            case .undefined(let name):
                throw .undefined(name, at: position)
            case .union, .record, .array, .map:
                preconditionFailure("walkLeaf is only called for types that contain no values")
            }
        }

        /// Reads a union's branch index and returns the branch's node.
        mutating func branch(of branches: [Int]) throws(Failure) -> Int {
            let at = position
            let index = try readInt("union branch index")
            guard index >= 0, Int(index) < branches.count else { throw .unionIndex(index, branchCount: branches.count, at: at) }
            return branches[Int(index)]
        }

        /// For a block with a declared size, checks that its items took exactly that many bytes.
        func checkBlockSize(_ header: BlockHeader, isMap: Bool) throws(Failure) {
            guard header.declaredSize >= 0, position - header.start != header.declaredSize else { return }
            throw .blockSizeMismatch(isMap: isMap, header.declaredSize, actual: position - header.start, count: header.count, at: header.sizeOffset)
        }

        /// Reads a block's count (and size) and checks that its items can fit in the bytes left:
        /// count times the least size of an item, or for items encoded as no bytes, the limit
        /// of such items in a value.
        mutating func readBlockHeader(_ item: Int, isMap: Bool) throws(Failure) -> BlockHeader {
            let countAt = position
            var count = try readLong(isMap ? "map block count" : "array block count")
            if count == 0 { return BlockHeader(count: 0) }
            var room = left
            var header = BlockHeader(count: 0)
            if count < 0 {
                guard count != .min else { throw .unnegatableBlockCount(isMap: isMap, at: countAt) }
                count = -count
                header.sizeOffset = position
                let declared = try readLong(isMap ? "map block size" : "array block size")
                guard declared >= 0, declared <= left else { throw .blockSize(isMap: isMap, declared, left: left, at: header.sizeOffset) }
                room = Int(declared)
                header.declaredSize = room
            }
            // A map entry is a key (at least its length byte) and a value.
            let itemSize = min(program.minimumSize[item] + (isMap ? 1 : 0), Int(Int32.max))
            if itemSize > 0 {
                let (needed, overflow) = count.multipliedReportingOverflow(by: Int64(itemSize))
                guard !overflow, needed <= room else {
                    throw .blockCount(isMap: isMap, count, itemSize: itemSize, room: room, at: countAt)
                }
            } else {
                guard count <= maxZeroSizeElements - zeroSizeElements else {
                    throw .tooManyZeroSizeElements(isMap: isMap, count, limit: maxZeroSizeElements, seen: zeroSizeElements, at: countAt)
                }
                zeroSizeElements += Int(count)
            }
            header.count = Int(count)
            header.start = position
            return header
        }

        /// Reads and checks a map key; returns where its bytes are.
        mutating func readKey(entry: Int) throws(Failure) -> Range<Int> {
            let count = try readLength("map key length")
            let start = position
            if let nul = bytes[start..<start + count].firstIndex(of: 0) { throw .nulInMapKey(entry: entry, at: nul) }
            try checkUTF8(count, .mapKey(entry: entry))
            return start..<start + count
        }

    }
}

/// Reading the primitives of the binary encoding with their checks: what the validator's
/// walk and `AvroBinaryReader` share.
protocol AvroBinaryPrimitiveReading {
    var bytes: UnsafeRawBufferPointer { get }
    var position: Int { get set }
}

extension AvroBinaryPrimitiveReading {
    typealias Failure = AvroBinaryValidator.Failure
    typealias Text = AvroBinaryValidator.Text

    var left: Int { bytes.count - position }

    mutating func skip(_ count: Int, _ what: StaticString) throws(Failure) {
        // A negative count only comes from a hand-built schema (the parser rejects it).
        guard count >= 0, count <= left else { throw .truncated(what, needs: count, left: left, at: position) }
        position += count
    }

    /// Reads a length and checks it against the bytes left; the position is then at the
    /// first byte of the content.
    mutating func readLength(_ what: StaticString) throws(Failure) -> Int {
        let at = position
        let length = try readLong(what)
        guard length >= 0, length <= left else { throw .length(what, length, left: left, at: at) }
        return Int(length)
    }

    /// Checks that the next `count` bytes are well-formed UTF-8 and moves past them.
    mutating func checkUTF8(_ count: Int, _ text: Text) throws(Failure) {
        if let bad = AvroBinaryValidator.firstInvalidUTF8(in: bytes, from: position, to: position + count) {
            throw .invalidUTF8(text, byte: bytes[bad], at: bad)
        }
        position += count
    }

    mutating func readLong(_ what: StaticString) throws(Failure) -> Int64 {
        Self.zigZag(try readVarint(what, maxBytes: 10))
    }

    mutating func readInt(_ what: StaticString) throws(Failure) -> Int32 {
        let at = position
        let value = Self.zigZag(try readVarint(what, maxBytes: 5))
        guard let int = Int32(exactly: value) else { throw .intOutOfRange(what, value, at: at) }
        return int
    }

    /// Reads an unsigned varint of at most `maxBytes` bytes (10 for 64 bits, 5 for 32).
    mutating func readVarint(_ what: StaticString, maxBytes: Int) throws(Failure) -> UInt64 {
        let start = position
        var value: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            guard position < bytes.count else { throw .truncatedVarint(what, at: start) }
            let b = bytes[position]
            position += 1
            if position - start == maxBytes {
                guard b & 0x80 == 0 else { throw .varintTooLong(what, maxBytes: maxBytes, at: start) }
                // The tenth byte of a 64-bit varint holds only bit 63.
                guard maxBytes < 10 || b <= 1 else { throw .varintOverflow(what, at: start) }
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

// MARK: - Messages

extension AvroBinaryValidator.Failure {
    static func truncated(_ what: StaticString, needs count: Int, left: Int, at offset: Int) -> Self {
        Self(.truncated, "the \(what) needs \(count) \(count == 1 ? "byte" : "bytes") but only \(left) are left", at: offset)
    }

    static func truncatedVarint(_ what: StaticString, at offset: Int) -> Self {
        Self(.truncated, "the input ends inside the \(what)", at: offset)
    }

    static func varintTooLong(_ what: StaticString, maxBytes: Int, at offset: Int) -> Self {
        Self(.malformedVarint, "the \(what) is a varint longer than \(maxBytes) bytes", at: offset)
    }

    static func varintOverflow(_ what: StaticString, at offset: Int) -> Self {
        Self(.malformedVarint, "the \(what) varint overflows 64 bits", at: offset)
    }

    static func intOutOfRange(_ what: StaticString, _ value: Int64, at offset: Int) -> Self {
        Self(.intOutOfRange, "the \(what) \(value) is outside the range of an int", at: offset)
    }

    static func length(_ what: StaticString, _ length: Int64, left: Int, at offset: Int) -> Self {
        length < 0
            ? Self(.invalidLength, "the \(what) \(length) is negative", at: offset)
            : Self(.invalidLength, "the \(what) \(length) exceeds the \(left) bytes left", at: offset)
    }

    static func invalidUTF8(_ text: AvroBinaryValidator.Text, byte: UInt8, at offset: Int) -> Self {
        let what: String
        switch text {
        case .string: what = "the string"
        case .mapKey(let entry): what = "the key of map entry \(entry)"
        }
        return Self(.invalidUTF8, "invalid UTF-8 in \(what): byte 0x\(String(byte, radix: 16)) does not start a well-formed sequence", at: offset)
    }

    static func nulInMapKey(entry: Int, at offset: Int) -> Self {
        Self(.nulInMapKey, "the key of map entry \(entry) has a NUL byte, which avro-c cannot keep in a key", at: offset)
    }

    static func invalidBoolean(_ byte: UInt8, at offset: Int) -> Self {
        Self(.invalidBoolean, "boolean byte 0x\(String(byte, radix: 16)) is neither 0 nor 1", at: offset)
    }

    static func enumIndex(_ index: Int32, symbolCount: Int, at offset: Int) -> Self {
        Self(.enumIndexOutOfRange, "enum index \(index) is out of range for an enum of \(symbolCount) symbols", at: offset)
    }

    static func unionIndex(_ index: Int32, branchCount: Int, at offset: Int) -> Self {
        Self(.unionIndexOutOfRange, "union branch index \(index) is out of range for a union of \(branchCount) branches", at: offset)
    }

    static func undefined(_ name: String, at offset: Int) -> Self {
        Self(.other, "the schema does not define the named type \(name)", at: offset)
    }

    static func tooDeep(_ maxDepth: Int, at offset: Int) -> Self {
        Self(.tooDeep, "the value is nested deeper than \(maxDepth) levels", at: offset)
    }

    static func unnegatableBlockCount(isMap: Bool, at offset: Int) -> Self {
        Self(.invalidBlockCount, "\(isMap ? "map" : "array") block count \(Int64.min) cannot be negated", at: offset)
    }

    static func blockSize(isMap: Bool, _ size: Int64, left: Int, at offset: Int) -> Self {
        size < 0
            ? Self(.invalidBlockSize, "\(isMap ? "map" : "array") block size \(size) is negative", at: offset)
            : Self(.invalidBlockSize, "\(isMap ? "map" : "array") block size \(size) exceeds the \(left) bytes left", at: offset)
    }

    static func blockCount(isMap: Bool, _ count: Int64, itemSize: Int, room: Int, at offset: Int) -> Self {
        let (needed, overflow) = count.multipliedReportingOverflow(by: Int64(itemSize))
        let amount = overflow ? "more than \(Int64.max)" : "\(needed)"
        return Self(.invalidBlockCount, "\(isMap ? "map" : "array") block count \(count) needs at least \(amount) bytes but only \(room) are left", at: offset)
    }

    static func tooManyZeroSizeElements(isMap: Bool, _ count: Int64, limit: Int, seen: Int, at offset: Int) -> Self {
        Self(.tooManyZeroSizeElements,
             "\(isMap ? "map" : "array") block count \(count) of items encoded as no bytes exceeds the limit of \(limit) such items in a value"
                + (seen > 0 ? " (\(seen) already seen)" : ""),
             at: offset)
    }

    static func blockSizeMismatch(isMap: Bool, _ size: Int, actual: Int, count: Int, at offset: Int) -> Self {
        Self(.invalidBlockSize, "\(isMap ? "map" : "array") block size \(size) does not match the \(actual) bytes its \(count) items take", at: offset)
    }
}

extension AvroBinaryValidator {
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
