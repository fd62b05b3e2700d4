import Hummingbird
import HummingbirdTesting
import Logging
import Prometheus
import ServiceSupport
import Testing

@Suite("Service configuration")
struct ServiceConfigurationTests {
    func parse(_ args: [String]) throws -> CommonServiceOptions { try CommonServiceOptions.parse(args) }

    @Test func flagsWinOverEnvironment() throws {
        let env = ServiceEnvironment(["KAFKA_BOOTSTRAP_SERVERS": "env:9092", "LOG_LEVEL": "debug", "HTTP_PORT": "9000"])
        let resolved = try parse(["--kafka-bootstrap-servers", "flag:9092", "--http-port", "8081"]).resolve(environment: env, defaultHTTPPort: 8080)
        #expect(resolved.kafkaBootstrapServers == "flag:9092")
        #expect(resolved.httpPort == 8081)
        #expect(resolved.logLevel == .debug)
    }

    @Test func environmentIsTheFallbackThenDefaults() throws {
        let env = ServiceEnvironment(["KAFKA_BOOTSTRAP_SERVERS": "env:9092", "KAFKA_PROPERTIES": "security.protocol=ssl,ssl.ca.location=/ca.pem"])
        let resolved = try parse(["--kafka-property", "sasl.mechanism=PLAIN"]).resolve(environment: env, defaultHTTPPort: 8080)
        #expect(resolved.kafkaBootstrapServers == "env:9092")
        #expect(resolved.httpPort == 8080)
        #expect(resolved.httpHost == "0.0.0.0")
        #expect(resolved.logLevel == .info)
        #expect(resolved.kafkaProperties == ["security.protocol": "ssl", "ssl.ca.location": "/ca.pem", "sasl.mechanism": "PLAIN"])
    }

    @Test func missingOrInvalidValuesSayWhatToSet() throws {
        #expect(throws: ConfigurationError.self) { try parse([]).resolve(environment: ServiceEnvironment([:]), defaultHTTPPort: 1) }
        do {
            _ = try parse([]).resolve(environment: ServiceEnvironment([:]), defaultHTTPPort: 1)
        } catch let e as ConfigurationError {
            #expect(e.message.contains("--kafka-bootstrap-servers") && e.message.contains("KAFKA_BOOTSTRAP_SERVERS"))
        }
        let base = ["KAFKA_BOOTSTRAP_SERVERS": "x:1"]
        #expect(throws: ConfigurationError.self) { try parse(["--kafka-property", "novalue"]).resolve(environment: ServiceEnvironment(base), defaultHTTPPort: 1) }
        #expect(throws: ConfigurationError.self) { try parse(["--log-level", "loud"]).resolve(environment: ServiceEnvironment(base), defaultHTTPPort: 1) }
        #expect(throws: ConfigurationError.self) {
            try parse([]).resolve(environment: ServiceEnvironment(base.merging(["HTTP_PORT": "eighty"]) { a, _ in a }), defaultHTTPPort: 1)
        }
    }
}

@Suite("Operational routes")
struct OperationalRoutesTests {
    @Test(arguments: [TestingSetup.router, .live])
    func healthAndMetrics(setup: TestingSetup) async throws {
        let registry = PrometheusCollectorRegistry()
        registry.makeCounter(name: "test_events_total", labels: [("kind", "a")]).increment(by: Int64(3))
        let readiness = ServiceReadiness()
        let router = Router()
        router.addOperationalRoutes(metrics: registry, readiness: readiness)
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        try await app.test(setup) { client in
            try await client.execute(uri: "/health/live", method: .get) { #expect($0.status == .ok) }
            try await client.execute(uri: "/health/ready", method: .get) { response in
                #expect(response.status == .serviceUnavailable)
                #expect(String(buffer: response.body).contains("starting"))
            }
            readiness.markReady()
            try await client.execute(uri: "/health/ready", method: .get) { #expect($0.status == .ok) }
            readiness.markNotReady("kafka unreachable")
            try await client.execute(uri: "/health/ready", method: .get) { response in
                #expect(response.status == .serviceUnavailable)
                #expect(String(buffer: response.body).contains("kafka unreachable"))
            }
            try await client.execute(uri: "/metrics", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType]?.hasPrefix("text/plain") == true)
                #expect(String(buffer: response.body).contains(#"test_events_total{kind="a"} 3"#))
            }
        }
    }
}
