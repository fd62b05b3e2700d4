import CRdKafka
import Dispatch
import Foundation
import Logging

/// Records read under one assignment: a batch never spans a rebalance.
public struct KafkaConsumerBatch: Sendable {
    public var records: [KafkaRecord]
    /// The assignment generation the records were read under (see `KafkaConsumer.assignmentGeneration`).
    public var generation: UInt64
    /// Per partition of the batch, the consumer's position when the batch ended: the last
    /// record's offset + 1, or further when librdkafka skipped transaction markers after it.
    /// Storing it (instead of last + 1) lets lag reach zero on transactional topics.
    public var positions: [KafkaTopicPartition: Int64] = [:]
    /// The number of seeks made before the batch was read (see `KafkaConsumer.seek`): records
    /// of a partition sought later were read from the old position.
    public var seekEpoch: UInt64 = 0

    public init(records: [KafkaRecord], generation: UInt64, positions: [KafkaTopicPartition: Int64] = [:], seekEpoch: UInt64 = 0) {
        self.records = records
        self.generation = generation
        self.positions = positions
        self.seekEpoch = seekEpoch
    }
}

/// The consumer's positions at one moment, and the seeks made before it.
public struct KafkaPositionSnapshot: Sendable {
    /// Per partition, the offset of the next record to read (nil: none read yet).
    public var positions: [KafkaTopicPartition: Int64?]
    public var seekEpoch: UInt64

    public init(positions: [KafkaTopicPartition: Int64?], seekEpoch: UInt64) {
        self.positions = positions
        self.seekEpoch = seekEpoch
    }
}

