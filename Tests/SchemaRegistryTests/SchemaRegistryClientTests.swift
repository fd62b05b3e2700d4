import Avro
import Foundation
import HTTPFixtureServer
import SchemaRegistryClient
import Synchronization
import Testing

// MARK: - Fixture responses of a schema registry

extension FixtureResponse {
    static func json(_ body: String, status: Int = 200, delay: Duration = .zero) -> FixtureResponse {
        FixtureResponse(status: status, headers: [("Content-Type", "application/vnd.schemaregistry.v1+json")], body: body, delay: delay)
    }
    static func error(_ status: Int, _ code: Int, _ message: String) -> FixtureResponse {
        .json(#"{"error_code":\#(code),"message":"\#(message)"}"#, status: status)
    }
}

// MARK: - Shared fixtures

private let candleSchema = #"""
{"type":"record","name":"Candle","namespace":"io.pricepipeline","fields":[{"name":"source","type":"string"},{"name":"open","type":"double"},{"name":"market_cap","type":["null","double"],"default":null}]}
"""#

/// `candleSchema` escaped for use inside a JSON string literal in response bodies.
private var candleSchemaLiteral: String {
    let data = try! JSONSerialization.data(withJSONObject: [candleSchema], options: [.withoutEscapingSlashes])
    let text = String(decoding: data, as: UTF8.self)
    return String(text.dropFirst(2).dropLast(2))
}

private func client(_ server: FixtureServer, username: String? = nil, password: String? = nil) -> SchemaRegistryClient {
    SchemaRegistryClient(configuration: .init(baseURL: server.baseURL + "/", username: username, password: password, requestTimeout: .seconds(10)))
}

// MARK: - Tests

@Suite("SchemaRegistryClient")
struct SchemaRegistryClientTests {
    @Test("register posts the schema and returns the id")
    func registerReturnsID() async throws {
        try await FixtureServer.with(route: { request, _ in
            request.method == "POST" && request.path == "/subjects/prices.candles-value/versions"
                ? .json(#"{"id":42}"#) : .error(404, 40401, "no route \(request.path)")
        }) { server async throws in
            let id = try await client(server).register(
                subject: "prices.candles-value", schema: candleSchema,
                references: [SchemaReference(name: "io.pricepipeline.Money", subject: "money", version: 3)])
            #expect(id == 42)
            let request = try #require(server.requests.first)
            #expect(request.header("Content-Type") == "application/vnd.schemaregistry.v1+json")
            #expect(request.header("Accept")?.hasPrefix("application/vnd.schemaregistry.v1+json") == true)
            #expect(request.header("Authorization") == nil)
            let body = try #require(request.bodyJSON)
            #expect(body["schema"] as? String == candleSchema)
            #expect(body["schemaType"] as? String == "AVRO")
            let references = try #require(body["references"] as? [[String: Any]])
            #expect(references.count == 1)
            #expect(references.first?["name"] as? String == "io.pricepipeline.Money")
            #expect(references.first?["subject"] as? String == "money")
            #expect(references.first?["version"] as? Int == 3)
            #expect(request.query == nil)
        }
    }

    @Test("register with normalize asks for it, and subjects are percent-encoded")
    func registerNormalizeAndEncoding() async throws {
        try await FixtureServer.with(route: { _, _ in .json(#"{"id":5}"#) }) { server async throws in
            let id = try await client(server).register(subject: "a/b c?%é", schema: candleSchema, normalize: true)
            #expect(id == 5)
            let request = try #require(server.requests.first)
            #expect(request.path == "/subjects/a%2Fb%20c%3F%25%C3%A9/versions")
            #expect(request.query == "normalize=true")
        }
    }

    @Test("schema(id:) is cached and 20 concurrent misses make one request")
    func schemaByIDSingleFlight() async throws {
        try await FixtureServer.with(route: { request, _ in
            request.path == "/schemas/ids/7"
                ? .json(#"{"schema":"\#(candleSchemaLiteral)"}"#, delay: .milliseconds(300))
                : .error(404, 40403, "Schema not found")
        }) { server async throws in
            let registry = client(server)
            let schemas = try await withThrowingTaskGroup(of: RegisteredSchema.self) { group in
                for _ in 0..<20 { group.addTask { try await registry.schema(id: 7) } }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(schemas.count == 20)
            #expect(schemas.allSatisfy { $0.id == 7 && $0.schema == candleSchema && $0.schemaType == .avro && $0.references.isEmpty })
            #expect(server.count(method: "GET", path: "/schemas/ids/7") == 1)

            // Later calls are answered from the cache.
            _ = try await registry.schema(id: 7)
            let parsed = try await registry.parsedSchema(id: 7)
            #expect(parsed.root.fullName == "io.pricepipeline.Candle")
            _ = try await registry.parsedSchema(id: 7)
            #expect(server.count(method: "GET", path: "/schemas/ids/7") == 1)
        }
    }

    @Test("a failed schema(id:) is not cached")
    func failedLookupNotCached() async throws {
        try await FixtureServer.with(route: { request, seen in
            guard request.path == "/schemas/ids/9" else { return .error(404, 40403, "Schema not found") }
            return seen == 0 ? .error(500, 50001, "Error in the backend data store")
                             : .json(#"{"schema":"\#(candleSchemaLiteral)"}"#)
        }) { server async throws in
            let registry = client(server)
            let error = await #expect(throws: SchemaRegistryClientError.self) { try await registry.schema(id: 9) }
            #expect(error?.status == 500)
            #expect(error?.errorCode == 50001)
            #expect(error?.isRetriable == true)
            let schema = try await registry.schema(id: 9)
            #expect(schema.schema == candleSchema)
            _ = try await registry.schema(id: 9)
            #expect(server.count(method: "GET", path: "/schemas/ids/9") == 2)
        }
    }

    @Test("parsedSchema resolves references through the referenced subject versions")
    func parsedSchemaWithReferences() async throws {
        let money = #"{"type":"record","name":"Money","namespace":"io.pricepipeline","fields":[{"name":"amount","type":"double"}]}"#
        let priced = #"{"type":"record","name":"Priced","namespace":"io.pricepipeline","fields":[{"name":"price","type":"io.pricepipeline.Money"}]}"#
        @Sendable func literal(_ s: String) -> String { s.replacingOccurrences(of: "\"", with: "\\\"") }
        try await FixtureServer.with(route: { request, _ in
            switch request.path {
            case "/schemas/ids/11":
                return .json(#"{"schema":"\#(literal(priced))","references":[{"name":"io.pricepipeline.Money","subject":"money-value","version":1}]}"#)
            case "/subjects/money-value/versions/1":
                return .json(#"{"subject":"money-value","id":10,"version":1,"schema":"\#(literal(money))"}"#)
            default:
                return .error(404, 40403, "Schema not found")
            }
        }) { server async throws in
            let parsed = try await client(server).parsedSchema(id: 11)
            #expect(parsed.root.fullName == "io.pricepipeline.Priced")
            #expect(parsed.namedTypes["io.pricepipeline.Money"] != nil)
        }
    }

    @Test("error bodies decode to typed errors")
    func errorDecoding() async throws {
        try await FixtureServer.with(route: { request, _ in
            switch (request.method, request.path) {
            case ("GET", "/subjects/missing/versions/latest"):
                return .error(404, 40401, "Subject 'missing' not found.")
            case ("GET", "/subjects/s/versions/99"):
                return .error(404, 40402, "Version 99 not found.")
            case ("GET", "/schemas/ids/404"):
                return .error(404, 40403, "Schema 404 not found")
            case ("POST", "/subjects/s/versions") where request.bodyJSON?["schema"] as? String == "incompatible":
                return .error(409, 409, "Schema being registered is incompatible with an earlier schema")
            case ("POST", "/subjects/s/versions"):
                return .error(422, 42201, "Invalid schema")
            case ("GET", "/subjects"):
                return FixtureResponse(status: 502, body: "<html>bad gateway</html>")
            default:
                return .error(404, 404, "HTTP 404 Not Found")
            }
        }) { server async throws in
            let registry = client(server)

            let notFound = await #expect(throws: SchemaRegistryClientError.self) { try await registry.latest(subject: "missing") }
            #expect(notFound?.status == 404)
            #expect(notFound?.errorCode == 40401)
            #expect(notFound?.message == "Subject 'missing' not found.")
            #expect(notFound?.isSubjectNotFound == true)
            #expect(notFound?.isVersionNotFound == false)
            #expect(notFound?.isRetriable == false)

            let noVersion = await #expect(throws: SchemaRegistryClientError.self) { try await registry.version(subject: "s", version: 99) }
            #expect(noVersion?.isVersionNotFound == true)

            let noSchema = await #expect(throws: SchemaRegistryClientError.self) { try await registry.schema(id: 404) }
            #expect(noSchema?.isSchemaNotFound == true)

            let incompatible = await #expect(throws: SchemaRegistryClientError.self) {
                try await registry.register(subject: "s", schema: "incompatible")
            }
            #expect(incompatible?.status == 409)
            #expect(incompatible?.errorCode == 409)
            #expect(incompatible?.isIncompatible == true)
            #expect(incompatible?.isInvalidSchema == false)

            let invalid = await #expect(throws: SchemaRegistryClientError.self) {
                try await registry.register(subject: "s", schema: "{not json")
            }
            #expect(invalid?.status == 422)
            #expect(invalid?.errorCode == 42201)
            #expect(invalid?.isInvalidSchema == true)
            #expect(invalid?.isIncompatible == false)

            let gateway = await #expect(throws: SchemaRegistryClientError.self) { try await registry.subjects() }
            #expect(gateway?.status == 502)
            #expect(gateway?.errorCode == -1)
            #expect(gateway?.message.contains("bad gateway") == true)
            #expect(gateway?.isRetriable == true)
        }
    }

    @Test("a refused connection is a retriable transport error")
    func transportError() async throws {
        // Bind and close a server to get a loopback port nobody listens on.
        let server = try await FixtureServer(route: { _, _ in .json("[]") })
        let url = server.baseURL
        try await server.shutdown()
        let registry = SchemaRegistryClient(configuration: .init(baseURL: url, requestTimeout: .seconds(5)))
        let error = await #expect(throws: SchemaRegistryClientError.self) { try await registry.subjects() }
        #expect(error?.status == 0)
        #expect(error?.transport != nil)
        #expect(error?.isTransportError == true)
        #expect(error?.isRetriable == true)
    }

    @Test("basic-auth credentials are sent on every request")
    func basicAuth() async throws {
        try await FixtureServer.with(route: { request, _ in
            switch request.path {
            case "/subjects": return .json(#"["a","b"]"#)
            case "/schemas/ids/1": return .json(#"{"schema":"\#(candleSchemaLiteral)"}"#)
            default: return .error(404, 404, "not found")
            }
        }) { server async throws in
            let registry = client(server, username: "registry-user", password: "s3cr:et")
            #expect(try await registry.subjects() == ["a", "b"])
            _ = try await registry.schema(id: 1)
            let expected = "Basic " + Data("registry-user:s3cr:et".utf8).base64EncodedString()
            #expect(server.requests.count == 2)
            #expect(server.requests.allSatisfy { $0.header("Authorization") == expected })
        }
    }

    @Test("compatibility results and levels decode")
    func compatibility() async throws {
        try await FixtureServer.with(route: { request, _ in
            switch (request.method, request.path) {
            case ("POST", "/compatibility/subjects/prices.candles-value/versions/latest"):
                return .json(#"{"is_compatible":false,"messages":["reader field 'exchange' has no default","{oldSchemaVersion: 1}"]}"#)
            case ("POST", "/compatibility/subjects/prices.candles-value/versions/2"):
                return .json(#"{"is_compatible":true}"#)
            case ("PUT", "/config/prices.candles-value"):
                let level = request.bodyJSON?["compatibility"] as? String ?? "?"
                return .json(#"{"compatibility":"\#(level)"}"#)
            case ("GET", "/config/prices.candles-value"):
                return .json(#"{"compatibilityLevel":"FULL_TRANSITIVE"}"#)
            case ("GET", "/config/odd"):
                return .json(#"{"compatibilityLevel":"SIDEWAYS"}"#)
            case ("GET", "/config/unset"):
                return .error(404, 40408, "Subject 'unset' does not have subject-level compatibility configured")
            case ("GET", "/config"):
                return .json(#"{"compatibilityLevel":"BACKWARD"}"#)
            case ("PUT", "/config"):
                return .json(#"{"compatibility":"NONE"}"#)
            default:
                return .error(404, 404, "not found")
            }
        }) { server async throws in
            let registry = client(server)
            let rejected = try await registry.checkCompatibility(subject: "prices.candles-value", schema: candleSchema)
            #expect(rejected.isCompatible == false)
            #expect(rejected.messages == ["reader field 'exchange' has no default", "{oldSchemaVersion: 1}"])
            let latestCheck = try #require(server.requests.last)
            #expect(latestCheck.query == "verbose=true")
            #expect(latestCheck.bodyJSON?["schema"] as? String == candleSchema)

            let accepted = try await registry.checkCompatibility(subject: "prices.candles-value", schema: candleSchema, version: "2")
            #expect(accepted == CompatibilityResult(isCompatible: true, messages: []))

            #expect(try await registry.setCompatibility(.fullTransitive, subject: "prices.candles-value") == .fullTransitive)
            // The level goes out as Confluent's wire name.
            #expect(server.requests.last?.bodyJSON?["compatibility"] as? String == "FULL_TRANSITIVE")
            #expect(try await registry.compatibility(subject: "prices.candles-value") == .fullTransitive)
            #expect(try await registry.compatibility(subject: "unset") == .backward)
            #expect(try await registry.compatibility() == .backward)
            #expect(try await registry.setCompatibility(.none, subject: nil) == SchemaRegistryClient.CompatibilityLevel.none)

            // A level the client does not know is a malformed answer, not a string passed on.
            let unknown = await #expect(throws: SchemaRegistryClientError.self) { try await registry.compatibility(subject: "odd") }
            #expect(unknown?.errorCode == SchemaRegistryClientError.unknownErrorCode)
            #expect(unknown?.message.contains("SIDEWAYS") == true)

            let strict = await #expect(throws: SchemaRegistryClientError.self) {
                try await registry.compatibility(subject: "unset", defaultToGlobal: false)
            }
            #expect(strict?.errorCode == 40408)
        }
    }

    @Test("schema types travel as Confluent's wire names")
    func schemaTypes() async throws {
        try await FixtureServer.with(route: { request, _ in
            switch (request.method, request.path) {
            case ("POST", "/subjects/s/versions"): return .json(#"{"id":3}"#)
            case ("GET", "/schemas/ids/3"): return .json(#"{"schema":"syntax = \"proto3\";","schemaType":"PROTOBUF"}"#)
            case ("GET", "/schemas/ids/4"): return .json(#"{"schema":"<x/>","schemaType":"xml"}"#)
            case ("GET", "/schemas/ids/5"): return .json(#"{"schema":"\"int\""}"#)
            default: return .error(404, 404, "not found")
            }
        }) { server async throws in
            let registry = client(server)
            _ = try await registry.register(subject: "s", schema: "{}", schemaType: .json)
            #expect(server.requests.last?.bodyJSON?["schemaType"] as? String == "JSON")
            #expect(try await registry.schema(id: 3).schemaType == .protobuf)
            let other = try await registry.schema(id: 4).schemaType
            #expect(other == SchemaType(wireName: "XML") && !other.isKnown && other.wireName == "XML")
            // Confluent omits the type for Avro.
            #expect(try await registry.schema(id: 5).schemaType == .avro)
            let notAvro = await #expect(throws: SchemaRegistryClientError.self) { try await registry.parsedSchema(id: 3) }
            #expect(notAvro?.errorCode == SchemaRegistryClientError.invalidSchemaCode)
        }
        #expect(SchemaType(wireName: "avro") == .avro && SchemaType.avro.isKnown && SchemaType.protobuf.description == "PROTOBUF")
    }

    @Test("subject versions, lookup, listings and deletes")
    func subjectEndpoints() async throws {
        try await FixtureServer.with(route: { request, _ in
            let version = #"{"subject":"prices.candles-value","id":3,"version":2,"schema":"\#(candleSchemaLiteral)"}"#
            switch (request.method, request.path) {
            case ("GET", "/subjects/prices.candles-value/versions/latest"),
                 ("GET", "/subjects/prices.candles-value/versions/2"),
                 ("POST", "/subjects/prices.candles-value"):
                return .json(version)
            case ("GET", "/subjects"): return .json(#"["prices.candles-value","fx.rates-value"]"#)
            case ("GET", "/subjects/prices.candles-value/versions"): return .json("[1,2]")
            case ("DELETE", "/subjects/prices.candles-value/versions/2"): return .json("2")
            case ("DELETE", "/subjects/prices.candles-value"): return .json("[1]")
            default: return .error(404, 404, "not found")
            }
        }) { server async throws in
            let registry = client(server)
            let expected = SubjectVersion(subject: "prices.candles-value", id: 3, version: 2, schema: candleSchema)
            #expect(try await registry.latest(subject: "prices.candles-value") == expected)
            #expect(try await registry.version(subject: "prices.candles-value", version: 2) == expected)
            #expect(try await registry.lookup(subject: "prices.candles-value", schema: candleSchema) == expected)
            #expect(server.requests.last?.bodyJSON?["schema"] as? String == candleSchema)
            #expect(try await registry.subjects() == ["prices.candles-value", "fx.rates-value"])
            #expect(try await registry.versions(subject: "prices.candles-value") == [1, 2])
            #expect(try await registry.deleteVersion(subject: "prices.candles-value", version: 2) == 2)
            #expect(try await registry.deleteSubject("prices.candles-value", permanent: true) == [1])
            #expect(server.requests.last?.query == "permanent=true")
        }
    }
}
