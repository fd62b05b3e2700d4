import CRdKafka
import Dispatch
import Foundation
import Logging

/// A consumer-group member over librdkafka.
///
/// `poll` runs `rd_kafka_consumer_poll` on the consumer's own dispatch queue, which also
/// serves rebalances (through `KafkaRebalanceHandler`), errors and statistics: keep polling.
public final class KafkaConsumer: Sendable {
    private let client: RDKafkaClient
    private let pollExecutor: RDKafkaBlockingExecutor
    private let executor: RDKafkaBlockingExecutor
    public let configuration: KafkaConsumerConfiguration

    /// Creates the consumer; call `subscribe` or `assign` next.
    /// - Throws: `KafkaError.configuration` for a rejected property.
    public init(configuration: KafkaConsumerConfiguration) throws {
        self.configuration = configuration
        let context = RDKafkaCallbackContext(client: configuration.client, rebalanceHandler: configuration.rebalanceHandler)
        client = try RDKafkaClient(kind: .consumer, properties: configuration.librdkafkaProperties(), context: context)
        rd_kafka_poll_set_consumer(client.handle)
        pollExecutor = RDKafkaBlockingExecutor(label: "kafka.consumer.poll")
        executor = RDKafkaBlockingExecutor(label: "kafka.consumer.blocking")
    }

    deinit {
        // An unclosed consumer leaves its group inside rd_kafka_destroy, which blocks.
        let client = self.client
        DispatchQueue.global().async { client.destroy() }
    }

    private func checkOpen() throws {
        if client.closed { throw KafkaError(.closed, "the consumer is closed") }
    }

    /// Joins the group and subscribes to `topics`.
    public func subscribe(_ topics: [String]) throws {
        try checkOpen()
        let list = rd_kafka_topic_partition_list_new(Int32(topics.count))!
        defer { rd_kafka_topic_partition_list_destroy(list) }
        for t in topics { rd_kafka_topic_partition_list_add(list, t, RD_KAFKA_PARTITION_UA) }
        let err = rd_kafka_subscribe(client.handle, list)
        if err != RD_KAFKA_RESP_ERR_NO_ERROR { throw KafkaError.rdkafka(err, "subscribing to \(topics)") }
    }

    /// Consumes the given partitions from the given offsets, outside group management.
    public func assign(_ partitions: [KafkaTopicPartition: KafkaOffset]) throws {
        try checkOpen()
        let list = RDKafkaTopicPartitionList.make(partitions.map { ($0.key, $0.value.rawValue) })
        defer { rd_kafka_topic_partition_list_destroy(list) }
        let err = rd_kafka_assign(client.handle, list)
        if err != RD_KAFKA_RESP_ERR_NO_ERROR { throw KafkaError.rdkafka(err, "assigning \(partitions.keys)") }
    }

    /// Waits up to `timeout` for records and returns up to `maxRecords` of them (maybe none).
    /// - Throws: a broker error on a record, a fatal error, or `.rebalanceHook` when the hook failed.
    public func poll(maxRecords: Int = 500, timeout: Duration = .milliseconds(500)) async throws -> [KafkaRecord] {
        try checkOpen()
        let client = self.client
        return try await pollExecutor.run {
            var records: [KafkaRecord] = []
            let deadline = DispatchTime.now().uptimeNanoseconds + UInt64(max(0, timeout.milliseconds)) * 1_000_000
            while records.count < maxRecords {
                if let pending = client.context.takePending() { throw pending }
                if let fatal = client.context.fatalError { throw fatal }
                let now = DispatchTime.now().uptimeNanoseconds
                let waitMs = records.isEmpty && now < deadline ? Int32((deadline - now) / 1_000_000) : 0
                guard let message = rd_kafka_consumer_poll(client.handle, min(waitMs, 100)) else {
                    if !records.isEmpty || DispatchTime.now().uptimeNanoseconds >= deadline { break }
                    continue
                }
                defer { rd_kafka_message_destroy(message) }
                let m = message.pointee
                if m.err != RD_KAFKA_RESP_ERR_NO_ERROR {
                    let error = KafkaError.rdkafka(m.err, "consuming")
                    if error.isRetriable || m.err == RD_KAFKA_RESP_ERR__PARTITION_EOF {
                        client.context.logger.warning("consumer error: \(error)")
                        continue
                    }
                    throw error
                }
                records.append(KafkaConsumer.record(from: message))
            }
            if let pending = client.context.takePending() { throw pending }
            return records
        }
    }

