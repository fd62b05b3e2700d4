import Kafka
import PriceModel

/// Everything a sink process needs to know.
public struct SinkConfiguration: Sendable {
    public var kafka: KafkaClientConfiguration
    public var databaseURL: String
    public var group: String = "price-sink"
    public var candleTopic: String = PipelineTopics.candles
    public var fxTopic: String = PipelineTopics.fxRates
    public var dlqTopic: String = PipelineTopics.candlesDLQ
    /// Largest batch in records. Default 50,000.
    public var maxBatchRecords: Int = 50_000
    /// Largest batch in value bytes. Default 16 MiB.
    public var maxBatchBytes: Int = 16 << 20
    /// Postgres connections that write the partitions of one batch in parallel, each group of
    /// partitions in its own transaction with its own compare-and-set. Default 2.
    public var writers: Int = 2
    /// Longest a batch waits to fill. Default 200 ms.
    public var maxBatchWait: Duration = .milliseconds(200)
    /// Partitions of topics the sink creates when they are missing.
    public var candlePartitions: Int = PipelineTopics.candlePartitions
    public var fxPartitions: Int = PipelineTopics.fxPartitions
    public var replicationFactor: Int = 1
    /// Consumer session timeout (`session.timeout.ms`). Default 10 s.
    public var sessionTimeout: Duration = .seconds(10)
    /// A server-side limit for each statement. Default 60 s.
    public var statementTimeout: Duration = .seconds(60)

    public init(kafka: KafkaClientConfiguration, databaseURL: String) {
        self.kafka = kafka
        self.databaseURL = databaseURL
    }

    public var topics: [String] { [candleTopic, fxTopic] }
}
