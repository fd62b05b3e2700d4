import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Prometheus
import SchemaRegistry
import ServiceSupport
import Testing

/// The executable's router (`RegistryAPI.router`) with basic-auth users: the API needs
/// credentials, `/health/*` and `/metrics` do not; READONLY refuses writes as Confluent does.
@Suite("Registry security, in process and over a socket", .timeLimit(.minutes(1)))
struct RegistrySecurityTests {
    static let json: HTTPFields = [.contentType: "application/vnd.schemaregistry.v1+json"]
    static let alice = "Basic " + Data("alice:s3cret".utf8).base64EncodedString()

    func withSecuredRegistry(_ setup: TestingSetup, _ body: @Sendable (any TestClientProtocol) async throws -> Void) async throws {
        let readiness = ServiceReadiness()
        let registry = SchemaRegistry(log: InMemoryRegistryLog(), readiness: readiness, logger: quietLogger("registry"))
        var api = RegistryAPIConfiguration()
        api.basicAuthUsers = ["alice": "s3cret"]
        let router = RegistryAPI.router(registry: registry, configuration: api, metrics: PrometheusCollectorRegistry(), readiness: readiness)
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        try await withRunningRegistry(registry) {
            try await app.test(setup) { client in try await body(client) }
        }
    }

    @Test(arguments: [TestingSetup.router, .live])
    func basicAuthGuardsTheAPIButNotHealthOrMetrics(setup: TestingSetup) async throws {
        try await withSecuredRegistry(setup) { client in
            for uri in ["/health/live", "/health/ready", "/metrics"] {
                try await client.execute(uri: uri, method: .get) { #expect($0.status == .ok, "\(uri) without credentials") }
            }
            let refused: [(HTTPRequest.Method, String)] = [
                (.get, "/"), (.get, "/subjects"), (.get, "/schemas/types"), (.get, "/schemas/ids/1"), (.get, "/config"), (.get, "/mode"),
                (.post, "/subjects/s/versions"), (.post, "/compatibility/subjects/s/versions/latest"), (.put, "/mode"),
                (.delete, "/subjects/s"),
            ]
            let malformed = ["Basic", "Basic !!!not-base64", "Basic " + Data("alice".utf8).base64EncodedString(),
                             "Basic " + Data("alice:S3CRET".utf8).base64EncodedString(), "Bearer s3cret"]
            for (method, uri) in refused {
                for header in [nil] + malformed {
                    let headers: HTTPFields = header.map { [.authorization: $0, .contentType: "application/json"] } ?? Self.json
                    try await client.execute(uri: uri, method: method, headers: headers, body: ByteBuffer(string: #"{"schema":"\"int\""}"#)) {
                        #expect($0.status == .unauthorized, "\(method) \(uri) with \(header ?? "no Authorization")")
                        #expect($0.body.json?["error_code"]?.int64Value == 401)
                        #expect(String(buffer: $0.body).contains("s3cret") == false)
                    }
                }
            }
            try await client.execute(uri: "/subjects", method: .get, headers: [.authorization: Self.alice]) { #expect($0.status == .ok) }
        }
    }

    @Test(arguments: [TestingSetup.router, .live])
    func readOnlyModeRefusesWritesWithConfluentsCode(setup: TestingSetup) async throws {
        try await withSecuredRegistry(setup) { client in
            var headers = Self.json
            headers[.authorization] = Self.alice
            try await client.execute(uri: "/subjects/s/versions", method: .post, headers: headers, body: registrationBody(#""int""#)) {
                #expect($0.status == .ok)
            }
            try await client.execute(uri: "/mode", method: .put, headers: headers, body: ByteBuffer(string: #"{"mode":"READONLY"}"#)) {
                #expect($0.body.json?["mode"]?.stringValue == "READONLY")
            }
            let writes: [(HTTPRequest.Method, String, ByteBuffer?)] = [
                (.post, "/subjects/s/versions", registrationBody(#""long""#)),
                (.post, "/subjects/t/versions", registrationBody(#""int""#)),
                (.delete, "/subjects/s/versions/1", nil),
                (.delete, "/subjects/s", nil),
            ]
            for (method, uri, body) in writes {
                try await client.execute(uri: uri, method: method, headers: headers, body: body) {
                    #expect($0.status == .unprocessableContent, "\(method) \(uri)")
                    #expect($0.body.json?["error_code"]?.int64Value == 42205, "\(method) \(uri)")
                    #expect($0.body.json?["message"]?.stringValue?.contains("read-only") == true, "\(method) \(uri)")
                }
            }
            // Reads still work, and the mode can be switched back.
            try await client.execute(uri: "/subjects/s/versions/1", method: .get, headers: headers) { #expect($0.status == .ok) }
            try await client.execute(uri: "/mode", method: .put, headers: headers, body: ByteBuffer(string: #"{"mode":"READWRITE"}"#)) {
                #expect($0.status == .ok)
            }
            try await client.execute(uri: "/subjects/t/versions", method: .post, headers: headers, body: registrationBody(#""int""#)) {
                #expect($0.status == .ok)
            }
        }
    }
}