    static func record(from message: UnsafeMutablePointer<rd_kafka_message_t>) -> KafkaRecord {
        let m = message.pointee
        var headers: [KafkaHeader] = []
        var hdrs: OpaquePointer?
        if rd_kafka_message_headers(message, &hdrs) == RD_KAFKA_RESP_ERR_NO_ERROR, let hdrs {
            var i = 0
            var name: UnsafePointer<CChar>?
            var value: UnsafeRawPointer?
            var size = 0
            while rd_kafka_header_get_all(hdrs, i, &name, &value, &size) == RD_KAFKA_RESP_ERR_NO_ERROR {
                headers.append(KafkaHeader(key: name.map { String(cString: $0) } ?? "",
                                           value: value.map { Array(UnsafeRawBufferPointer(start: $0, count: size)) }))
                i += 1
            }
        }
        var tsType = RD_KAFKA_TIMESTAMP_NOT_AVAILABLE
        let ts = rd_kafka_message_timestamp(message, &tsType)
        return KafkaRecord(
            topic: m.rkt.map { String(cString: rd_kafka_topic_name($0)) } ?? "",
            partition: m.partition,
            offset: m.offset,
            key: m.key.map { Array(UnsafeRawBufferPointer(start: $0, count: m.key_len)) },
            value: m.payload.map { Array(UnsafeRawBufferPointer(start: $0, count: m.len)) },
            headers: headers,
            timestampMilliseconds: tsType == RD_KAFKA_TIMESTAMP_NOT_AVAILABLE ? nil : ts)
    }

    /// Moves the fetch position of assigned partitions.
    public func seek(_ offsets: [KafkaTopicPartition: KafkaOffset], timeout: Duration = .seconds(10)) async throws {
        try checkOpen()
        let client = self.client
        let entries = offsets.map { ($0.key, $0.value.rawValue) }
        try await executor.run {
            let list = RDKafkaTopicPartitionList.make(entries)
            defer { rd_kafka_topic_partition_list_destroy(list) }
            if let error = rd_kafka_seek_partitions(client.handle, list, Int32(timeout.milliseconds)) {
                throw KafkaError.consuming(error, "seeking")
            }
            for (tp, _, err) in RDKafkaTopicPartitionList.read(list) where err != 0 {
                throw KafkaError.rdkafka(rd_kafka_resp_err_t(err), "seeking \(tp)")
            }
        }
    }

    /// Stops fetching from `partitions` (they stay assigned).
    public func pause(_ partitions: [KafkaTopicPartition]) throws {
        try pauseOrResume(partitions, pause: true)
    }

    /// Resumes fetching from paused `partitions`.
    public func resume(_ partitions: [KafkaTopicPartition]) throws {
        try pauseOrResume(partitions, pause: false)
    }

    private func pauseOrResume(_ partitions: [KafkaTopicPartition], pause: Bool) throws {
        try checkOpen()
        let list = RDKafkaTopicPartitionList.make(partitions.map { ($0, KafkaOffset.stored.rawValue) })
        defer { rd_kafka_topic_partition_list_destroy(list) }
        let err = pause ? rd_kafka_pause_partitions(client.handle, list) : rd_kafka_resume_partitions(client.handle, list)
        if err != RD_KAFKA_RESP_ERR_NO_ERROR { throw KafkaError.rdkafka(err, pause ? "pausing" : "resuming") }
    }

    /// Commits `offsets` (each the next offset to read) to the group, synchronously.
    public func commit(_ offsets: [KafkaTopicPartition: Int64]) async throws {
        try checkOpen()
        guard !offsets.isEmpty else { return }
        let client = self.client
        let entries = offsets.map { ($0.key, $0.value) }
        try await executor.run {
            let list = RDKafkaTopicPartitionList.make(entries)
            defer { rd_kafka_topic_partition_list_destroy(list) }
            let err = rd_kafka_commit(client.handle, list, 0)
            if err != RD_KAFKA_RESP_ERR_NO_ERROR { throw KafkaError.rdkafka(err, "committing offsets") }
        }
    }

