import Logging

/// How a client connects: security settings as named constants plus raw librdkafka properties.
public struct KafkaSecurityProtocol: Sendable, Hashable {
    let value: String
    public static let plaintext = KafkaSecurityProtocol(value: "plaintext")
    public static let ssl = KafkaSecurityProtocol(value: "ssl")
    public static let saslPlaintext = KafkaSecurityProtocol(value: "sasl_plaintext")
    public static let saslSSL = KafkaSecurityProtocol(value: "sasl_ssl")
}

/// Settings shared by producers, consumers and admin clients.
public struct KafkaClientConfiguration: Sendable {
    /// `host:port[,host:port]`.
    public var bootstrapServers: String
    /// Reported to the brokers. Default `price-pipeline`.
    public var clientID: String = "price-pipeline"
    /// Default `.plaintext`.
    public var securityProtocol: KafkaSecurityProtocol = .plaintext
    /// How often librdkafka emits statistics to `statisticsHandler`; nil (default) disables them.
    public var statisticsInterval: Duration?
    /// Receives librdkafka's statistics JSON. Default: none.
    public var statisticsHandler: (@Sendable (String) -> Void)?
    /// Any librdkafka property, applied last (TLS files, SASL credentials, tuning).
    public var properties: [String: String] = [:]
    /// Where librdkafka's log and error events go.
    public var logger: Logger

    public init(bootstrapServers: String, logger: Logger = Logger(label: "kafka")) {
        self.bootstrapServers = bootstrapServers
        self.logger = logger
    }

    func librdkafkaProperties() -> [String: String] {
        var p: [String: String] = [
            "bootstrap.servers": bootstrapServers,
            "client.id": clientID,
            "security.protocol": securityProtocol.value,
        ]
        if let statisticsInterval { p["statistics.interval.ms"] = String(statisticsInterval.milliseconds) }
        return p
    }
}

/// A producer's compression codec.
public struct KafkaCompression: Sendable, Hashable {
    let value: String
    public static let none = KafkaCompression(value: "none")
    public static let gzip = KafkaCompression(value: "gzip")
    public static let snappy = KafkaCompression(value: "snappy")
    public static let lz4 = KafkaCompression(value: "lz4")
    public static let zstd = KafkaCompression(value: "zstd")
}

/// A producer's settings.
public struct KafkaProducerConfiguration: Sendable {
    public var client: KafkaClientConfiguration
    /// Exactly-once per partition within a session. Default true.
    public var idempotent: Bool = true
    /// Enables the transactional API when set. Default nil.
    public var transactionalID: String?
    /// Transactions still open after this are aborted by the broker. Default 60 s.
    public var transactionTimeout: Duration = .seconds(60)
    /// How long a record may wait for delivery before it fails with a timeout. Default 30 s.
    public var deliveryTimeout: Duration = .seconds(30)
    /// How long to wait to fill a batch. Default 5 ms.
    public var linger: Duration = .milliseconds(5)
    /// Default `zstd`.
    public var compression: KafkaCompression = .zstd

    public init(client: KafkaClientConfiguration) {
        self.client = client
    }

    func librdkafkaProperties() -> [String: String] {
        var p = client.librdkafkaProperties()
        p["enable.idempotence"] = idempotent || transactionalID != nil ? "true" : "false"
        p["acks"] = "all"
        p["message.timeout.ms"] = String(deliveryTimeout.milliseconds)
        p["linger.ms"] = String(linger.milliseconds)
        p["compression.type"] = compression.value
        if let transactionalID {
            p["transactional.id"] = transactionalID
            p["transaction.timeout.ms"] = String(transactionTimeout.milliseconds)
        }
        return p.merging(client.properties) { _, raw in raw }
    }
}

/// Where a consumer without a stored position starts.
public enum KafkaAutoOffsetReset: String, Sendable { case earliest, latest }

/// Which records a consumer sees from transactional producers.
public enum KafkaIsolationLevel: String, Sendable {
    case readCommitted = "read_committed"
    case readUncommitted = "read_uncommitted"
}

/// How partitions are shared in a group.
public enum KafkaAssignmentStrategy: String, Sendable {
    /// Eager: every rebalance revokes everything, then assigns.
    case range, roundrobin
    /// Incremental: only moved partitions are revoked and assigned.
    case cooperativeSticky = "cooperative-sticky"
}

