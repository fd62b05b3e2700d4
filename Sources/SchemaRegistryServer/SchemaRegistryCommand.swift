import ArgumentParser
import Foundation
import Hummingbird
import Kafka
import Logging
import SchemaRegistry
import ServiceSupport

@main
struct SchemaRegistryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "schema-registry",
        abstract: "A Confluent-compatible schema registry whose state lives in a compacted Kafka topic.")

    @OptionGroup var common: CommonServiceOptions

    @Option(help: "Topic that holds the registry's state (env SCHEMA_REGISTRY_TOPIC; default _schemas).")
    var schemasTopic: String?

    @Option(help: "Replication factor when the topic is created (env SCHEMA_REGISTRY_TOPIC_REPLICATION_FACTOR; default 1).")
    var topicReplicationFactor: Int?

    @Option(help: "Largest request body in bytes (env SCHEMA_REGISTRY_MAX_BODY_BYTES; default 1048576).")
    var maxBodyBytes: Int?

    @Option(help: "Deepest schema nesting a registration may have, checked before it is written to the log (env SCHEMA_REGISTRY_MAX_SCHEMA_DEPTH; default 64, at most 256).")
    var maxSchemaDepth: Int?

    @Option(help: "File of basic-auth users, one user:password a line (env SCHEMA_REGISTRY_BASIC_AUTH_USERS_FILE).")
    var basicAuthUsersFile: String?

    func run() async throws {
        let environment = ServiceEnvironment()
        let options = try common.resolve(environment: environment, defaultHTTPPort: 8081)
        let metrics = ServiceObservability.bootstrap(logLevel: options.logLevel)
        let logger = Logger(label: "schema-registry")

        var api = RegistryAPIConfiguration()
        api.maxBodyBytes = try environment.integer(flag: maxBodyBytes, flagName: "--max-body-bytes", env: "SCHEMA_REGISTRY_MAX_BODY_BYTES", default: 1 << 20)
        api.basicAuthUsers = try RegistryAPIConfiguration.basicAuthUsers(file: environment.value(flag: basicAuthUsersFile, env: "SCHEMA_REGISTRY_BASIC_AUTH_USERS_FILE"),
                                                     inline: environment.value(flag: nil, env: "SCHEMA_REGISTRY_BASIC_AUTH_USERS"))
        var registryConfig = SchemaRegistry.Configuration()
        registryConfig.limits.maxDepth = try environment.integer(flag: maxSchemaDepth, flagName: "--max-schema-depth",
                                                                 env: "SCHEMA_REGISTRY_MAX_SCHEMA_DEPTH", default: 64)
        // Records are applied with the log's fixed limits: a deeper API limit would accept what the log then refuses.
        guard (1...SchemaLimits.log.maxDepth).contains(registryConfig.limits.maxDepth) else {
            throw ConfigurationError("--max-schema-depth / SCHEMA_REGISTRY_MAX_SCHEMA_DEPTH must be between 1 and \(SchemaLimits.log.maxDepth)")
        }
        let topic = environment.value(flag: schemasTopic, env: "SCHEMA_REGISTRY_TOPIC", default: "_schemas")!
        let replication = try environment.integer(flag: topicReplicationFactor, flagName: "--topic-replication-factor",
                                                  env: "SCHEMA_REGISTRY_TOPIC_REPLICATION_FACTOR", default: 1)

        var kafka = KafkaClientConfiguration(bootstrapServers: options.kafkaBootstrapServers, logger: Logger(label: "schema-registry.kafka"))
        kafka.clientID = "schema-registry"
        kafka.properties = options.kafkaProperties
        let log = try await KafkaRegistryLog.open(topic: topic, client: kafka, replicationFactor: replication)
        let readiness = ServiceReadiness()
        let registry = SchemaRegistry(log: log, configuration: registryConfig, readiness: readiness, logger: logger)

        let router = RegistryAPI.router(registry: registry, configuration: api, metrics: metrics, readiness: readiness)
        let app = Application(router: router, configuration: .init(address: .hostname(options.httpHost, port: options.httpPort),
                                                                  serverName: "schema-registry"),
                              logger: logger)
        logger.info("starting", metadata: ["topic": "\(topic)", "http": "\(options.httpHost):\(options.httpPort)"])
        try await runServiceGroup([registry, app], logger: logger)
        await log.close()
    }
}
