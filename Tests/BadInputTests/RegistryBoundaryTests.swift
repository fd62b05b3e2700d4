import Avro
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import Prometheus
import SchemaRegistry
import ServiceSupport
import Testing

/// Registry requests through the `schema-registry` executable's router with its default
/// limits, in process and over a socket: each gets its status and Confluent `error_code`,
/// writes nothing to the log, and the registry keeps serving.
@Suite("Bad input: registry requests", .timeLimit(.minutes(2)))
struct RegistryBoundaryTests {
    static let goodSchema = #"{"type":"record","name":"Ok","namespace":"io.corpus","fields":[{"name":"a","type":"long"}]}"#

    @Test(arguments: [TestingSetup.router, .live])
    func requests(setup: TestingSetup) async throws {
        var logger = Logger(label: "bad-input.registry")
        logger.logLevel = .critical
        let log = InMemoryRegistryLog()
        let readiness = ServiceReadiness()
        let registry = SchemaRegistry(log: log, readiness: readiness, logger: logger)
        let router = RegistryAPI.router(registry: registry, configuration: RegistryAPIConfiguration(),
                                        metrics: PrometheusCollectorRegistry(), readiness: readiness)
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)), logger: logger)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await registry.run() }
            while !registry.readiness.isReady { try await Task.sleep(for: .milliseconds(10)) }
            defer { group.cancelAll() }
            let before = log.endOffset
            try await app.test(setup) { client in
                for entry in Corpus.cases("registry") {
                    try await Self.check(entry, client: client)
                }
                #expect(log.endOffset == before, "rejected requests wrote to the log")
                try await client.execute(uri: "/subjects/still-serving/versions", method: .post,
                                         headers: [.contentType: "application/vnd.schemaregistry.v1+json"],
                                         body: ByteBuffer(string: JSONValue.object([("schema", .string(Self.goodSchema))]).compactText)) {
                    #expect($0.status == .ok, "the registry stopped serving after the corpus")
                }
            }
        }
    }

    static func check(_ entry: Case, client: some TestClientProtocol) async throws {
        let input = entry.input
        let method = HTTPRequest.Method(input.method ?? "POST") ?? .post
        let path = try #require(input.path, "\(entry.file): no path")
        let file = try Corpus.bytes(entry.file)
        let body = Array([[UInt8]](repeating: file, count: max(1, input.repeat ?? 1)).joined())
        var headers: HTTPFields = [:]
        headers[.contentType] = input.contentType ?? "application/vnd.schemaregistry.v1+json"
        try await client.execute(uri: path, method: method, headers: headers, body: ByteBuffer(bytes: body)) { response in
            let json = try? JSONValue(parsing: String(buffer: response.body))
            #expect(Int(response.status.code) == entry.expect.status, "\(entry.file): HTTP \(response.status.code) \(String(buffer: response.body).prefix(300))")
            #expect(json?["error_code"]?.int64Value.map(Int.init) == entry.expect.errorCode, "\(entry.file): \(String(buffer: response.body).prefix(300))")
            let message = json?["message"]?.stringValue ?? ""
            #expect(!message.isEmpty, "\(entry.file): no message")
            if let fragment = entry.expect.message { #expect(message.contains(fragment), "\(entry.file): message \(message)") }
        }
    }
}
