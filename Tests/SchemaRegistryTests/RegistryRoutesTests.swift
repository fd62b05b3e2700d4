import Avro
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import SchemaRegistry
import ServiceSupport
import Testing

@Suite("Registry routes, in process and over a socket", .timeLimit(.minutes(1)))
struct RegistryRoutesTests {
    static let json: HTTPFields = [.contentType: "application/vnd.schemaregistry.v1+json"]

    @Test(arguments: [TestingSetup.router, .live])
    func registerLookupAndRead(setup: TestingSetup) async throws {
        let registry = SchemaRegistry(log: InMemoryRegistryLog(), logger: quietLogger("registry"))
        try await withRunningRegistry(registry) {
            try await makeApplication(registry).test(setup) { client in
                try await client.execute(uri: "/subjects/prices-value/versions", method: .post, headers: Self.json, body: registrationBody(Schemas.v1)) {
                    #expect($0.status == .ok)
                    #expect($0.body.json?["id"]?.int64Value == 1)
                }
                // All three content types are accepted; the same schema elsewhere gets the same id.
                for type in ["application/vnd.schemaregistry+json", "application/json"] {
                    try await client.execute(uri: "/subjects/other-\(type.count)/versions", method: .post, headers: [.contentType: type],
                                             body: registrationBody(Schemas.v1)) {
                        #expect($0.body.json?["id"]?.int64Value == 1)
                    }
                }
                try await client.execute(uri: "/subjects/prices-value/versions", method: .post, headers: Self.json, body: registrationBody(Schemas.v2)) {
                    #expect($0.body.json?["id"]?.int64Value == 2)
                }
                try await client.execute(uri: "/subjects", method: .get) {
                    #expect($0.body.json?.arrayValue?.compactMap(\.stringValue) == ["other-16", "other-35", "prices-value"])
                }
                try await client.execute(uri: "/subjects/prices-value/versions", method: .get) {
                    #expect($0.body.json == .array([.number("1"), .number("2")]))
                }
                try await client.execute(uri: "/subjects/prices-value/versions/latest", method: .get) { response in
                    let body = try #require(response.body.json)
                    #expect(body["subject"]?.stringValue == "prices-value")
                    #expect(body["version"]?.int64Value == 2)
                    #expect(body["id"]?.int64Value == 2)
                    #expect(body["schema"]?.stringValue == Schemas.v2)
                    #expect(response.headers[.contentType] == "application/vnd.schemaregistry.v1+json")
                }
                try await client.execute(uri: "/subjects/prices-value/versions/1/schema", method: .get) {
                    #expect(String(buffer: $0.body) == Schemas.v1)
                }
                try await client.execute(uri: "/schemas/ids/2", method: .get) {
                    #expect($0.body.json?["schema"]?.stringValue == Schemas.v2)
                }
                try await client.execute(uri: "/schemas/ids/1?subject=prices-value", method: .get) { #expect($0.status == .ok) }
                try await client.execute(uri: "/schemas/ids/2?subject=other-16", method: .get) {
                    #expect($0.body.json?["schema"]?.stringValue == Schemas.v2)
                }
                try await client.execute(uri: "/schemas/ids/1/versions", method: .get) {
                    #expect($0.body.json?.arrayValue?.count == 3)
                }
                try await client.execute(uri: "/schemas/types", method: .get) { #expect($0.body.json == .array([.string("AVRO")])) }
                // Lookup, by the schema text, in whatever formatting.
                let spaced = Schemas.v1.replacingOccurrences(of: ",", with: " , ")
                try await client.execute(uri: "/subjects/prices-value", method: .post, headers: Self.json, body: registrationBody(spaced)) {
                    #expect($0.body.json?["version"]?.int64Value == 1)
                    #expect($0.body.json?["id"]?.int64Value == 1)
                }
                try await client.execute(uri: "/subjects/prices-value", method: .post, headers: Self.json, body: registrationBody(Schemas.incompatible)) {
                    #expect($0.status == .notFound)
                    #expect($0.body.json?["error_code"]?.int64Value == 40403)
                }
                try await client.execute(uri: "/subjects/nobody", method: .post, headers: Self.json, body: registrationBody(Schemas.v1)) {
                    #expect($0.body.json?["error_code"]?.int64Value == 40401)
                }
            }
        }
    }

    @Test(arguments: [TestingSetup.router, .live])
    func compatibilityConfigAndModes(setup: TestingSetup) async throws {
        let registry = SchemaRegistry(log: InMemoryRegistryLog(), logger: quietLogger("registry"))
        try await withRunningRegistry(registry) {
            try await makeApplication(registry).test(setup) { client in
                _ = try await client.execute(uri: "/subjects/s/versions", method: .post, headers: Self.json, body: registrationBody(Schemas.v1))
                try await client.execute(uri: "/compatibility/subjects/s/versions/latest?verbose=true", method: .post, headers: Self.json,
                                         body: registrationBody(Schemas.incompatible)) { response in
                    let body = try #require(response.body.json)
                    #expect(body["is_compatible"] == .bool(false))
                    let messages = body["messages"]?.arrayValue?.compactMap(\.stringValue) ?? []
                    #expect(messages.count == 1)
                    #expect(messages.first?.contains("/fields/1") == true)
                }
                try await client.execute(uri: "/compatibility/subjects/s/versions/1", method: .post, headers: Self.json, body: registrationBody(Schemas.v2)) {
                    #expect($0.body.json == .object([("is_compatible", .bool(true))]))
                }
                try await client.execute(uri: "/subjects/s/versions", method: .post, headers: Self.json, body: registrationBody(Schemas.incompatible)) {
                    #expect($0.status == .conflict)
                    #expect($0.body.json?["error_code"]?.int64Value == 409)
                }
                try await client.execute(uri: "/config", method: .get) { #expect($0.body.json?["compatibilityLevel"]?.stringValue == "BACKWARD") }
                try await client.execute(uri: "/config/s", method: .get) { #expect($0.body.json?["error_code"]?.int64Value == 40408) }
                try await client.execute(uri: "/config/s?defaultToGlobal=true", method: .get) {
                    #expect($0.body.json?["compatibilityLevel"]?.stringValue == "BACKWARD")
                }
                try await client.execute(uri: "/config/s", method: .put, headers: Self.json, body: ByteBuffer(string: #"{"compatibility":"NONE"}"#)) {
                    #expect($0.body.json?["compatibility"]?.stringValue == "NONE")
                }
                try await client.execute(uri: "/config/s", method: .put, headers: Self.json, body: ByteBuffer(string: #"{"compatibility":"SIDEWAYS"}"#)) {
                    #expect($0.status == .unprocessableContent)
                    #expect($0.body.json?["error_code"]?.int64Value == 42203)
                }
                try await client.execute(uri: "/subjects/s/versions", method: .post, headers: Self.json, body: registrationBody(Schemas.incompatible)) {
                    #expect($0.body.json?["id"]?.int64Value == 2)
                }
                try await client.execute(uri: "/config/s", method: .delete) { #expect($0.body.json?["compatibilityLevel"]?.stringValue == "NONE") }
                try await client.execute(uri: "/mode", method: .put, headers: Self.json, body: ByteBuffer(string: #"{"mode":"READONLY"}"#)) {
                    #expect($0.body.json?["mode"]?.stringValue == "READONLY")
                }
                try await client.execute(uri: "/subjects/t/versions", method: .post, headers: Self.json, body: registrationBody(Schemas.v1)) {
                    #expect($0.body.json?["error_code"]?.int64Value == 42205)
                }
                try await client.execute(uri: "/mode", method: .put, headers: Self.json, body: ByteBuffer(string: #"{"mode":"SOMETIMES"}"#)) {
                    #expect($0.body.json?["error_code"]?.int64Value == 42204)
                }
                try await client.execute(uri: "/mode", method: .put, headers: Self.json, body: ByteBuffer(string: #"{"mode":"IMPORT"}"#)) {
                    #expect($0.body.json?["error_code"]?.int64Value == 42205)
                }
                try await client.execute(uri: "/mode?force=true", method: .put, headers: Self.json, body: ByteBuffer(string: #"{"mode":"IMPORT"}"#)) {
                    #expect($0.body.json?["mode"]?.stringValue == "IMPORT")
                }
                try await client.execute(uri: "/subjects/imported/versions", method: .post, headers: Self.json,
                                         body: registrationBody(Schemas.v2, extra: [("id", .number("500")), ("version", .number("7"))])) {
                    #expect($0.body.json?["id"]?.int64Value == 500)
                }
                try await client.execute(uri: "/subjects/imported/versions", method: .get) { #expect($0.body.json == .array([.number("7")])) }
                try await client.execute(uri: "/mode", method: .get) { #expect($0.body.json?["mode"]?.stringValue == "IMPORT") }
                try await client.execute(uri: "/mode/s", method: .get) { #expect($0.body.json?["error_code"]?.int64Value == 40409) }
            }
        }
    }

    @Test(arguments: [TestingSetup.router, .live])
    func deletes(setup: TestingSetup) async throws {
        let registry = SchemaRegistry(log: InMemoryRegistryLog(), logger: quietLogger("registry"))
        try await withRunningRegistry(registry) {
            try await makeApplication(registry).test(setup) { client in
                _ = try await client.execute(uri: "/subjects/d/versions", method: .post, headers: Self.json, body: registrationBody(Schemas.v1))
                _ = try await client.execute(uri: "/subjects/d/versions", method: .post, headers: Self.json, body: registrationBody(Schemas.v2))
                try await client.execute(uri: "/subjects/d/versions/2?permanent=true", method: .delete) {
                    #expect($0.body.json?["error_code"]?.int64Value == 40407)
                }
                try await client.execute(uri: "/subjects/d/versions/latest", method: .delete) { #expect(String(buffer: $0.body) == "2") }
                try await client.execute(uri: "/subjects/d/versions/2", method: .get) { #expect($0.body.json?["error_code"]?.int64Value == 40402) }
                try await client.execute(uri: "/subjects/d/versions/2?deleted=true", method: .get) { #expect($0.body.json?["id"]?.int64Value == 2) }
                try await client.execute(uri: "/subjects/d", method: .delete) { #expect($0.body.json == .array([.number("1")])) }
                try await client.execute(uri: "/subjects", method: .get) { #expect($0.body.json == .array([])) }
                try await client.execute(uri: "/subjects?deleted=true", method: .get) { #expect($0.body.json == .array([.string("d")])) }
                try await client.execute(uri: "/subjects/d/versions", method: .get) { #expect($0.body.json?["error_code"]?.int64Value == 40401) }
                try await client.execute(uri: "/schemas/ids/1", method: .get) { #expect($0.status == .ok) }
                try await client.execute(uri: "/subjects/d", method: .delete) { #expect($0.body.json?["error_code"]?.int64Value == 40404) }
                try await client.execute(uri: "/subjects/d?permanent=true", method: .delete) { #expect($0.body.json == .array([.number("1"), .number("2")])) }
                try await client.execute(uri: "/schemas/ids/1", method: .get) { #expect($0.body.json?["error_code"]?.int64Value == 40403) }
                try await client.execute(uri: "/subjects/d?permanent=true", method: .delete) { #expect($0.body.json?["error_code"]?.int64Value == 40401) }
            }
        }
    }

    @Test(arguments: [TestingSetup.router, .live])
    func badInputGetsConfluentErrorsAndTheServiceKeepsServing(setup: TestingSetup) async throws {
        let registry = SchemaRegistry(log: InMemoryRegistryLog(), configuration: {
            var c = SchemaRegistry.Configuration()
            c.limits.maxDepth = 8
            return c
        }(), logger: quietLogger("registry"))
        var api = RegistryAPIConfiguration()
        api.maxBodyBytes = 4096
        try await withRunningRegistry(registry) {
            try await makeApplication(registry, api: api).test(setup) { client in
                func expectError(_ uri: String, _ method: HTTPRequest.Method = .post, body: String, headers: HTTPFields = Self.json,
                                 status: HTTPResponse.Status, code: Int, sourceLocation: SourceLocation = #_sourceLocation) async throws {
                    try await client.execute(uri: uri, method: method, headers: headers, body: ByteBuffer(string: body)) {
                        #expect($0.status == status, sourceLocation: sourceLocation)
                        #expect($0.body.json?["error_code"]?.int64Value == Int64(code), sourceLocation: sourceLocation)
                        #expect($0.body.json?["message"]?.stringValue?.isEmpty == false, sourceLocation: sourceLocation)
                    }
                }
                try await expectError("/subjects/x/versions", body: "{not json", status: .badRequest, code: 400)
                try await expectError("/subjects/x/versions", body: #"{"schema": 5}"#, status: .unprocessableContent, code: 42201)
                for bad in [
                    #"{"type":"record","name":"R","fields":[{"name":"a","type":"Unknown"}]}"#,
                    #"{"type":"record","name":"R","fields":[{"name":"a","type":"int"},{"name":"a","type":"long"}]}"#,
                    #"{"type":"record","name":"R-1","fields":[]}"#,
                    #"{"type":"record","name":"R","fields":[{"name":"a","type":"int","default":"nope"}]}"#,
                    String(repeating: #"{"type":"array","items":"#, count: 12) + #""int""# + String(repeating: "}", count: 12),
                ] {
                    try await expectError("/subjects/x/versions", body: registrationBody(bad).getString(at: 0, length: registrationBody(bad).readableBytes)!,
                                          status: .unprocessableContent, code: 42201)
                }
                let huge = #"{"schema":"\#(String(repeating: " ", count: 5000))\"int\""}"#
                try await expectError("/subjects/x/versions", body: huge, status: .contentTooLarge, code: 413)
                try await expectError("/subjects/x/versions", body: #"{"schema":"\"int\""}"#, headers: [.contentType: "text/plain"],
                                      status: .unsupportedMediaType, code: 415)
                try await expectError("/subjects/x/versions/0", .get, body: "", status: .unprocessableContent, code: 42202)
                try await expectError("/subjects/x/versions/banana", .get, body: "", status: .unprocessableContent, code: 42202)
                try await expectError("/subjects/%01bad/versions", .get, body: "", status: .unprocessableContent, code: 42208)
                try await expectError("/no/such/route", .get, body: "", status: .notFound, code: 404)
                try await expectError("/schemas/ids/77", .get, body: "", status: .notFound, code: 40403)
                // Still serving.
                try await client.execute(uri: "/subjects/x/versions", method: .post, headers: Self.json, body: registrationBody(Schemas.v1)) {
                    #expect($0.status == .ok)
                }
            }
        }
    }

    @Test(arguments: [TestingSetup.router, .live])
    func basicAuthentication(setup: TestingSetup) async throws {
        let registry = SchemaRegistry(log: InMemoryRegistryLog(), logger: quietLogger("registry"))
        var api = RegistryAPIConfiguration()
        api.basicAuthUsers = ["alice": "s3cret"]
        try await withRunningRegistry(registry) {
            try await makeApplication(registry, api: api).test(setup) { client in
                try await client.execute(uri: "/subjects", method: .get) {
                    #expect($0.status == .unauthorized)
                    #expect($0.body.json?["error_code"]?.int64Value == 401)
                    #expect($0.headers[.wwwAuthenticate]?.hasPrefix("Basic") == true)
                }
                let wrong = "Basic " + Data("alice:nope".utf8).base64EncodedString()
                try await client.execute(uri: "/subjects", method: .get, headers: [.authorization: wrong]) { #expect($0.status == .unauthorized) }
                let right = "Basic " + Data("alice:s3cret".utf8).base64EncodedString()
                try await client.execute(uri: "/subjects", method: .get, headers: [.authorization: right]) { #expect($0.status == .ok) }
            }
        }
    }

    @Test(arguments: [TestingSetup.router, .live])
    func contentTypeFollowsTheAcceptHeader(setup: TestingSetup) async throws {
        let registry = SchemaRegistry(log: InMemoryRegistryLog(), logger: quietLogger("registry"))
        try await withRunningRegistry(registry) {
            try await makeApplication(registry).test(setup) { client in
                _ = try await client.execute(uri: "/subjects/a/versions", method: .post, headers: Self.json, body: registrationBody(Schemas.v1))
                let cases: [(accept: String?, expected: String)] = [
                    (nil, "application/vnd.schemaregistry.v1+json"),
                    ("application/json", "application/json"),
                    ("application/vnd.schemaregistry+json", "application/vnd.schemaregistry+json"),
                    ("application/vnd.schemaregistry.v1+json, application/vnd.schemaregistry+json, application/json",
                     "application/vnd.schemaregistry.v1+json"),
                    ("application/json, */*;q=0.1", "application/json"),
                    ("application/json;q=0.9, application/vnd.schemaregistry.v1+json;q=0.2", "application/json"),
                    ("*/*", "application/vnd.schemaregistry.v1+json"),
                    ("application/*", "application/vnd.schemaregistry.v1+json"),
                    ("text/html", "application/vnd.schemaregistry.v1+json"),
                ]
                for (accept, expected) in cases {
                    let headers: HTTPFields = accept.map { [.accept: $0] } ?? [:]
                    for uri in ["/subjects", "/schemas/ids/1/schema", "/subjects/nobody/versions"] {
                        try await client.execute(uri: uri, method: .get, headers: headers) {
                            #expect($0.headers[.contentType] == expected, "Accept \(accept ?? "none") on \(uri)")
                        }
                    }
                }
            }
        }
    }

    @Test(arguments: [TestingSetup.router, .live])
    func confluentAnswersForUnknownSubjectsAndImports(setup: TestingSetup) async throws {
        let registry = SchemaRegistry(log: InMemoryRegistryLog(), logger: quietLogger("registry"))
        try await withRunningRegistry(registry) {
            try await makeApplication(registry).test(setup) { client in
                // Anything is compatible with the latest version of a subject that has none.
                try await client.execute(uri: "/compatibility/subjects/nobody/versions/latest", method: .post, headers: Self.json,
                                         body: registrationBody(Schemas.v1)) {
                    #expect($0.status == .ok)
                    #expect($0.body.json == .object([("is_compatible", .bool(true))]))
                }
                try await client.execute(uri: "/compatibility/subjects/nobody/versions/1", method: .post, headers: Self.json,
                                         body: registrationBody(Schemas.v1)) { #expect($0.status == .notFound) }
                try await client.execute(uri: "/compatibility/subjects/nobody/versions/latest", method: .post, headers: Self.json,
                                         body: registrationBody("not a schema")) { #expect($0.body.json?["error_code"]?.int64Value == 42201) }
                _ = try await client.execute(uri: "/subjects/gone/versions", method: .post, headers: Self.json, body: registrationBody(Schemas.v1))
                _ = try await client.execute(uri: "/subjects/gone", method: .delete)
                try await client.execute(uri: "/compatibility/subjects/gone/versions/latest?verbose=true", method: .post, headers: Self.json,
                                         body: registrationBody(Schemas.incompatible)) {
                    #expect($0.body.json?["is_compatible"] == .bool(true))
                }
                // Deleting the level of a subject that does not exist.
                try await client.execute(uri: "/config/nobody", method: .delete) {
                    #expect($0.status == .notFound)
                    #expect($0.body.json?["error_code"]?.int64Value == 40401)
                }
                // IMPORT: a registration must give the id, and the id and version must be in range.
                _ = try await client.execute(uri: "/mode/imp", method: .put, headers: Self.json, body: ByteBuffer(string: #"{"mode":"IMPORT"}"#))
                try await client.execute(uri: "/subjects/imp/versions", method: .post, headers: Self.json, body: registrationBody(Schemas.v2)) {
                    #expect($0.status == .unprocessableContent)
                    #expect($0.body.json?["error_code"]?.int64Value == 42205)
                }
                let bad: [(JSONValue, JSONValue?, Int64)] = [
                    (.number("0"), nil, 42201), (.number("-5"), nil, 42201), (.number("2147483648"), nil, 42201),
                    (.string("12"), nil, 42201), (.number("1.5"), nil, 42201), (.bool(true), nil, 42201),
                    (.number("10"), .number("0"), 42202), (.number("10"), .number("2147483648"), 42202), (.number("10"), .string("latest"), 42202),
                ]
                for (id, version, code) in bad {
                    var extra: [(String, JSONValue)] = [("id", id)]
                    if let version { extra.append(("version", version)) }
                    try await client.execute(uri: "/subjects/imp/versions", method: .post, headers: Self.json,
                                             body: registrationBody(Schemas.v2, extra: extra)) {
                        #expect($0.status == .unprocessableContent, "id \(id.compactText) version \(version?.compactText ?? "-")")
                        #expect($0.body.json?["error_code"]?.int64Value == code, "id \(id.compactText) version \(version?.compactText ?? "-")")
                    }
                }
                try await client.execute(uri: "/subjects/imp/versions", method: .post, headers: Self.json,
                                         body: registrationBody(Schemas.v2, extra: [("id", .number("2147483647")), ("version", .null)])) {
                    #expect($0.body.json?["id"]?.int64Value == 2_147_483_647)
                }
            }
        }
    }

    @Test(arguments: [TestingSetup.router, .live])
    func readingUnknownIDsWritesNothingToTheLog(setup: TestingSetup) async throws {
        let log = InMemoryRegistryLog()
        let registry = SchemaRegistry(log: log, logger: quietLogger("registry"))
        try await withRunningRegistry(registry) {
            try await makeApplication(registry).test(setup) { client in
                _ = try await client.execute(uri: "/subjects/a/versions", method: .post, headers: Self.json, body: registrationBody(Schemas.v1))
                let end = log.endOffset
                for uri in ["/schemas/ids/999999", "/schemas/ids/999999/schema", "/schemas/ids/999999/versions", "/schemas/ids/2/subjects"] {
                    for _ in 0..<10 {
                        try await client.execute(uri: uri, method: .get) { #expect($0.body.json?["error_code"]?.int64Value == 40403) }
                    }
                }
                #expect(log.endOffset == end)
            }
        }
    }

    @Test func schemaReferencesOverHTTP() async throws {
        let registry = SchemaRegistry(log: InMemoryRegistryLog(), logger: quietLogger("registry"))
        try await withRunningRegistry(registry) {
            try await makeApplication(registry).test(.router) { client in
                let money = #"{"type":"record","name":"Money","namespace":"io.pp","fields":[{"name":"amount","type":"double"}]}"#
                _ = try await client.execute(uri: "/subjects/money/versions", method: .post, headers: Self.json, body: registrationBody(money))
                let order = #"{"type":"record","name":"Order","namespace":"io.pp","fields":[{"name":"price","type":"io.pp.Money"}]}"#
                let refs: JSONValue = .array([.object([("name", .string("io.pp.Money")), ("subject", .string("money")), ("version", .number("1"))])])
                try await client.execute(uri: "/subjects/order/versions", method: .post, headers: Self.json,
                                         body: registrationBody(order, extra: [("references", refs)])) {
                    #expect($0.body.json?["id"]?.int64Value == 2)
                }
                try await client.execute(uri: "/schemas/ids/2", method: .get) { #expect($0.body.json?["references"] == refs) }
                try await client.execute(uri: "/subjects/money/versions/1/referencedby", method: .get) { #expect($0.body.json == .array([.number("2")])) }
            }
        }
    }
}

@Suite("Registry API configuration")
struct RegistryAPIConfigurationTests {
    @Test func basicAuthUsersComeFromAFileAndAList() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("users-\(UUID().uuidString)")
        try "# operators\nalice:s3cret:with:colons\n\n bob:pw \n".write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        let users = try RegistryAPIConfiguration.basicAuthUsers(file: file.path, inline: "carol:x,dave:y")
        #expect(users == ["alice": "s3cret:with:colons", "bob": "pw", "carol": "x", "dave": "y"])
        #expect(try RegistryAPIConfiguration.basicAuthUsers(file: nil, inline: nil).isEmpty)
    }

    @Test func badEntriesAndMissingFilesAreConfigurationErrors() {
        #expect(throws: ConfigurationError.self) { try RegistryAPIConfiguration.basicAuthUsers(file: nil, inline: "nocolon") }
        #expect(throws: ConfigurationError.self) { try RegistryAPIConfiguration.basicAuthUsers(file: nil, inline: ":pw") }
        #expect(throws: ConfigurationError.self) { try RegistryAPIConfiguration.basicAuthUsers(file: "/nonexistent/users", inline: nil) }
    }
}