    /// The group's committed offsets (nil where none).
    public func committed(_ partitions: [KafkaTopicPartition], timeout: Duration = .seconds(10)) async throws -> [KafkaTopicPartition: Int64?] {
        try checkOpen()
        let client = self.client
        return try await executor.run {
            let list = RDKafkaTopicPartitionList.make(partitions.map { ($0, KafkaOffset.stored.rawValue) })
            defer { rd_kafka_topic_partition_list_destroy(list) }
            let err = rd_kafka_committed(client.handle, list, Int32(timeout.milliseconds))
            if err != RD_KAFKA_RESP_ERR_NO_ERROR { throw KafkaError.rdkafka(err, "reading committed offsets") }
            var out: [KafkaTopicPartition: Int64?] = [:]
            for (tp, offset, _) in RDKafkaTopicPartitionList.read(list) { out[tp] = offset >= 0 ? offset : nil }
            return out
        }
    }

    /// The next offset this consumer will read for each partition (nil when unknown yet).
    public func position(_ partitions: [KafkaTopicPartition]) throws -> [KafkaTopicPartition: Int64?] {
        try checkOpen()
        let list = RDKafkaTopicPartitionList.make(partitions.map { ($0, KafkaOffset.stored.rawValue) })
        defer { rd_kafka_topic_partition_list_destroy(list) }
        let err = rd_kafka_position(client.handle, list)
        if err != RD_KAFKA_RESP_ERR_NO_ERROR { throw KafkaError.rdkafka(err, "reading positions") }
        var out: [KafkaTopicPartition: Int64?] = [:]
        for (tp, offset, _) in RDKafkaTopicPartitionList.read(list) { out[tp] = offset >= 0 ? offset : nil }
        return out
    }

    /// The partitions currently assigned to this member.
    public func assignment() throws -> [KafkaTopicPartition] {
        try checkOpen()
        var list: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>?
        let err = rd_kafka_assignment(client.handle, &list)
        if err != RD_KAFKA_RESP_ERR_NO_ERROR { throw KafkaError.rdkafka(err, "reading the assignment") }
        defer { if let list { rd_kafka_topic_partition_list_destroy(list) } }
        return RDKafkaTopicPartitionList.read(list).map(\.0)
    }

    /// Asks the partition leader for its watermarks.
    public func watermarks(_ partition: KafkaTopicPartition, timeout: Duration = .seconds(10)) async throws -> KafkaWatermarks {
        try checkOpen()
        let client = self.client
        return try await executor.run {
            var low: Int64 = 0, high: Int64 = 0
            let err = rd_kafka_query_watermark_offsets(client.handle, partition.topic, partition.partition, &low, &high, Int32(timeout.milliseconds))
            if err != RD_KAFKA_RESP_ERR_NO_ERROR { throw KafkaError.rdkafka(err, "querying watermarks of \(partition)") }
            return KafkaWatermarks(low: low, high: high)
        }
    }

    /// The watermarks last seen in fetch responses (no request); nil before the first fetch.
    public func cachedWatermarks(_ partition: KafkaTopicPartition) -> KafkaWatermarks? {
        guard !client.closed else { return nil }
        var low: Int64 = -1001, high: Int64 = -1001
        let err = rd_kafka_get_watermark_offsets(client.handle, partition.topic, partition.partition, &low, &high)
        guard err == RD_KAFKA_RESP_ERR_NO_ERROR, high >= 0 else { return nil }
        return KafkaWatermarks(low: max(low, 0), high: high)
    }

    /// Leaves the group (revoking partitions through the rebalance handler) and releases the client.
    public func close() async throws {
        guard !client.closed else { return }
        let client = self.client
        try await pollExecutor.run {
            let err = rd_kafka_consumer_close(client.handle)
            client.destroy()
            if err != RD_KAFKA_RESP_ERR_NO_ERROR { throw KafkaError.rdkafka(err, "closing the consumer") }
        }
    }
}
