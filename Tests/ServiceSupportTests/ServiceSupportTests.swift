import Foundation
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

    @Test func kafkaPropertiesSplitAtSemicolonsOrNewlinesSoValuesMayHoldCommas() throws {
        let jaas = #"org.apache.kafka.common.security.plain.PlainLoginModule required username="a,b" password="c";"#
        for separator in [";", "\n", " ; ", "\r\n"] {
            let inline = "sasl.jaas.config=\(jaas.dropLast())\(separator)ssl.cipher.suites=TLS_A,TLS_B\(separator)"
            let env = ServiceEnvironment(["KAFKA_BOOTSTRAP_SERVERS": "x:1", "KAFKA_PROPERTIES": inline])
            let resolved = try parse([]).resolve(environment: env, defaultHTTPPort: 1)
            #expect(resolved.kafkaProperties == ["sasl.jaas.config": String(jaas.dropLast()), "ssl.cipher.suites": "TLS_A,TLS_B"],
                    "separator \(separator.debugDescription)")
        }
    }

    @Test func kafkaPropertiesComeFromAFileThenTheEnvironmentThenFlags() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("kafka-\(UUID().uuidString).properties")
        try """
            # client security
            security.protocol = SASL_SSL

            ssl.cipher.suites=TLS_A,TLS_B
              # indented comment
            sasl.mechanism=PLAIN
            client.id=from-file
            """.write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        let env = ServiceEnvironment(["KAFKA_BOOTSTRAP_SERVERS": "x:1", "KAFKA_PROPERTIES_FILE": file.path,
                                      "KAFKA_PROPERTIES": "sasl.mechanism=SCRAM-SHA-512,client.id=from-env"])
        let resolved = try parse(["--kafka-property", "client.id=from-flag"]).resolve(environment: env, defaultHTTPPort: 1)
        #expect(resolved.kafkaProperties == ["security.protocol": "SASL_SSL", "ssl.cipher.suites": "TLS_A,TLS_B",
                                             "sasl.mechanism": "SCRAM-SHA-512", "client.id": "from-flag"])
        // The flag names a file too, and wins over the environment's.
        let flagged = try parse(["--kafka-properties-file", file.path]).resolve(
            environment: ServiceEnvironment(["KAFKA_BOOTSTRAP_SERVERS": "x:1", "KAFKA_PROPERTIES_FILE": "/nonexistent"]), defaultHTTPPort: 1)
        #expect(flagged.kafkaProperties["client.id"] == "from-file")
        #expect(throws: ConfigurationError.self) {
            try parse([]).resolve(environment: ServiceEnvironment(["KAFKA_BOOTSTRAP_SERVERS": "x:1", "KAFKA_PROPERTIES_FILE": "/nonexistent"]),
                                  defaultHTTPPort: 1)
        }
        // The file's lines are split at newlines only, so its values may hold ';'.
        try "sasl.oauthbearer.config=scope=a;extension_x=y\n".write(to: file, atomically: true, encoding: .utf8)
        let semicolons = try parse([]).resolve(environment: ServiceEnvironment(["KAFKA_BOOTSTRAP_SERVERS": "x:1", "KAFKA_PROPERTIES_FILE": file.path]),
                                               defaultHTTPPort: 1)
        #expect(semicolons.kafkaProperties == ["sasl.oauthbearer.config": "scope=a;extension_x=y"])
        try "not a property\n".write(to: file, atomically: true, encoding: .utf8)
        #expect(throws: ConfigurationError.self) {
            try parse([]).resolve(environment: ServiceEnvironment(["KAFKA_BOOTSTRAP_SERVERS": "x:1", "KAFKA_PROPERTIES_FILE": file.path]),
                                  defaultHTTPPort: 1)
        }
    }

    @Test func malformedPropertiesAreNamedByPositionNeverByTheirValue() throws {
        func message(_ env: [String: String], _ args: [String] = []) -> String {
            do {
                _ = try parse(args).resolve(environment: ServiceEnvironment(["KAFKA_BOOTSTRAP_SERVERS": "x:1"].merging(env) { $1 }), defaultHTTPPort: 1)
                return "accepted"
            } catch {
                return "\(error)"
            }
        }
        let comma = message(["KAFKA_PROPERTIES": "sasl.username=u,sasl.password=pa55,w0rd"])
        #expect(comma.contains("entry 3 of KAFKA_PROPERTIES") && comma.contains("';'") && !comma.contains("w0rd") && !comma.contains("pa55"), "\(comma)")
        let colon = message(["KAFKA_PROPERTIES": "security.protocol=SSL;sasl.password: hunter2"])
        #expect(colon.contains("entry 2 ('sasl.password') of KAFKA_PROPERTIES") && !colon.contains("hunter2"), "\(colon)")
        let flag = message([:], ["--kafka-property", "s3cret"])
        #expect(flag.contains("entry 1 of --kafka-property") && !flag.contains("s3cret"), "\(flag)")
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("kafka-\(UUID().uuidString).properties")
        try "# comment\n\nsecurity.protocol=SSL\nssl.key.password hunter2\n".write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        let lined = message(["KAFKA_PROPERTIES_FILE": file.path])
        #expect(lined.contains("line 4 ('ssl.key.password') of the Kafka properties file") && lined.contains("KAFKA_PROPERTIES_FILE") && !lined.contains("hunter2"),
                "\(lined)")
    }

    @Test func theHelpTextDocumentsTheSeparatorsAndTheFile() {
        let help = CommonServiceOptions.helpMessage(columns: 400)
        #expect(help.contains("KAFKA_PROPERTIES_FILE"))
        #expect(help.contains("--kafka-properties-file"))
        #expect(help.contains("';' or newlines"))
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
