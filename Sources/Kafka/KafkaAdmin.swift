import CRdKafka
import Dispatch
import Foundation
import Logging

/// A topic to create.
public struct KafkaNewTopic: Sendable, Hashable {
    public var name: String
    public var partitions: Int
    public var replicationFactor: Int
    /// Topic configs, e.g. `["cleanup.policy": "compact"]`.
    public var configs: [String: String]
    public init(name: String, partitions: Int, replicationFactor: Int = 1, configs: [String: String] = [:]) {
        self.name = name
        self.partitions = partitions
        self.replicationFactor = replicationFactor
        self.configs = configs
    }
}

/// A topic as the cluster describes it.
public struct KafkaTopicDescription: Sendable, Hashable {
    public var name: String
    public var partitions: Int
    /// Topic configs as the broker reports them (for example `cleanup.policy`).
    public var configs: [String: String]
}

/// Topic administration (create, list, describe, delete) and offset queries (end offsets, a group's committed offsets).
public final class KafkaAdmin: Sendable {
    let client: RDKafkaClient
    private let poller: RDKafkaPoller
    let executor = RDKafkaBlockingExecutor(label: "kafka.admin")
    let configuration: KafkaClientConfiguration

    /// - Throws: `KafkaError.configuration` for a rejected property.
    public init(configuration: KafkaClientConfiguration) throws {
        self.configuration = configuration
        let context = RDKafkaCallbackContext(client: configuration, rebalanceHandler: nil)
        client = try RDKafkaClient(kind: .producer,
                                   properties: configuration.librdkafkaProperties().merging(configuration.properties) { _, raw in raw },
                                   context: context)
        poller = RDKafkaPoller(client: client)
    }

    deinit {
        let poller = self.poller, client = self.client
        DispatchQueue.global().async {
            poller.stop()
            client.destroy()
        }
    }

    /// Creates topics.
    /// - Parameter ifNotExists: treat "already exists" as success (default true).
    /// - Throws: `KafkaError.topicAdministration` naming each topic that failed, or `.timeout`.
    public func createTopics(_ topics: [KafkaNewTopic], ifNotExists: Bool = true, timeout: Duration = .seconds(30)) async throws {
        let client = self.client
        try await executor.run {
            var errstr = [CChar](repeating: 0, count: 512)
            var newTopics: [OpaquePointer?] = []
            defer { for t in newTopics { rd_kafka_NewTopic_destroy(t) } }
            for t in topics {
                guard let nt = rd_kafka_NewTopic_new(t.name, Int32(t.partitions), Int32(t.replicationFactor), &errstr, errstr.count) else {
                    throw KafkaError(.invalidArgument, "topic \(t.name): \(errstr.nulTerminatedString)")
                }
                newTopics.append(nt)
                for (k, v) in t.configs.sorted(by: { $0.key < $1.key }) {
                    let err = rd_kafka_NewTopic_set_config(nt, k, v)
                    if err != RD_KAFKA_RESP_ERR_NO_ERROR { throw KafkaError.rdkafka(err, "topic \(t.name) config \(k)", code: .topicAdministration) }
                }
            }
            let queue = rd_kafka_queue_new(client.handle)
            defer { rd_kafka_queue_destroy(queue) }
            let options = rd_kafka_AdminOptions_new(client.handle, RD_KAFKA_ADMIN_OP_CREATETOPICS)
            defer { rd_kafka_AdminOptions_destroy(options) }
            _ = rd_kafka_AdminOptions_set_operation_timeout(options, timeout.rdkafkaMilliseconds, &errstr, errstr.count)
            _ = rd_kafka_AdminOptions_set_request_timeout(options, timeout.rdkafkaMilliseconds, &errstr, errstr.count)
            newTopics.withUnsafeMutableBufferPointer { buf in
                rd_kafka_CreateTopics(client.handle, buf.baseAddress, buf.count, options, queue)
            }
            let event = try RDKafkaAdminEvent.wait(queue, timeout: timeout, what: "creating topics")
            defer { rd_kafka_event_destroy(event) }
            let result = rd_kafka_event_CreateTopics_result(event)
            var count = 0
            guard let results = rd_kafka_CreateTopics_result_topics(result, &count) else { return }
            var failures: [String] = []
            for i in 0..<count {
                let r = results[i]
                let err = rd_kafka_topic_result_error(r)
                if err == RD_KAFKA_RESP_ERR_NO_ERROR || (ifNotExists && err == RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) { continue }
                let msg = rd_kafka_topic_result_error_string(r).map { String(cString: $0) } ?? String(cString: rd_kafka_err2str(err))
                failures.append("\(String(cString: rd_kafka_topic_result_name(r))): \(msg)")
            }
            if !failures.isEmpty { throw KafkaError(.topicAdministration, "could not create topics: \(failures.joined(separator: "; "))") }
        }
    }

