import Foundation
import Testing
@testable import Avro

/// One writer/reader pair and what the checker must say about it.
struct CompatibilityPair: Sendable, CustomTestStringConvertible {
    let name: String
    let writer: String
    let reader: String
    let compatible: Bool
    /// Expected incompatibilities as "KIND /path", in any order.
    let expected: [String]
    var testDescription: String { name }
}

private func pair(_ name: String, _ writer: String, _ reader: String, _ compatible: Bool, _ expected: [String] = []) -> CompatibilityPair {
    CompatibilityPair(name: name, writer: schemaJSON(writer), reader: schemaJSON(reader), compatible: compatible, expected: expected)
}

/// A type as JSON: objects and arrays as given, anything else as a quoted name.
private func schemaJSON(_ type: String) -> String {
    guard let first = type.first, !"{[\"".contains(first) else { return type }
    return "\"\(type)\""
}

private func field(_ name: String, _ type: String, default value: String? = nil, aliases: [String] = []) -> String {
    var json = #"{"name":"\#(name)","type":\#(schemaJSON(type))"#
    if let value { json += #","default":\#(value)"# }
    if !aliases.isEmpty { json += #","aliases":[\#(aliases.map { "\"\($0)\"" }.joined(separator: ","))]"# }
    return json + "}"
}

private func record(_ name: String, _ fields: [String], extra: String = "", type: String = "record") -> String {
    #"{"type":"\#(type)","name":"\#(name)",\#(extra.isEmpty ? "" : extra + ",")"fields":[\#(fields.joined(separator: ","))]}"#
}

private func enumeration(_ name: String, _ symbols: [String], extra: String = "") -> String {
    let list = symbols.map { "\"\($0)\"" }.joined(separator: ",")
    return #"{"type":"enum","name":"\#(name)",\#(extra.isEmpty ? "" : extra + ",")"symbols":[\#(list)]}"#
}

private func fixed(_ name: String, _ size: Int, extra: String = "") -> String {
    #"{"type":"fixed","name":"\#(name)",\#(extra.isEmpty ? "" : extra + ",")"size":\#(size)}"#
}

private func array(_ items: String) -> String { #"{"type":"array","items":\#(schemaJSON(items))}"# }
private func map(_ values: String) -> String { #"{"type":"map","values":\#(schemaJSON(values))}"# }
private func union(_ branches: String...) -> String { "[" + branches.map(schemaJSON).joined(separator: ",") + "]" }

private let linkedList = record("Node", [field("value", "int"), field("next", union("null", "Node"), default: "null")])

private let primitivePairs: [CompatibilityPair] = [
    pair("null reads null", "null", "null", true),
    pair("boolean reads boolean", "boolean", "boolean", true),
    pair("int reads int", "int", "int", true),
    pair("long reads long", "long", "long", true),
    pair("float reads float", "float", "float", true),
    pair("double reads double", "double", "double", true),
    pair("bytes reads bytes", "bytes", "bytes", true),
    pair("string reads string", "string", "string", true),

    pair("int promotes to long", "int", "long", true),
    pair("int promotes to float", "int", "float", true),
    pair("int promotes to double", "int", "double", true),
    pair("long promotes to float", "long", "float", true),
    pair("long promotes to double", "long", "double", true),
    pair("float promotes to double", "float", "double", true),
    pair("string promotes to bytes", "string", "bytes", true),
    pair("bytes promotes to string", "bytes", "string", true),

    pair("long does not narrow to int", "long", "int", false, ["TYPE_MISMATCH /"]),
    pair("float does not narrow to int", "float", "int", false, ["TYPE_MISMATCH /"]),
    pair("double does not narrow to int", "double", "int", false, ["TYPE_MISMATCH /"]),
    pair("float does not narrow to long", "float", "long", false, ["TYPE_MISMATCH /"]),
    pair("double does not narrow to long", "double", "long", false, ["TYPE_MISMATCH /"]),
    pair("double does not narrow to float", "double", "float", false, ["TYPE_MISMATCH /"]),
    pair("int is not a string", "int", "string", false, ["TYPE_MISMATCH /"]),
    pair("string is not an int", "string", "int", false, ["TYPE_MISMATCH /"]),
    pair("int is not a boolean", "int", "boolean", false, ["TYPE_MISMATCH /"]),
    pair("boolean is not an int", "boolean", "int", false, ["TYPE_MISMATCH /"]),
    pair("null is not a string", "null", "string", false, ["TYPE_MISMATCH /"]),
    pair("string is not null", "string", "null", false, ["TYPE_MISMATCH /"]),
    pair("bytes is not an int", "bytes", "int", false, ["TYPE_MISMATCH /"]),
    pair("long is not bytes", "long", "bytes", false, ["TYPE_MISMATCH /"]),
    pair("boolean is not null", "boolean", "null", false, ["TYPE_MISMATCH /"]),
    pair("string is not a double", "string", "double", false, ["TYPE_MISMATCH /"]),
    pair("float is not a string", "float", "string", false, ["TYPE_MISMATCH /"]),
    pair("bytes is not a double", "bytes", "double", false, ["TYPE_MISMATCH /"]),

    pair("array is not an int", array("int"), "int", false, ["TYPE_MISMATCH /"]),
    pair("int is not an array", "int", array("int"), false, ["TYPE_MISMATCH /"]),
    pair("array is not a map", array("int"), map("int"), false, ["TYPE_MISMATCH /"]),
    pair("map is not an array", map("int"), array("int"), false, ["TYPE_MISMATCH /"]),
    pair("record is not a string", record("R", [field("a", "int")]), "string", false, ["TYPE_MISMATCH /"]),
    pair("string is not a record", "string", record("R", [field("a", "int")]), false, ["TYPE_MISMATCH /"]),
    pair("enum is not a string", enumeration("E", ["A"]), "string", false, ["TYPE_MISMATCH /"]),
    pair("string is not an enum", "string", enumeration("E", ["A"]), false, ["TYPE_MISMATCH /"]),
    pair("fixed is not bytes", fixed("F", 4), "bytes", false, ["TYPE_MISMATCH /"]),
    pair("bytes is not fixed", "bytes", fixed("F", 4), false, ["TYPE_MISMATCH /"]),
    pair("enum is not a fixed of the same name", enumeration("X", ["A"]), fixed("X", 1), false, ["TYPE_MISMATCH /"]),
    pair("record is not an enum of the same name", record("X", []), enumeration("X", ["A"]), false, ["TYPE_MISMATCH /"]),
]

private let recordPairs: [CompatibilityPair] = [
    pair("identical records", record("R", [field("a", "int"), field("b", "string")]),
         record("R", [field("a", "int"), field("b", "string")]), true),
    pair("reader adds a field with a default", record("R", [field("a", "int")]),
         record("R", [field("a", "int"), field("b", "string", default: #""x""#)]), true),
    pair("reader adds a field without a default", record("R", [field("a", "int")]),
         record("R", [field("a", "int"), field("b", "string")]), false, ["READER_FIELD_MISSING_DEFAULT_VALUE /fields/1"]),
    pair("reader drops a writer field", record("R", [field("a", "int"), field("b", "string")]),
         record("R", [field("a", "int")]), true),
    pair("reader adds two fields without defaults", record("R", [field("a", "int")]),
         record("R", [field("a", "int"), field("b", "string"), field("c", "long")]), false,
         ["READER_FIELD_MISSING_DEFAULT_VALUE /fields/1", "READER_FIELD_MISSING_DEFAULT_VALUE /fields/2"]),
    pair("reader adds an optional field defaulting to null", record("R", [field("a", "int")]),
         record("R", [field("a", "int"), field("b", union("null", "double"), default: "null")]), true),
    pair("field type promoted int to long", record("R", [field("a", "int")]), record("R", [field("a", "long")]), true),
    pair("field type narrowed long to int", record("R", [field("a", "string"), field("b", "long")]),
         record("R", [field("a", "string"), field("b", "int")]), false, ["TYPE_MISMATCH /fields/1/type"]),
    pair("fields reordered", record("R", [field("a", "int"), field("b", "string")]),
         record("R", [field("b", "string"), field("a", "int")]), true),
    pair("field renamed with a reader alias", record("R", [field("old", "int")]),
         record("R", [field("new", "int", aliases: ["old"])]), true),
    pair("field renamed without alias or default", record("R", [field("old", "int")]),
         record("R", [field("new", "int")]), false, ["READER_FIELD_MISSING_DEFAULT_VALUE /fields/0"]),
    pair("aliased field with an incompatible type", record("R", [field("old", "string")]),
         record("R", [field("new", "int", aliases: ["old"])]), false, ["TYPE_MISMATCH /fields/0/type"]),
    pair("writer field aliases are not used", record("R", [field("old", "int", aliases: ["new"])]),
         record("R", [field("new", "int")]), false, ["READER_FIELD_MISSING_DEFAULT_VALUE /fields/0"]),
    pair("field renamed without alias but with a default", record("R", [field("old", "int")]),
         record("R", [field("new", "int", default: "0")]), true),
    pair("a field's own name wins over its alias", record("R", [field("a", "string"), field("b", "int")]),
         record("R", [field("a", "int", aliases: ["b"])]), false, ["TYPE_MISMATCH /fields/0/type"]),
    pair("record renamed", record("Old", [field("a", "int")]),
         record("New", [field("a", "int")]), false, ["NAME_MISMATCH /name"]),
    pair("record renamed with a reader alias", record("Old", [field("a", "int")]),
         record("New", [field("a", "int")], extra: #""aliases":["Old"]"#), true),
    pair("record renamed with a qualified reader alias", record("Old", [field("a", "int")], extra: #""namespace":"com.a""#),
         record("New", [field("a", "int")], extra: #""namespace":"com.b","aliases":["com.a.Old"]"#), true),
    pair("same record name in another namespace", record("R", [field("a", "int")], extra: #""namespace":"com.a""#),
         record("R", [field("a", "int")], extra: #""namespace":"com.b""#), true),
    pair("namespaced record renamed with a full-name alias", record("com.a.R", [field("a", "int")]),
         record("com.b.S", [field("a", "int")], extra: #""aliases":["com.a.R"]"#), true),
    pair("reader alias names another record", record("R", [field("a", "int")]),
         record("S", [field("a", "int")], extra: #""aliases":["com.a.Other"]"#), false, ["NAME_MISMATCH /name"]),
    pair("renamed record with a missing field reports both", record("Old", [field("a", "int")]),
         record("New", [field("a", "int"), field("b", "int")]), false,
         ["NAME_MISMATCH /name", "READER_FIELD_MISSING_DEFAULT_VALUE /fields/1"]),
    pair("three problems in one record", record("R", [field("a", "long"), field("c", "string")]),
         record("R", [field("a", "int"), field("b", "int"), field("c", "boolean")]), false,
         ["TYPE_MISMATCH /fields/0/type", "READER_FIELD_MISSING_DEFAULT_VALUE /fields/1", "TYPE_MISMATCH /fields/2/type"]),
    pair("nested record gains a field with a default",
         record("Outer", [field("inner", record("Inner", [field("x", "int")]))]),
         record("Outer", [field("inner", record("Inner", [field("x", "int"), field("y", "int", default: "1")]))]), true),
    pair("nested record gains a field without a default",
         record("Outer", [field("id", "long"), field("inner", record("Inner", [field("x", "int")]))]),
         record("Outer", [field("id", "long"), field("inner", record("Inner", [field("x", "int"), field("y", "int")]))]), false,
         ["READER_FIELD_MISSING_DEFAULT_VALUE /fields/1/type/fields/1"]),
    pair("nested record renamed",
         record("Outer", [field("inner", record("Inner", [field("x", "int")]))]),
         record("Outer", [field("inner", record("Other", [field("x", "int")]))]), false, ["NAME_MISMATCH /fields/0/type/name"]),
    pair("error read as record", record("Failure", [field("code", "int")], type: "error"),
         record("Failure", [field("code", "int")]), true),
    pair("empty records", record("R", []), record("R", []), true),
    pair("timestamp-millis long read as long", record("R", [field("t", #"{"type":"long","logicalType":"timestamp-millis"}"#)]),
         record("R", [field("t", "long")]), true),
    pair("date int read as long", record("R", [field("d", #"{"type":"int","logicalType":"date"}"#)]),
         record("R", [field("d", "long")]), true),
]

private let enumPairs: [CompatibilityPair] = [
    pair("identical enums", enumeration("E", ["A", "B"]), enumeration("E", ["A", "B"]), true),
    pair("reader adds a symbol", enumeration("E", ["A", "B"]), enumeration("E", ["A", "B", "C"]), true),
    pair("reader removes a symbol", enumeration("E", ["A", "B", "C"]), enumeration("E", ["A", "C"]), false, ["MISSING_ENUM_SYMBOLS /symbols"]),
    pair("reader removes a symbol but has a default", enumeration("E", ["A", "B", "C"]),
         enumeration("E", ["A", "C"], extra: #""default":"A""#), true),
    pair("symbols reordered", enumeration("E", ["A", "B"]), enumeration("E", ["B", "A"]), true),
    pair("enum renamed", enumeration("E", ["A"]), enumeration("F", ["A"]), false, ["NAME_MISMATCH /name"]),
    pair("enum renamed with a reader alias", enumeration("E", ["A"]), enumeration("F", ["A"], extra: #""aliases":["E"]"#), true),
    pair("enum renamed and missing symbols", enumeration("E", ["A", "B"]), enumeration("F", ["A"]), false,
         ["NAME_MISMATCH /name", "MISSING_ENUM_SYMBOLS /symbols"]),
    pair("enum field missing symbols", record("R", [field("e", enumeration("E", ["A", "B"]))]),
         record("R", [field("e", enumeration("E", ["A"]))]), false, ["MISSING_ENUM_SYMBOLS /fields/0/type/symbols"]),
    pair("writer's enum default does not help the reader", enumeration("E", ["A", "B"], extra: #""default":"A""#),
         enumeration("E", ["A"]), false, ["MISSING_ENUM_SYMBOLS /symbols"]),
    pair("enum in another namespace", enumeration("com.a.E", ["A"]), enumeration("com.b.E", ["A", "B"]), true),
]

private let fixedPairs: [CompatibilityPair] = [
    pair("identical fixed", fixed("F", 16), fixed("F", 16), true),
    pair("fixed size changed", fixed("F", 16), fixed("F", 8), false, ["FIXED_SIZE_MISMATCH /size"]),
    pair("fixed renamed", fixed("F", 16), fixed("G", 16), false, ["NAME_MISMATCH /name"]),
    pair("fixed renamed and resized", fixed("F", 16), fixed("G", 8), false, ["NAME_MISMATCH /name", "FIXED_SIZE_MISMATCH /size"]),
    pair("fixed renamed with a reader alias", fixed("F", 16), fixed("G", 16, extra: #""aliases":["F"]"#), true),
    pair("decimal fixed", fixed("Money", 8, extra: #""logicalType":"decimal","precision":10,"scale":2"#),
         fixed("Money", 8, extra: #""logicalType":"decimal","precision":10,"scale":2"#), true),
    pair("fixed field resized", record("R", [field("id", fixed("Id", 16))]),
         record("R", [field("id", fixed("Id", 12))]), false, ["FIXED_SIZE_MISMATCH /fields/0/type/size"]),
]

private let collectionPairs: [CompatibilityPair] = [
    pair("array items promoted", array("int"), array("long"), true),
    pair("array items narrowed", array("long"), array("int"), false, ["TYPE_MISMATCH /items"]),
    pair("array of records gaining a defaulted field", array(record("I", [field("a", "int")])),
         array(record("I", [field("a", "int"), field("b", "int", default: "0")])), true),
    pair("array of records gaining a field without default", array(record("I", [field("a", "int")])),
         array(record("I", [field("a", "int"), field("b", "int")])), false, ["READER_FIELD_MISSING_DEFAULT_VALUE /items/fields/1"]),
    pair("array of arrays with incompatible items", array(array("int")), array(array("string")), false, ["TYPE_MISMATCH /items/items"]),
    pair("array of strings read as bytes", array("string"), array("bytes"), true),
    pair("map values promoted", map("int"), map("long"), true),
    pair("map values narrowed", map("double"), map("float"), false, ["TYPE_MISMATCH /values"]),
    pair("map of records with an incompatible field", map(record("V", [field("a", "string")])),
         map(record("V", [field("a", "int")])), false, ["TYPE_MISMATCH /values/fields/0/type"]),
    pair("map of arrays with incompatible items", map(array("boolean")), map(array("int")), false, ["TYPE_MISMATCH /values/items"]),
    pair("map of bytes read as strings", map("bytes"), map("string"), true),
]

private let unionPairs: [CompatibilityPair] = [
    pair("null|string read as string", union("null", "string"), "string", false, ["TYPE_MISMATCH /"]),
    pair("string read as null|string", "string", union("null", "string"), true),
    pair("identical unions", union("null", "string"), union("null", "string"), true),
    pair("union branches reordered", union("string", "null"), union("null", "string"), true),
    pair("reader union lacks a writer branch", union("null", "string", "int"), union("null", "string"), false, ["MISSING_UNION_BRANCH /2"]),
    pair("union int branch promoted to long", union("null", "int"), union("null", "long"), true),
    pair("union long branch narrowed to int", union("null", "long"), union("null", "int"), false, ["MISSING_UNION_BRANCH /1"]),
    pair("int read as null|long", "int", union("null", "long"), true),
    pair("long read as null|int", "long", union("null", "int"), false, ["MISSING_UNION_BRANCH /"]),
    pair("int|string read as long", union("int", "string"), "long", false, ["TYPE_MISMATCH /"]),
    pair("int|string read as boolean", union("int", "string"), "boolean", false, ["TYPE_MISMATCH /", "TYPE_MISMATCH /"]),
    pair("optional field made required", record("R", [field("a", union("null", "string"))]),
         record("R", [field("a", "string")]), false, ["TYPE_MISMATCH /fields/0/type"]),
    pair("required field made optional", record("R", [field("a", "string")]),
         record("R", [field("a", union("null", "string"))]), true),
    pair("union of records loses a record", union(record("A", [field("x", "int")]), record("B", [field("y", "int")])),
         union(record("A", [field("x", "int")])), false, ["MISSING_UNION_BRANCH /1"]),
    pair("record read as null|record", record("A", [field("x", "int")]), union("null", record("A", [field("x", "int")])), true),
    pair("newer record read as null|older record", record("A", [field("x", "int"), field("y", "int")]),
         union("null", record("A", [field("x", "int")])), true),
    pair("record read as null|record needing a field", record("A", [field("x", "int")]),
         union("null", record("A", [field("x", "int"), field("y", "int")])), false, ["MISSING_UNION_BRANCH /"]),
    pair("null|record read as null|record needing a field", union("null", record("A", [field("x", "int")])),
         union("null", record("A", [field("x", "int"), field("y", "int")])), false, ["MISSING_UNION_BRANCH /1"]),
    pair("enum read as null|enum missing a symbol", enumeration("E", ["A", "B"]),
         union("null", enumeration("E", ["A"])), false, ["MISSING_UNION_BRANCH /"]),
    pair("union array items promoted", union("null", array("int")), union("null", array("long")), true),
    pair("union array items narrowed", union("null", array("long")), union("null", array("int")), false, ["MISSING_UNION_BRANCH /1"]),
    pair("null|map read as map", union("null", map("string")), map("string"), false, ["TYPE_MISMATCH /"]),
    pair("single-branch union read as its branch", union("int"), "int", true),
    pair("type read as single-branch union", "int", union("int"), true),
    pair("union bytes read as string", union("null", "bytes"), union("null", "string"), true),
    pair("array of unions losing a branch", array(union("null", "string")), array(union("null", "int")), false,
         ["MISSING_UNION_BRANCH /items/1"]),
    pair("null read as null|string", "null", union("null", "string"), true),
    pair("string|null read as null", union("string", "null"), "null", false, ["TYPE_MISMATCH /"]),
    pair("int|long read as float", union("int", "long"), union("float"), true),
    pair("int|string read as long|bytes", union("int", "string"), union("long", "bytes"), true),
    pair("null|string read as null|int", union("null", "string"), union("null", "int"), false, ["MISSING_UNION_BRANCH /1"]),
    pair("record branches reordered", union(record("A", [field("x", "int")]), record("B", [field("y", "int")])),
         union(record("B", [field("y", "int")]), record("A", [field("x", "int")])), true),
    pair("reader union gains a branch", union("null", "string"), union("null", "string", "int"), true),
]

private let recursivePairs: [CompatibilityPair] = [
    pair("identical linked lists", linkedList, linkedList, true),
    pair("linked list gains a defaulted field", linkedList,
         record("Node", [field("value", "int"), field("next", union("null", "Node"), default: "null"), field("tag", "string", default: #""""#)]), true),
    pair("linked list gains a field without default", linkedList,
         record("Node", [field("value", "int"), field("next", union("null", "Node"), default: "null"), field("tag", "string")]), false,
         ["READER_FIELD_MISSING_DEFAULT_VALUE /fields/2"]),
    pair("linked list values promoted", linkedList,
         record("Node", [field("value", "long"), field("next", union("null", "Node"), default: "null")]), true),
    pair("linked list values narrowed",
         record("Node", [field("value", "long"), field("next", union("null", "Node"), default: "null")]), linkedList, false,
         ["TYPE_MISMATCH /fields/0/type"]),
    pair("linked list read with a required next", linkedList,
         record("Node", [field("value", "int"), field("next", "Node")]), false, ["TYPE_MISMATCH /fields/1/type"]),
    pair("linked list renamed with an alias", linkedList,
         record("Cell", [field("value", "int"), field("next", union("null", "Cell"), default: "null")], extra: #""aliases":["Node"]"#), true),
    pair("identical trees", record("Tree", [field("value", "int"), field("children", array("Tree"))]),
         record("Tree", [field("value", "int"), field("children", array("Tree"))]), true),
    pair("tree values incompatible", record("Tree", [field("value", "string"), field("children", array("Tree"))]),
         record("Tree", [field("value", "int"), field("children", array("Tree"))]), false, ["TYPE_MISMATCH /fields/0/type"]),
    pair("mutually recursive records",
         record("A", [field("b", union("null", record("B", [field("a", union("null", "A"), default: "null")])), default: "null")]),
         record("A", [field("b", union("null", record("B", [field("a", union("null", "A"), default: "null")])), default: "null")]), true),
]

private let pathAndNamespacePairs: [CompatibilityPair] = [
    pair("deep path through array of records",
         record("R", [field("a", "int"), field("b", "int"), field("c", array(record("Item", [field("x", "string")])))]),
         record("R", [field("a", "int"), field("b", "int"), field("c", array(record("Item", [field("x", "double")])))]), false,
         ["TYPE_MISMATCH /fields/2/type/items/fields/0/type"]),
    pair("deep path through map of arrays of records",
         record("R", [field("a", "int"), field("m", map(array(record("Item", [field("x", "int")]))))]),
         record("R", [field("a", "int"), field("m", map(array(record("Item", [field("y", "int")]))))]), false,
         ["READER_FIELD_MISSING_DEFAULT_VALUE /fields/1/type/values/items/fields/0"]),
    pair("deep path through a union field",
         record("R", [field("o", union("null", record("Inner", [field("x", "long")])))]),
         record("R", [field("o", union("null", record("Inner", [field("x", "int")])))]), false,
         ["MISSING_UNION_BRANCH /fields/0/type/1"]),
    pair("types referenced by full name across namespaces",
         record("R", [field("e", enumeration("E", ["A"], extra: #""namespace":"com.x""#)), field("f", "com.x.E")], extra: #""namespace":"com.y""#),
         record("R", [field("e", enumeration("E", ["A", "B"], extra: #""namespace":"com.x""#)), field("f", "com.x.E")], extra: #""namespace":"com.y""#), true),
    pair("inherited namespaces differ",
         record("R", [field("f", fixed("F", 4))], extra: #""namespace":"com.a""#),
         record("R", [field("f", fixed("F", 4))], extra: #""namespace":"com.b""#), true),
    pair("enum used twice is checked through its reference",
         record("R", [field("a", enumeration("E", ["A", "B"])), field("b", "E")]),
         record("R", [field("a", enumeration("E", ["A"])), field("b", "E")]), false,
         ["MISSING_ENUM_SYMBOLS /fields/0/type/symbols", "MISSING_ENUM_SYMBOLS /fields/1/type/symbols"]),
    pair("fixed used twice is checked through its reference",
         record("R", [field("a", fixed("F", 4)), field("b", "F")]),
         record("R", [field("a", fixed("F", 2)), field("b", "F")]), false,
         ["FIXED_SIZE_MISMATCH /fields/0/type/size", "FIXED_SIZE_MISMATCH /fields/1/type/size"]),
    pair("writer reference read as an aliased reader record", record("R", [field("a", record("P", [field("x", "int")])), field("b", "P")]),
         record("R", [field("a", record("P", [field("x", "long")])), field("b", record("Q", [field("x", "long")], extra: #""aliases":["P"]"#))]), true),
]

private let allPairs = primitivePairs + recordPairs + enumPairs + fixedPairs + collectionPairs
    + unionPairs + recursivePairs + pathAndNamespacePairs

private func parse(_ json: String) throws -> AvroParsedSchema { try AvroParsedSchema(parsing: json) }

private func check(writer: String, reader: String) throws -> [AvroIncompatibility] {
    AvroCompatibility.incompatibilities(reader: try parse(reader), writer: try parse(writer))
}

private func summary(_ found: [AvroIncompatibility]) -> [String] {
    found.map { "\($0.kind.rawValue) \($0.path)" }.sorted()
}

@Suite("Avro schema compatibility")
struct AvroCompatibilityTests {
    @Test("the table has enough pairs")
    func tableSize() {
        #expect(allPairs.count >= 110)
        #expect(Set(allPairs.map(\.name)).count == allPairs.count)
    }

    @Test(arguments: allPairs)
    func pairs(_ c: CompatibilityPair) throws {
        #expect(c.compatible == c.expected.isEmpty, "table row is inconsistent")
        let found = try check(writer: c.writer, reader: c.reader)
        #expect(found.isEmpty == c.compatible, "\(found)")
        #expect(summary(found) == c.expected.sorted())
    }

    @Test func typeMismatchMessageNamesFieldAndTypes() throws {
        let found = try check(writer: record("R", [field("price", "string")]), reader: record("R", [field("price", "long")]))
        #expect(found.count == 1)
        let issue = try #require(found.first)
        #expect(issue.kind == .typeMismatch)
        #expect(issue.path == "/fields/0/type")
        #expect(issue.message == "field 'price': reader type long is not compatible with writer type string")
        #expect(issue.description.contains("TYPE_MISMATCH"))
        #expect(issue.description.contains("/fields/0/type"))
        #expect(issue.description.contains(issue.message))
    }

    @Test func rootDescription() throws {
        let found = try check(writer: schemaJSON("int"), reader: schemaJSON("string"))
        #expect(found.map(\.description)
            == ["{errorType:'TYPE_MISMATCH', path:'/', description:'reader type string is not compatible with writer type int'}"])
    }

    @Test func missingEnumSymbolsAreListed() throws {
        let found = try check(writer: enumeration("com.x.Side", ["BUY", "SELL", "HOLD", "SHORT"]),
                              reader: enumeration("com.x.Side", ["BUY", "HOLD"]))
        let issue = try #require(found.first)
        #expect(found.count == 1)
        #expect(issue.path == "/symbols")
        #expect(issue.message.contains("[SELL, SHORT]"))
        #expect(issue.message.contains("com.x.Side"))
    }

    @Test func missingDefaultNamesTheField() throws {
        let found = try check(writer: record("com.x.Candle", [field("open", "double")]),
                              reader: record("com.x.Candle", [field("open", "double"), field("volume", "double")]))
        let issue = try #require(found.first)
        #expect(issue.kind == .readerFieldMissingDefaultValue)
        #expect(issue.path == "/fields/1")
        #expect(issue.message.contains("'volume'"))
        #expect(issue.message.contains("com.x.Candle"))
    }

    @Test func fixedSizeMessageGivesBothSizes() throws {
        let found = try check(writer: fixed("Hash", 32), reader: fixed("Hash", 20))
        let issue = try #require(found.first)
        #expect(issue.message == "writer fixed Hash has size 32 but reader fixed Hash has size 20")
    }

    @Test func nameMismatchMessageGivesBothNames() throws {
        let found = try check(writer: record("com.a.Trade", []), reader: record("com.b.Order", [], extra: #""aliases":["Deal"]"#))
        let issue = try #require(found.first)
        #expect(issue.kind == .nameMismatch)
        #expect(issue.message.contains("record com.a.Trade"))
        #expect(issue.message.contains("record com.b.Order"))
        #expect(issue.message.contains("com.b.Deal"))
    }

    @Test func missingUnionBranchMessage() throws {
        let found = try check(writer: schemaJSON("int"), reader: union("null", "string"))
        #expect(found.map(\.message) == ["reader union [null, string] has no branch compatible with writer type int"])
    }

    @Test func missingUnionBranchExplainsTheClosestBranch() throws {
        let found = try check(writer: union("null", record("A", [field("x", "int")])),
                              reader: union("null", record("A", [field("x", "int"), field("y", "int")])))
        let issue = try #require(found.first)
        #expect(issue.path == "/1")
        #expect(issue.message.contains("closest branch record A"))
        #expect(!issue.message.contains("/1/fields"))
        #expect(issue.message.contains("READER_FIELD_MISSING_DEFAULT_VALUE at /fields/1"))
    }

    @Test func recursiveIncompatibilityIsReportedOnce() throws {
        let found = try check(writer: linkedList,
                              reader: record("Node", [field("value", "int"), field("next", union("null", "Node"), default: "null"),
                                                      field("weight", "double")]))
        #expect(summary(found) == ["READER_FIELD_MISSING_DEFAULT_VALUE /fields/2"])
    }
}

@Suite("Avro compatibility levels")
struct AvroCompatibilityLevelTests {
    static let base = record("Candle", [field("a", "int")])
    static let withDefault = record("Candle", [field("a", "int"), field("b", "string", default: #""x""#)])
    static let withoutDefault = record("Candle", [field("a", "int"), field("b", "string")])

    func levels(new: String, existing: [String]) throws -> [AvroCompatibilityLevel: [String]] {
        let newSchema = try parse(new)
        let old = try existing.map(parse)
        var out: [AvroCompatibilityLevel: [String]] = [:]
        for level in AvroCompatibilityLevel.allCases {
            out[level] = summary(level.incompatibilities(new: newSchema, existing: old))
        }
        return out
    }

    @Test func addingAFieldWithoutDefaultBreaksBackwardOnly() throws {
        let r = try levels(new: Self.withoutDefault, existing: [Self.base])
        let missing = ["READER_FIELD_MISSING_DEFAULT_VALUE /fields/1"]
        #expect(r[.none] == [])
        #expect(r[.backward] == missing)
        #expect(r[.backwardTransitive] == missing)
        #expect(r[.forward] == [])
        #expect(r[.forwardTransitive] == [])
        #expect(r[.full] == missing)
        #expect(r[.fullTransitive] == missing)
    }

    @Test func removingAFieldWithoutDefaultBreaksForwardOnly() throws {
        let r = try levels(new: Self.base, existing: [Self.withoutDefault])
        let missing = ["READER_FIELD_MISSING_DEFAULT_VALUE /fields/1"]
        #expect(r[.backward] == [])
        #expect(r[.forward] == missing)
        #expect(r[.full] == missing)
        #expect(r[.none] == [])
    }

    @Test func addingAFieldWithDefaultIsFullyCompatible() throws {
        let r = try levels(new: Self.withDefault, existing: [Self.base])
        for level in AvroCompatibilityLevel.allCases { #expect(r[level] == [], "\(level)") }
    }

    @Test func backwardTransitiveChecksEveryVersion() throws {
        let r = try levels(new: Self.withoutDefault, existing: [Self.base, Self.withDefault])
        let missing = ["READER_FIELD_MISSING_DEFAULT_VALUE /fields/1"]
        #expect(r[.backward] == [])
        #expect(r[.backwardTransitive] == missing)
        #expect(r[.forward] == [])
        #expect(r[.forwardTransitive] == [])
        #expect(r[.full] == [])
        #expect(r[.fullTransitive] == missing)
    }

    @Test func forwardTransitiveChecksEveryVersion() throws {
        let r = try levels(new: Self.base, existing: [Self.withoutDefault, Self.withDefault])
        let missing = ["READER_FIELD_MISSING_DEFAULT_VALUE /fields/1"]
        #expect(r[.forward] == [])
        #expect(r[.forwardTransitive] == missing)
        #expect(r[.backward] == [])
        #expect(r[.backwardTransitive] == [])
        #expect(r[.full] == [])
        #expect(r[.fullTransitive] == missing)
    }

    @Test func fullChecksBothDirections() throws {
        let r = try levels(new: record("Candle", [field("a", "string")]), existing: [Self.base])
        #expect(r[.backward] == ["TYPE_MISMATCH /fields/0/type"])
        #expect(r[.forward] == ["TYPE_MISMATCH /fields/0/type"])
        #expect(r[.full] == ["TYPE_MISMATCH /fields/0/type", "TYPE_MISMATCH /fields/0/type"])
    }

    @Test func noneAcceptsAnything() throws {
        let found = AvroCompatibilityLevel.none.incompatibilities(new: try parse(schemaJSON("int")), existing: [try parse(enumeration("E", ["A"]))])
        #expect(found.isEmpty)
    }

    @Test func nothingToCheckAgainst() throws {
        let new = try parse(Self.withoutDefault)
        for level in AvroCompatibilityLevel.allCases {
            #expect(level.incompatibilities(new: new, existing: []).isEmpty, "\(level)")
        }
    }

    @Test func repeatedReasonsAreListedOnce() throws {
        let found = AvroCompatibilityLevel.backwardTransitive.incompatibilities(
            new: try parse(Self.withoutDefault), existing: [try parse(Self.base), try parse(Self.base)])
        #expect(summary(found) == ["READER_FIELD_MISSING_DEFAULT_VALUE /fields/1"])
    }

    @Test func levelNamesAreConfluents() throws {
        #expect(AvroCompatibilityLevel.allCases.map(\.rawValue)
            == ["NONE", "BACKWARD", "BACKWARD_TRANSITIVE", "FORWARD", "FORWARD_TRANSITIVE", "FULL", "FULL_TRANSITIVE"])
        let decoded = try JSONDecoder().decode([AvroCompatibilityLevel].self, from: Data(#"["FULL_TRANSITIVE","NONE"]"#.utf8))
        #expect(decoded == [.fullTransitive, .none])
    }
}