/// A consumer-group member over librdkafka.
///
/// `poll` runs `rd_kafka_consumer_poll` on the consumer's own dispatch queue, which also
/// serves rebalances (through `KafkaRebalanceHandler`), errors and statistics: keep polling.
/// Every call after `close()` throws `.closed`; the handle is destroyed only once no call
/// is using it.
public final class KafkaConsumer: Sendable {
    private let client: RDKafkaClient
    private let pollExecutor: RDKafkaBlockingExecutor
    private let executor: RDKafkaBlockingExecutor
    private let pollState = RDKafkaPollState()
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
        DispatchQueue.global().async {
            if client.handleGuard.beginClose() { _ = rd_kafka_consumer_close(client.handle) }
            client.destroy()
        }
    }

    /// The current assignment generation: it changes with every assignment or revocation.
    /// A batch whose `generation` differs was read before the latest rebalance.
    public var assignmentGeneration: UInt64 { client.context.generation }

    /// Joins the group and subscribes to `topics`.
    public func subscribe(_ topics: [String]) throws {
        try client.use("subscribing") { handle in
            let list = rd_kafka_topic_partition_list_new(Int32(topics.count))!
            defer { rd_kafka_topic_partition_list_destroy(list) }
            for t in topics { rd_kafka_topic_partition_list_add(list, t, RD_KAFKA_PARTITION_UA) }
            let err = rd_kafka_subscribe(handle, list)
            if err != RD_KAFKA_RESP_ERR_NO_ERROR { throw KafkaError.rdkafka(err, "subscribing to \(topics)") }
        }
    }

    /// Consumes the given partitions from the given offsets, outside group management.
    public func assign(_ partitions: [KafkaTopicPartition: KafkaOffset]) throws {
        try client.use("assigning") { handle in
            let list = RDKafkaTopicPartitionList.make(partitions.map { ($0.key, $0.value.rawValue) })
            defer { rd_kafka_topic_partition_list_destroy(list) }
            let err = rd_kafka_assign(handle, list)
            if err != RD_KAFKA_RESP_ERR_NO_ERROR { throw KafkaError.rdkafka(err, "assigning \(partitions.keys)") }
            client.context.nextGeneration()
        }
    }

    /// Waits up to `timeout` for records and returns up to `maxRecords` of them (maybe none).
    /// - Throws: a broker error on a record, a fatal error, or `.rebalanceHook` when the hook failed.
    public func poll(maxRecords: Int = 500, timeout: Duration = .milliseconds(500)) async throws -> [KafkaRecord] {
        try await pollBatch(maxRecords: maxRecords, timeout: timeout).records
    }

    /// Like `poll`, with the assignment generation the records were read under. The batch ends
    /// early when the assignment changes; records already taken when an error arrives are
    /// returned and the error is thrown by the next call.
    public func pollBatch(maxRecords: Int = 500, maxBytes: Int = .max, timeout: Duration = .milliseconds(500)) async throws -> KafkaConsumerBatch {
        let client = self.client, state = pollState
        return try await pollExecutor.run {
            try client.use("polling") { handle in
                try KafkaConsumer.pollLocked(handle, client.context, state, maxRecords: maxRecords, maxBytes: maxBytes, timeout: timeout)
            }
        }
    }

    /// Runs on the poll queue only, so `state` needs no lock of its own.
    private static func pollLocked(_ handle: OpaquePointer, _ context: RDKafkaCallbackContext, _ state: RDKafkaPollState,
                                   maxRecords: Int, maxBytes: Int, timeout: Duration) throws -> KafkaConsumerBatch {
        if let deferred = state.deferredError { state.deferredError = nil; throw deferred }
        if let fatal = context.fatalError { throw fatal }
        if let pending = context.takePending() { throw pending }
        var records: [KafkaRecord] = []
        var bytes = 0
        var generation = context.generation
        if let carried = state.carried {
            state.carried = nil
            records.append(carried.record)
            bytes += carried.record.value?.count ?? 0
            generation = carried.generation
        }
        let deadline = DispatchTime.now().uptimeNanoseconds + UInt64(timeout.clampedMilliseconds) * 1_000_000
        func stop(with error: KafkaError) throws -> KafkaConsumerBatch {
            // Records already taken have moved the position: hand them out, raise the error next time.
            if records.isEmpty { throw error }
            state.deferredError = error
            return KafkaConsumerBatch(records: records, generation: generation, positions: positions(handle, of: records, excluding: state.carried?.record.topicPartition),
                                      seekEpoch: state.seekEpoch)
        }
        while records.count < maxRecords && bytes < maxBytes {
            let now = DispatchTime.now().uptimeNanoseconds
            let waitMs = records.isEmpty && now < deadline ? Int32((deadline - now) / 1_000_000) : 0
            let message = rd_kafka_consumer_poll(handle, min(waitMs, 100))
            if let fatal = context.fatalError {
                if let message { rd_kafka_message_destroy(message) }
                return try stop(with: fatal)
            }
            if let pending = context.takePending() {
                if let message { rd_kafka_message_destroy(message) }
                return try stop(with: pending)
            }
            let current = context.generation
            if records.isEmpty { generation = current }
            guard let message else {
                if current != generation || !records.isEmpty || DispatchTime.now().uptimeNanoseconds >= deadline { break }
                continue
            }
            defer { rd_kafka_message_destroy(message) }
            let m = message.pointee
            if m.err != RD_KAFKA_RESP_ERR_NO_ERROR {
                let error = KafkaError.rdkafka(m.err, "consuming")
                if error.isRetriable || m.err == RD_KAFKA_RESP_ERR__PARTITION_EOF {
                    context.logger.warning("consumer error: \(error)")
                    continue
                }
                return try stop(with: error)
            }
            let record = KafkaConsumer.record(from: message)
            if current != generation {
                // The assignment changed inside this poll: this record starts the next batch.
                state.carried = (record, current)
                break
            }
            records.append(record)
            bytes += record.value?.count ?? 0
        }
        return KafkaConsumerBatch(records: records, generation: generation,
                                  positions: positions(handle, of: records, excluding: state.carried?.record.topicPartition),
                                  seekEpoch: state.seekEpoch)
    }

    /// Positions of the batch's partitions; a partition with a record carried to the next
    /// batch is left out (its position is already past that record).
    private static func positions(_ handle: OpaquePointer, of records: [KafkaRecord], excluding carried: KafkaTopicPartition?) -> [KafkaTopicPartition: Int64] {
        var partitions = Set(records.map(\.topicPartition))
        if let carried { partitions.remove(carried) }
        guard !partitions.isEmpty else { return [:] }
        let list = RDKafkaTopicPartitionList.make(partitions.map { ($0, KafkaOffset.stored.rawValue) })
        defer { rd_kafka_topic_partition_list_destroy(list) }
        guard rd_kafka_position(handle, list) == RD_KAFKA_RESP_ERR_NO_ERROR else { return [:] }
        var out: [KafkaTopicPartition: Int64] = [:]
        for (tp, offset, _) in RDKafkaTopicPartitionList.read(list) where offset >= 0 { out[tp] = offset }
        return out
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

    /// Moves the fetch position of assigned partitions. Seeks and polls take turns, so a
    /// batch read before a seek carries a smaller `seekEpoch` than the one returned here.
    /// - Returns: the seek epoch after this seek.
    @discardableResult
    public func seek(_ offsets: [KafkaTopicPartition: KafkaOffset], timeout: Duration = .seconds(10)) async throws -> UInt64 {
        let client = self.client, state = pollState
        let entries = offsets.map { ($0.key, $0.value.rawValue) }
        return try await pollExecutor.run {
            try client.use("seeking") { handle in
                let list = RDKafkaTopicPartitionList.make(entries)
                defer { rd_kafka_topic_partition_list_destroy(list) }
                state.seekEpoch += 1
                // A record carried over from before the seek is read again from the new position.
                if let carried = state.carried, offsets[carried.record.topicPartition] != nil { state.carried = nil }
                if let error = rd_kafka_seek_partitions(handle, list, timeout.rdkafkaMilliseconds) {
                    throw KafkaError.consuming(error, "seeking")
                }
                for (tp, _, err) in RDKafkaTopicPartitionList.read(list) where err != 0 {
                    throw KafkaError.rdkafka(rd_kafka_resp_err_t(err), "seeking \(tp)")
                }
                return state.seekEpoch
            }
        }
    }

    /// The positions of `partitions` between two polls, with the seek epoch they belong to.
    public func positionSnapshot(_ partitions: [KafkaTopicPartition]) async throws -> KafkaPositionSnapshot {
        let state = pollState
        return try await pollExecutor.run {
            KafkaPositionSnapshot(positions: try self.position(partitions), seekEpoch: state.seekEpoch)
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
        try client.use(pause ? "pausing" : "resuming") { handle in
            let list = RDKafkaTopicPartitionList.make(partitions.map { ($0, KafkaOffset.stored.rawValue) })
            defer { rd_kafka_topic_partition_list_destroy(list) }
            let err = pause ? rd_kafka_pause_partitions(handle, list) : rd_kafka_resume_partitions(handle, list)
            if err != RD_KAFKA_RESP_ERR_NO_ERROR { throw KafkaError.rdkafka(err, pause ? "pausing" : "resuming") }
        }
    }

    /// Commits `offsets` (each the next offset to read) to the group, synchronously.
    /// - Parameter waitForBroker: false to hand the commit to librdkafka and return at once
    ///   (for offsets kept elsewhere and committed only for lag monitoring).
    public func commit(_ offsets: [KafkaTopicPartition: Int64], waitForBroker: Bool = true) async throws {
        guard !offsets.isEmpty else { return }
        let client = self.client
        let entries = offsets.map { ($0.key, $0.value) }
        try await executor.run {
            try client.use("committing") { handle in
                let list = RDKafkaTopicPartitionList.make(entries)
                defer { rd_kafka_topic_partition_list_destroy(list) }
                let err = rd_kafka_commit(handle, list, waitForBroker ? 0 : 1)
                if err != RD_KAFKA_RESP_ERR_NO_ERROR { throw KafkaError.rdkafka(err, "committing offsets") }
            }
        }
    }

    /// The group's committed offsets (nil where none).
    public func committed(_ partitions: [KafkaTopicPartition], timeout: Duration = .seconds(10)) async throws -> [KafkaTopicPartition: Int64?] {
        let client = self.client
        return try await executor.run {
            try client.use("reading committed offsets") { handle in
                try RDKafkaOffsets.committed(handle, partitions, timeout: timeout)
            }
        }
    }

    /// The next offset this consumer will read for each partition (nil when unknown yet).
    public func position(_ partitions: [KafkaTopicPartition]) throws -> [KafkaTopicPartition: Int64?] {
        try client.use("reading positions") { handle in
            let list = RDKafkaTopicPartitionList.make(partitions.map { ($0, KafkaOffset.stored.rawValue) })
            defer { rd_kafka_topic_partition_list_destroy(list) }
            let err = rd_kafka_position(handle, list)
            if err != RD_KAFKA_RESP_ERR_NO_ERROR { throw KafkaError.rdkafka(err, "reading positions") }
            var out: [KafkaTopicPartition: Int64?] = [:]
            for (tp, offset, _) in RDKafkaTopicPartitionList.read(list) { out[tp] = offset >= 0 ? offset : nil }
            return out
        }
    }

    /// The partitions currently assigned to this member.
    public func assignment() throws -> [KafkaTopicPartition] {
        try client.use("reading the assignment") { handle in
            var list: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>?
            let err = rd_kafka_assignment(handle, &list)
            if err != RD_KAFKA_RESP_ERR_NO_ERROR { throw KafkaError.rdkafka(err, "reading the assignment") }
            defer { if let list { rd_kafka_topic_partition_list_destroy(list) } }
            return RDKafkaTopicPartitionList.read(list).map(\.0)
        }
    }

    /// Asks the partition leader for its watermarks.
    public func watermarks(_ partition: KafkaTopicPartition, timeout: Duration = .seconds(10)) async throws -> KafkaWatermarks {
        let client = self.client
        return try await executor.run {
            try client.use("querying watermarks") { handle in
                try RDKafkaOffsets.watermarks(handle, partition, timeout: timeout)
            }
        }
    }

    /// For each partition, the first offset whose timestamp is at or after the given time
    /// (milliseconds since the epoch); nil where no such record exists (the end of the partition).
    public func offsets(forTimes times: [KafkaTopicPartition: Int64], timeout: Duration = .seconds(10)) async throws -> [KafkaTopicPartition: Int64?] {
        let client = self.client
        return try await executor.run {
            try client.use("looking up offsets for times") { handle in
                try RDKafkaOffsets.forTimes(handle, times, timeout: timeout)
            }
        }
    }

    /// The watermarks last seen in fetch responses (no request); nil before the first fetch.
    public func cachedWatermarks(_ partition: KafkaTopicPartition) -> KafkaWatermarks? {
        try? client.use("reading cached watermarks") { handle in
            var low: Int64 = -1001, high: Int64 = -1001
            let err = rd_kafka_get_watermark_offsets(handle, partition.topic, partition.partition, &low, &high)
            guard err == RD_KAFKA_RESP_ERR_NO_ERROR, high >= 0 else { return nil }
            return KafkaWatermarks(low: max(low, 0), high: high)
        }
    }

    /// Leaves the group (revoking partitions through the rebalance handler) and releases the
    /// client. Calls in progress finish first; every later call throws `.closed`. Idempotent.
    public func close() async throws {
        let client = self.client
        try await pollExecutor.run {
            guard client.handleGuard.beginClose() else { return }
            let err = rd_kafka_consumer_close(client.handle)
            client.destroy()
            if err != RD_KAFKA_RESP_ERR_NO_ERROR { throw KafkaError.rdkafka(err, "closing the consumer") }
        }
    }
}

/// What `poll` keeps between calls: a record read after a rebalance (it starts the next
/// batch) and an error that arrived after records were already taken.
final class RDKafkaPollState: @unchecked Sendable {
    var carried: (record: KafkaRecord, generation: UInt64)?
    var deferredError: KafkaError?
    var seekEpoch: UInt64 = 0
}

/// Offset queries shared by the consumer and the admin client.
enum RDKafkaOffsets {
    static func committed(_ handle: OpaquePointer, _ partitions: [KafkaTopicPartition], timeout: Duration) throws -> [KafkaTopicPartition: Int64?] {
        let list = RDKafkaTopicPartitionList.make(partitions.map { ($0, KafkaOffset.stored.rawValue) })
        defer { rd_kafka_topic_partition_list_destroy(list) }
        let err = rd_kafka_committed(handle, list, timeout.rdkafkaMilliseconds)
        if err != RD_KAFKA_RESP_ERR_NO_ERROR { throw KafkaError.rdkafka(err, "reading committed offsets") }
        var out: [KafkaTopicPartition: Int64?] = [:]
        for (tp, offset, _) in RDKafkaTopicPartitionList.read(list) { out[tp] = offset >= 0 ? offset : nil }
        return out
    }

    static func watermarks(_ handle: OpaquePointer, _ partition: KafkaTopicPartition, timeout: Duration) throws -> KafkaWatermarks {
        var low: Int64 = 0, high: Int64 = 0
        let err = rd_kafka_query_watermark_offsets(handle, partition.topic, partition.partition, &low, &high, timeout.rdkafkaMilliseconds)
        if err != RD_KAFKA_RESP_ERR_NO_ERROR { throw KafkaError.rdkafka(err, "querying watermarks of \(partition)") }
        return KafkaWatermarks(low: low, high: high)
    }

    static func forTimes(_ handle: OpaquePointer, _ times: [KafkaTopicPartition: Int64], timeout: Duration) throws -> [KafkaTopicPartition: Int64?] {
        let list = RDKafkaTopicPartitionList.make(times.map { ($0.key, $0.value) })
        defer { rd_kafka_topic_partition_list_destroy(list) }
        let err = rd_kafka_offsets_for_times(handle, list, timeout.rdkafkaMilliseconds)
        if err != RD_KAFKA_RESP_ERR_NO_ERROR { throw KafkaError.rdkafka(err, "looking up offsets for times") }
        var out: [KafkaTopicPartition: Int64?] = [:]
        for (tp, offset, perr) in RDKafkaTopicPartitionList.read(list) {
            if perr != 0 { throw KafkaError.rdkafka(rd_kafka_resp_err_t(perr), "looking up the offset for a time in \(tp)") }
            out[tp] = offset >= 0 ? offset : nil
        }
        return out
    }
}