    /// Names and partition counts of every topic in the cluster.
    public func listTopics(timeout: Duration = .seconds(10)) async throws -> [String: Int] {
        let client = self.client
        return try await executor.run {
            var out: [String: Int] = [:]
            for t in try client.metadata(topic: nil, timeout: timeout) where t.error == 0 { out[t.name] = t.partitions }
            return out
        }
    }

    /// Partition count and configs of one topic.
    /// - Throws: `KafkaError.topicAdministration` when the topic does not exist.
    public func describeTopic(_ name: String, timeout: Duration = .seconds(10)) async throws -> KafkaTopicDescription {
        let client = self.client
        return try await executor.run {
            guard let t = try client.metadata(topic: nil, timeout: timeout).first(where: { $0.name == name }) else {
                throw KafkaError(.topicAdministration, "topic \(name) does not exist")
            }
            var configs: [String: String] = [:]
            let queue = rd_kafka_queue_new(client.handle)
            defer { rd_kafka_queue_destroy(queue) }
            var resource = rd_kafka_ConfigResource_new(RD_KAFKA_RESOURCE_TOPIC, name)
            defer { rd_kafka_ConfigResource_destroy(resource) }
            rd_kafka_DescribeConfigs(client.handle, &resource, 1, nil, queue)
            let event = try RDKafkaAdminEvent.wait(queue, timeout: timeout, what: "describing topic \(name)")
            defer { rd_kafka_event_destroy(event) }
            var count = 0
            if let results = rd_kafka_DescribeConfigs_result_resources(rd_kafka_event_DescribeConfigs_result(event), &count), count > 0 {
                var entryCount = 0
                if let entries = rd_kafka_ConfigResource_configs(results[0], &entryCount) {
                    for i in 0..<entryCount {
                        let e = entries[i]
                        if let v = rd_kafka_ConfigEntry_value(e) { configs[String(cString: rd_kafka_ConfigEntry_name(e))] = String(cString: v) }
                    }
                }
            }
            return KafkaTopicDescription(name: name, partitions: t.partitions, configs: configs)
        }
    }
}

extension KafkaAdmin {
    /// Deletes topics; topics that do not exist are ignored when `ifExists` (default true).
    /// - Throws: `KafkaError.topicAdministration` naming each topic that failed, or `.timeout`.
    public func deleteTopics(_ names: [String], ifExists: Bool = true, timeout: Duration = .seconds(30)) async throws {
        let client = self.client
        try await executor.run {
            var deletes: [OpaquePointer?] = names.map { rd_kafka_DeleteTopic_new($0) }
            defer { for d in deletes { rd_kafka_DeleteTopic_destroy(d) } }
            let queue = rd_kafka_queue_new(client.handle)
            defer { rd_kafka_queue_destroy(queue) }
            let options = rd_kafka_AdminOptions_new(client.handle, RD_KAFKA_ADMIN_OP_DELETETOPICS)
            defer { rd_kafka_AdminOptions_destroy(options) }
            var errstr = [CChar](repeating: 0, count: 512)
            _ = rd_kafka_AdminOptions_set_operation_timeout(options, timeout.rdkafkaMilliseconds, &errstr, errstr.count)
            _ = rd_kafka_AdminOptions_set_request_timeout(options, timeout.rdkafkaMilliseconds, &errstr, errstr.count)
            deletes.withUnsafeMutableBufferPointer { buf in
                rd_kafka_DeleteTopics(client.handle, buf.baseAddress, buf.count, options, queue)
            }
            let event = try RDKafkaAdminEvent.wait(queue, timeout: timeout, what: "deleting topics")
            defer { rd_kafka_event_destroy(event) }
            var count = 0
            guard let results = rd_kafka_DeleteTopics_result_topics(rd_kafka_event_DeleteTopics_result(event), &count) else { return }
            var failures: [String] = []
            for i in 0..<count {
                let err = rd_kafka_topic_result_error(results[i])
                if err == RD_KAFKA_RESP_ERR_NO_ERROR || (ifExists && err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART) { continue }
                failures.append("\(String(cString: rd_kafka_topic_result_name(results[i]))): \(String(cString: rd_kafka_err2str(err)))")
            }
            if !failures.isEmpty { throw KafkaError(.topicAdministration, "could not delete topics: \(failures.joined(separator: "; "))") }
        }
    }

