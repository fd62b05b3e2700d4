import Foundation
import Kafka
import Logging
import Testing

/// Integration tests find the broker through KAFKA_BOOTSTRAP_SERVERS (scripts/test sets it).
enum KafkaTestEnvironment {
    static var bootstrapServers: String {
        get throws {
            guard let value = ProcessInfo.processInfo.environment["KAFKA_BOOTSTRAP_SERVERS"], !value.isEmpty else {
                throw TestEnvironmentError(message: "KAFKA_BOOTSTRAP_SERVERS is not set: run the tests with scripts/test")
            }
            return value
        }
    }

    static func unique(_ prefix: String) -> String { "\(prefix)-\(UUID().uuidString.prefix(8).lowercased())" }

    static func client() throws -> KafkaClientConfiguration {
        var logger = Logger(label: "kafka.test")
        logger.logLevel = .warning
        return KafkaClientConfiguration(bootstrapServers: try bootstrapServers, logger: logger)
    }

    static func createTopic(_ name: String, partitions: Int, configs: [String: String] = [:]) async throws {
        let admin = try KafkaAdmin(configuration: try client())
        try await admin.createTopics([KafkaNewTopic(name: name, partitions: partitions, configs: configs)])
    }

    static func consumer(group: String, strategy: KafkaAssignmentStrategy = .cooperativeSticky,
                         isolation: KafkaIsolationLevel = .readCommitted, handler: KafkaRebalanceHandler? = nil) throws -> KafkaConsumer {
        var config = KafkaConsumerConfiguration(client: try client(), groupID: group)
        config.sessionTimeout = .seconds(6)
        config.heartbeatInterval = .milliseconds(500)
        config.assignmentStrategy = strategy
        config.isolationLevel = isolation
        config.rebalanceHandler = handler
        return try KafkaConsumer(configuration: config)
    }

    /// Polls until `count` records arrived or `timeout` passed.
    static func drain(_ consumer: KafkaConsumer, count: Int, timeout: Duration = .seconds(30)) async throws -> [KafkaRecord] {
        var records: [KafkaRecord] = []
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        while records.count < count, clock.now < deadline {
            records += try await consumer.poll(maxRecords: 100, timeout: .milliseconds(200))
        }
        return records
    }
}

struct TestEnvironmentError: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}