/// A consumer's settings.
public struct KafkaConsumerConfiguration: Sendable {
    public var client: KafkaClientConfiguration
    public var groupID: String
    /// Default `.earliest`.
    public var autoOffsetReset: KafkaAutoOffsetReset = .earliest
    /// Default `.readCommitted`.
    public var isolationLevel: KafkaIsolationLevel = .readCommitted
    /// Default `.cooperativeSticky`.
    public var assignmentStrategy: KafkaAssignmentStrategy = .cooperativeSticky
    /// Default 10 s (`session.timeout.ms`).
    public var sessionTimeout: Duration = .seconds(10)
    /// Default 1 s (`heartbeat.interval.ms`).
    public var heartbeatInterval: Duration = .seconds(1)
    /// Offsets are committed only by `commit(_:)`. Default false.
    public var autoCommit: Bool = false
    /// Called inside librdkafka's rebalance callback; see `KafkaRebalanceHandler`.
    public var rebalanceHandler: KafkaRebalanceHandler?

    public init(client: KafkaClientConfiguration, groupID: String) {
        self.client = client
        self.groupID = groupID
    }

    func librdkafkaProperties() -> [String: String] {
        var p = client.librdkafkaProperties()
        p["group.id"] = groupID
        p["auto.offset.reset"] = autoOffsetReset.rawValue
        p["isolation.level"] = isolationLevel.rawValue
        p["partition.assignment.strategy"] = assignmentStrategy.rawValue
        p["session.timeout.ms"] = String(sessionTimeout.milliseconds)
        p["heartbeat.interval.ms"] = String(heartbeatInterval.milliseconds)
        p["enable.auto.commit"] = autoCommit ? "true" : "false"
        p["enable.auto.offset.store"] = "false"
        p["enable.partition.eof"] = "false"
        return p.merging(client.properties) { _, raw in raw }
    }
}

/// The caller's part in a rebalance. Both closures run inside librdkafka's
/// rebalance callback, on the consumer's own thread, before librdkafka applies the change.
/// - Important: the consumer's `poll` and `close` wait for the handler, so the handler must
///   not call them; reading a database (the sink's stored offsets) is what it is for.
public struct KafkaRebalanceHandler: Sendable {
    /// Given newly assigned partitions, returns where each should start. Partitions
    /// left out start at their committed offset (or `autoOffsetReset`).
    /// If it throws `attempts` times (or times out), the consumer fails fatally: `poll` throws a
    /// fatal `.rebalanceHook` error; close the consumer and create a new one.
    public var assigned: @Sendable ([KafkaTopicPartition]) async throws -> [KafkaTopicPartition: KafkaOffset]
    /// Called with partitions about to be revoked (`lost` when the group already gave them away).
    public var revoked: @Sendable (_ partitions: [KafkaTopicPartition], _ lost: Bool) async -> Void
    /// How often `assigned` is tried before the consumer fails fatally. Default 3.
    public var attempts: Int
    /// How long one call of either closure may take before it is cancelled; keep it well under
    /// `max.poll.interval.ms`. Default 20 s.
    public var timeout: Duration

    public init(attempts: Int = 3, timeout: Duration = .seconds(20),
                assigned: @escaping @Sendable ([KafkaTopicPartition]) async throws -> [KafkaTopicPartition: KafkaOffset],
                revoked: @escaping @Sendable ([KafkaTopicPartition], Bool) async -> Void = { _, _ in }) {
        self.assigned = assigned
        self.revoked = revoked
        self.attempts = attempts
        self.timeout = timeout
    }
}

extension Duration {
    var milliseconds: Int64 {
        let (s, atto) = components
        let (ms, overflow) = s.multipliedReportingOverflow(by: 1000)
        if overflow { return s < 0 ? Int64.min : Int64.max }
        return ms.addingReportingOverflow(atto / 1_000_000_000_000_000).overflow ? Int64.max : ms + atto / 1_000_000_000_000_000
    }

    /// Milliseconds clamped to 0 ... Int32.max (~24.8 days), as librdkafka's timeouts take them.
    var clampedMilliseconds: Int64 { Swift.min(Swift.max(milliseconds, 0), Int64(Int32.max)) }

    /// A librdkafka timeout argument.
    var rdkafkaMilliseconds: Int32 { Int32(clampedMilliseconds) }
}