    /// The end offset (high watermark) of every partition of `topic`, asked of each leader.
    public func endOffsets(topic: String, timeout: Duration = .seconds(10)) async throws -> [KafkaTopicPartition: Int64] {
        let client = self.client
        return try await executor.run {
            guard let t = try client.metadata(topic: nil, timeout: timeout).first(where: { $0.name == topic }) else {
                throw KafkaError(.topicAdministration, "topic \(topic) does not exist")
            }
            var out: [KafkaTopicPartition: Int64] = [:]
            for p in 0..<Int32(t.partitions) {
                let tp = KafkaTopicPartition(topic: topic, partition: p)
                out[tp] = try RDKafkaOffsets.watermarks(client.handle, tp, timeout: timeout).high
            }
            return out
        }
    }

    /// The offsets `group` has committed for `partitions` (nil where none), read without
    /// joining the group.
    public func committedOffsets(group: String, partitions: [KafkaTopicPartition], timeout: Duration = .seconds(10)) async throws -> [KafkaTopicPartition: Int64?] {
        var properties = configuration.librdkafkaProperties().merging(configuration.properties) { _, raw in raw }
        properties["group.id"] = group
        properties["enable.auto.commit"] = "false"
        let context = RDKafkaCallbackContext(client: configuration, rebalanceHandler: nil)
        let reader = try RDKafkaClient(kind: .consumer, properties: properties, context: context)
        return try await executor.run {
            defer { reader.destroy() }
            return try RDKafkaOffsets.committed(reader.handle, partitions, timeout: timeout)
        }
    }
}

enum RDKafkaAdminEvent {
    /// Waits for an admin result on `queue` and checks its top-level error.
    static func wait(_ queue: OpaquePointer?, timeout: Duration, what: String) throws -> OpaquePointer {
        guard let event = rd_kafka_queue_poll(queue, Int32(min(timeout.clampedMilliseconds + 1000, Int64(Int32.max)))) else {
            throw KafkaError(.timeout, "\(what): no answer within \(timeout)", isRetriable: true)
        }
        let err = rd_kafka_event_error(event)
        if err != RD_KAFKA_RESP_ERR_NO_ERROR {
            let text = rd_kafka_event_error_string(event).map { String(cString: $0) } ?? ""
            rd_kafka_event_destroy(event)
            var e = KafkaError.rdkafka(err, what, code: .topicAdministration)
            e.message += " (\(text))"
            throw e
        }
        return event
    }
}

/// librdkafka's built-in mock cluster, for fault injection in tests (brokers going down,
/// request errors). It lives inside its own client handle.
public final class KafkaMockCluster: @unchecked Sendable {
    private let client: RDKafkaClient
    private let cluster: OpaquePointer
    /// Bootstrap servers of the mock brokers (127.0.0.1 ports).
    public let bootstrapServers: String

    /// Starts a mock cluster with `brokers` brokers.
    public init(brokers: Int = 1) throws {
        let context = RDKafkaCallbackContext(logger: Logger(label: "kafka.mock"), statisticsHandler: nil, rebalanceHandler: nil)
        client = try RDKafkaClient(kind: .producer, properties: [:], context: context)
        guard let cluster = rd_kafka_mock_cluster_new(client.handle, Int32(brokers)) else {
            throw KafkaError(.configuration, "could not start librdkafka's mock cluster")
        }
        self.cluster = cluster
        bootstrapServers = String(cString: rd_kafka_mock_cluster_bootstraps(cluster))
    }

    deinit {
        rd_kafka_mock_cluster_destroy(cluster)
        client.destroy()
    }

    /// Creates a topic on the mock cluster.
    public func createTopic(_ name: String, partitions: Int) throws {
        let err = rd_kafka_mock_topic_create(cluster, name, Int32(partitions), 1)
        if err != RD_KAFKA_RESP_ERR_NO_ERROR { throw KafkaError.rdkafka(err, "creating mock topic") }
    }

    /// Takes a broker down (connections refused) or brings it back.
    public func setBroker(_ id: Int32, up: Bool) {
        _ = up ? rd_kafka_mock_broker_set_up(cluster, id) : rd_kafka_mock_broker_set_down(cluster, id)
    }
}
