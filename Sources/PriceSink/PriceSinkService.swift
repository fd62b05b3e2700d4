import Foundation
import Kafka
import Logging
import Postgres
import PriceModel
import ServiceLifecycle
import ServiceSupport
import Synchronization

/// The sink: a consumer-group member that reads candles and rates, decodes and validates
/// them, and writes them to Postgres with exactly-once effect (architecture.md). Each batch's
/// rows and its `sink_offsets` compare-and-set commit in one transaction; records that cannot
/// be stored go to the dead-letter topic, flushed before that commit.
public final class PriceSinkService: Service, Sendable {
    public let configuration: SinkConfiguration
    private let decoder: SinkRecordDecoder
    private let readiness: ServiceReadiness
    private let logger: Logger
    private let partitions = SinkPartitions()
    private let metrics = SinkMetrics()
    private let stopping = Mutex(false)
    private let consumerBox = SinkConsumerRef()
    let tallies = SinkTallies()
    var consumerRef: SinkConsumerRef { consumerBox }
    var partitionsState: SinkPartitions { partitions }
    var readinessState: ServiceReadiness { readiness }

    public init(configuration: SinkConfiguration, schemas: any WriterSchemaSource, readiness: ServiceReadiness, logger: Logger) {
        self.configuration = configuration
        decoder = SinkRecordDecoder(schemas: schemas)
        self.readiness = readiness
        self.logger = logger
    }

    /// Asks the loop to stop after the batch in progress (SIGTERM does this too).
    public func stop() { stopping.withLock { $0 = true } }

    private var isStopping: Bool { stopping.withLock { $0 } }

    public func run() async throws {
        try await withGracefulShutdownHandler {
            try await runLoop()
        } onGracefulShutdown: {
            self.stop()
        }
    }

    /// Connects (waiting for Postgres with backoff), applies migrations, creates missing
    /// topics, then consumes until stopped.
    private func runLoop() async throws {
        let config = configuration
        readiness.markNotReady("connecting to Postgres")
        let writers = (0..<max(1, config.writers)).map { [logger] _ in
            SinkConnection(url: config.databaseURL, statementTimeout: config.statementTimeout, logger: logger)
        }
        try await migrate(writers[0])
        let admin = try KafkaAdmin(configuration: config.kafka)
        try await admin.createTopics([
            KafkaNewTopic(name: config.candleTopic, partitions: config.candlePartitions, replicationFactor: config.replicationFactor),
            KafkaNewTopic(name: config.fxTopic, partitions: config.fxPartitions, replicationFactor: config.replicationFactor),
            KafkaNewTopic(name: config.dlqTopic, partitions: config.candlePartitions, replicationFactor: config.replicationFactor),
        ])

        let hookDB = SinkConnection(url: config.databaseURL, statementTimeout: .seconds(15), logger: logger)
        let partitions = self.partitions, metrics = self.metrics, consumerBox = self.consumerBox, logger = self.logger
        let group = config.group
        let handler = KafkaRebalanceHandler(attempts: 3, timeout: .seconds(20), assigned: { assigned in
            let stored = try await Warehouse.storedOffsets(try await hookDB.connection(), group: group, partitions: assigned)
            let generation = consumerBox.consumer?.assignmentGeneration ?? 0
            partitions.assigned(stored, generation: generation)
            metrics.rebalances.increment()
            metrics.assignedPartitions.record(partitions.owned.count)
            logger.info("assigned", metadata: ["partitions": "\(stored.map { "\($0.key)@\($0.value.map(String.init) ?? "earliest")" }.sorted())"])
            return stored.mapValues { $0.map(KafkaOffset.init) ?? .beginning }
        }, revoked: { revoked, lost in
            partitions.revoked(revoked)
            metrics.assignedPartitions.record(partitions.owned.count)
            logger.info("revoked", metadata: ["partitions": "\(revoked.map(\.description).sorted())", "lost": "\(lost)"])
        })
        var consumerConfig = KafkaConsumerConfiguration(client: config.kafka, groupID: group)
        consumerConfig.rebalanceHandler = handler
        consumerConfig.sessionTimeout = config.sessionTimeout
        consumerConfig.heartbeatInterval = min(.seconds(1), config.sessionTimeout / 4)
        consumerConfig.isolationLevel = .readCommitted
        // The sink applies its own configuration last, so that a raw property cannot turn
        // auto-commit back on.
        consumerConfig.client.properties["enable.auto.commit"] = "false"
        // Bound what librdkafka prefetches (its defaults allow 64 MiB queued plus 50 MiB per
        // fetch): a batch is at most maxBatchBytes, and a few of them ahead is plenty.
        if config.kafka.properties["queued.max.messages.kbytes"] == nil {
            consumerConfig.client.properties["queued.max.messages.kbytes"] = String(max(4096, 2 * config.maxBatchBytes / 1024))
        }
        // librdkafka keeps up to 100,000 records per partition by default; its per-record
        // overhead is several times a candle's bytes. One batch ahead is what the reader needs.
        if config.kafka.properties["queued.min.messages"] == nil {
            consumerConfig.client.properties["queued.min.messages"] = String(config.maxBatchRecords)
        }
        if config.kafka.properties["fetch.max.bytes"] == nil {
            consumerConfig.client.properties["fetch.max.bytes"] = String(max(1 << 20, config.maxBatchBytes / 2))
        }
        let consumer = try KafkaConsumer(configuration: consumerConfig)
        consumerBox.consumer = consumer
        var producerConfig = KafkaProducerConfiguration(client: config.kafka)
        producerConfig.linger = .milliseconds(1)
        let dlq = try KafkaProducer(configuration: producerConfig)

        try consumer.subscribe(config.topics)
        logger.info("consuming", metadata: ["group": "\(group)", "topics": "\(config.topics)"])
        var failure: Error?
        do {
            try await consume(consumer: consumer, dlq: dlq, writers: writers)
        } catch let unavailable as RegistryUnavailable where isStopping {
            // Stopped while waiting for the registry: the batch being decoded was not written.
            logger.info("stopping while the schema registry is unavailable: \(unavailable)")
        } catch {
            failure = error
            logger.error("the sink stops: \(error)")
        }
        readiness.markNotReady("stopping")
        do { try await consumer.close() } catch { logger.warning("leaving the group failed: \(error)") }
        do { try await dlq.close(timeout: .seconds(10)) } catch { logger.warning("closing the dead-letter producer failed: \(error)") }
        for db in writers { await db.close() }
        await hookDB.close()
        if let failure { throw failure }
        logger.info("stopped")
    }

    /// Applies the migrations; a statement timeout or a lost connection is waited out, any
    /// other error (a migration that fails) stops the sink.
    private func migrate(_ db: SinkConnection) async throws {
        var wait = Duration.milliseconds(200)
        while true {
            do {
                return try await Warehouse.migrate(try await db.connection())
            } catch let error as PostgresError where !isStopping && (error.sqlState == "57014" || !db.isUsable) {
                logger.warning("applying the migrations failed, retrying in \(wait): \(error)")
                try await Task.sleep(for: wait)
                wait = min(wait * 2, .seconds(10))
            }
        }
    }

    /// What the reader hands the writer.
    enum SinkInput: Sendable {
        /// Records of one poll, decoded and checked.
        case records(PreparedBatch)
        /// Nothing arrived within the batch wait: the positions then.
        case idle(KafkaPositionSnapshot)
    }

    struct PreparedBatch: Sendable {
        var items: [SinkBatch.Item]
        var generation: UInt64
        var seekEpoch: UInt64
        var positions: [KafkaTopicPartition: Int64]
    }

    /// A writer's own state: the warehouse of its current connection and, per partition, the
    /// seek epoch of its last seek on it.
    struct WriterState: Sendable {
        var warehouse: Warehouse?
        var soughtAt: [KafkaTopicPartition: UInt64] = [:]

        /// Partitions sought after a batch of `epoch` was read: its records of them are stale.
        func reread(since epoch: UInt64) -> Set<KafkaTopicPartition> {
            Set(soughtAt.lazy.filter { $0.value > epoch }.map(\.key))
        }
    }

    /// Reading and decoding the next batch overlaps writing the current one: two stages, one
    /// batch apart. Seeks and polls take turns in the consumer, and every batch carries the
    /// seek epoch it was read at, so the writer knows which records a later seek made stale.
    private func consume(consumer: KafkaConsumer, dlq: KafkaProducer, writers: [SinkConnection]) async throws {
        var states = [WriterState](repeating: WriterState(), count: writers.count)
        let db = writers[0]
        let clock = ContinuousClock()
        var nextWatch = clock.now + .seconds(5)
        var nextIdleAdvance = clock.now + .seconds(1)
        var input = try await read(consumer)
        while !isStopping {
            async let following = read(consumer)
            updateReadiness(db: db)
            if clock.now >= nextWatch {
                nextWatch = clock.now + .seconds(5)
                await followStoredOffsets(consumer: consumer, db: db, state: &states[0])
            }
            switch input {
            case .idle(let snapshot):
                if clock.now >= nextIdleAdvance {
                    nextIdleAdvance = clock.now + .seconds(1)
                    try await advancePastMarkers(snapshot, consumer: consumer, dlq: dlq, db: db, states: &states)
                }
            case .records(let prepared):
                try await write(prepared, consumer: consumer, dlq: dlq, writers: writers, states: &states)
            }
            input = try await following
        }
    }

    /// Polls one batch and decodes it (the reader stage).
    private func read(_ consumer: KafkaConsumer) async throws -> SinkInput {
        let config = configuration
        let batch = try await consumer.pollBatch(maxRecords: config.maxBatchRecords, maxBytes: config.maxBatchBytes,
                                                 timeout: config.maxBatchWait)
        guard !batch.records.isEmpty else {
            let owned = Array(partitions.owned)
            let snapshot = owned.isEmpty ? KafkaPositionSnapshot(positions: [:], seekEpoch: batch.seekEpoch)
                : try await consumer.positionSnapshot(owned)
            return .idle(snapshot)
        }
        metrics.recordsRead.increment(by: batch.records.count)
        return .records(PreparedBatch(items: try await decodeAll(batch.records), generation: batch.generation,
                                      seekEpoch: batch.seekEpoch, positions: batch.positions))
    }

    /// Partitions sought by any writer after a batch of `epoch` was read.
    private static func reread(_ states: [WriterState], since epoch: UInt64) -> Set<KafkaTopicPartition> {
        states.reduce(into: Set<KafkaTopicPartition>()) { $0.formUnion($1.reread(since: epoch)) }
    }

    /// Writes a prepared batch, without the records a rebalance or a seek made stale. With
    /// several writers, its partitions are split between them and written in parallel.
    private func write(_ prepared: PreparedBatch, consumer: KafkaConsumer, dlq: KafkaProducer, writers: [SinkConnection],
                       states: inout [WriterState]) async throws {
        let (items, dropped) = partitions.writable(prepared.items, readAt: prepared.generation,
                                                   reread: Self.reread(states, since: prepared.seekEpoch))
        if dropped > 0 {
            metrics.recordsDropped.increment(by: dropped)
            metrics.batchesDropped.increment()
            logger.info("dropped records read before a rebalance or a seek", metadata: ["records": "\(dropped)"])
        }
        let groups = SinkBatch.split(items, into: writers.count)
        func positions(of group: [SinkBatch.Item]) -> [KafkaTopicPartition: Int64] {
            let kept = Set(group.map(\.topicPartition))
            return prepared.positions.filter { kept.contains($0.key) }
        }
        if groups.count == 1 {
            try await writeWithRetry(items: groups[0], positions: positions(of: groups[0]), consumer: consumer, dlq: dlq,
                                     db: writers[0], state: &states[0])
            return
        }
        try await withThrowingTaskGroup(of: (Int, WriterState).self) { tasks in
            for (i, group) in groups.enumerated() {
                let state = states[i], db = writers[i], groupPositions = positions(of: group)
                tasks.addTask {
                    var state = state
                    try await self.writeWithRetry(items: group, positions: groupPositions, consumer: consumer, dlq: dlq, db: db, state: &state)
                    return (i, state)
                }
            }
            for try await (i, state) in tasks { states[i] = state }
        }
    }

    /// Seeks and remembers the epoch, so that batches read before it are not written.
    private func seek(_ consumer: KafkaConsumer, _ offsets: [KafkaTopicPartition: KafkaOffset], state: inout WriterState) async throws {
        guard !offsets.isEmpty else { return }
        let epoch = try await consumer.seek(offsets)
        for tp in offsets.keys { state.soughtAt[tp] = epoch }
    }

    /// Someone else moved the stored offsets of partitions we own (`price-sink replay`):
    /// re-read from there. Quiet partitions would otherwise never notice.
    private func followStoredOffsets(consumer: KafkaConsumer, db: SinkConnection, state: inout WriterState) async {
        let owned = Array(partitions.owned)
        guard !owned.isEmpty, let connection = try? await db.connection(),
              let stored = try? await Warehouse.storedOffsets(connection, group: configuration.group, partitions: owned) else { return }
        let expected = partitions.expected(owned)
        var seeks: [KafkaTopicPartition: KafkaOffset] = [:]
        for tp in owned where (stored[tp] ?? nil) != (expected[tp] ?? nil) {
            seeks[tp] = (stored[tp] ?? nil).map(KafkaOffset.init) ?? .beginning
        }
        guard !seeks.isEmpty else { return }
        partitions.reload(stored.filter { seeks[$0.key] != nil })
        logger.info("stored offsets moved (replay): re-reading", metadata: ["partitions": "\(seeks.map { "\($0.key)@\($0.value)" }.sorted())"])
        do { try await seek(consumer, seeks, state: &state) } catch { logger.warning("seeking after a replay failed: \(error)") }
    }

    private func updateReadiness(db: SinkConnection) {
        if !db.isUsable {
            readiness.markNotReady("Postgres is unreachable")
        } else if partitions.owned.isEmpty {
            readiness.markNotReady("no partitions assigned")
        } else if !readiness.isReady {
            readiness.markReady()
        }
    }

    /// Decodes, normalises and checks every record; waits (with backoff) while the registry
    /// cannot be asked: a registry outage is never a reason to dead-letter.
    private func decodeAll(_ records: [KafkaRecord]) async throws -> [SinkBatch.Item] {
        var out: [SinkBatch.Item] = []
        out.reserveCapacity(records.count)
        let candleTopic = configuration.candleTopic
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        for record in records {
            var wait = Duration.milliseconds(200)
            while true {
                do {
                    let decoded: SinkBatch.Decoded = record.topic == candleTopic
                        ? .candle(try await decoder.decodeCandle(record.value))
                        : .rate(try FxRate(avro: try await decoder.decode(record.value, reader: .fxRate)))
                    out.append(SinkBatch.Item(record: record, decoded: .success(decoded), now: now))
                    break
                } catch let reason as DeadLetterReason {
                    out.append(SinkBatch.Item(record: record, decoded: .failure(reason), now: now))
                    break
                } catch let shape as RecordShapeError {
                    let reason = DeadLetterReason(stage: "decode", kind: "unresolvable_schema", message: shape.message)
                    out.append(SinkBatch.Item(record: record, decoded: .failure(reason), now: now))
                    break
                } catch let unavailable as RegistryUnavailable {
                    readiness.markNotReady("\(unavailable)")
                    logger.warning("waiting for the schema registry: \(unavailable)")
                    if isStopping { throw unavailable }
                    try await Task.sleep(for: wait)
                    wait = min(wait * 2, .seconds(10))
                }
            }
        }
        return out
    }

    /// While idle: a transactional topic ends with a commit marker that takes an offset but is
    /// never delivered. Store the position past it, so that the stored offset equals the end
    /// offset and lag reads zero. The snapshot was taken after an empty poll, and every batch
    /// before it is written, so the position covers only what was written.
    private func advancePastMarkers(_ snapshot: KafkaPositionSnapshot, consumer: KafkaConsumer, dlq: KafkaProducer, db: SinkConnection,
                                    states: inout [WriterState]) async throws {
        let owned = partitions.owned
        let reread = Self.reread(states, since: snapshot.seekEpoch)
        let expected = partitions.expected(owned)
        var advance: [KafkaTopicPartition: Int64] = [:]
        for tp in owned where !reread.contains(tp) {
            guard let position = snapshot.positions[tp] ?? nil, let stored = expected[tp] ?? nil, position > stored else { continue }
            advance[tp] = position
        }
        guard !advance.isEmpty else { return }
        try await writeWithRetry(items: [], positions: advance, offsetsOnly: true, consumer: consumer, dlq: dlq, db: db, state: &states[0])
    }

    private func writeWithRetry(items: [SinkBatch.Item], positions: [KafkaTopicPartition: Int64],
                                offsetsOnly: Bool = false, consumer: KafkaConsumer,
                                dlq: KafkaProducer, db: SinkConnection, state: inout WriterState) async throws {
        let config = configuration
        var items = items
        var positions = positions
        var wait = Duration.milliseconds(200)
        let clock = ContinuousClock()
        while !items.isEmpty || (offsetsOnly && !positions.isEmpty) {
            var batch = SinkBatch.build(items, positions: positions)
            if offsetsOnly { batch.nextOffsets = positions }
            let start = clock.now
            do {
                let connection = try await db.connection()
                if state.warehouse?.connection !== connection { state.warehouse = Warehouse(connection: connection, logger: logger) }
                let warehouse = state.warehouse!
                let expected = partitions.expected(batch.nextOffsets.keys)
                let deadLetters = batch.deadLetters, dlqTopic = config.dlqTopic
                let outcome = try await warehouse.write(batch, group: config.group, expected: expected) {
                    try await PriceSinkService.produce(deadLetters, to: dlqTopic, with: dlq)
                }
                switch outcome {
                case .committed:
                    partitions.committed(batch.nextOffsets)
                    if !offsetsOnly { record(batch, path: warehouse.lastPath, took: clock.now - start, consumer: consumer) }
                    // For lag monitoring only: Postgres holds the truth.
                    do { try await consumer.commit(batch.nextOffsets, waitForBroker: false) } catch { logger.debug("committing offsets to Kafka failed: \(error)") }
                    return
                case .staleOffsets(let stale):
                    metrics.batchesDropped.increment()
                    let stored = try await Warehouse.storedOffsets(connection, group: config.group, partitions: stale)
                    partitions.reload(stored)
                    let owned = partitions.owned
                    var seeks: [KafkaTopicPartition: KafkaOffset] = [:]
                    for (tp, offset) in stored where owned.contains(tp) { seeks[tp] = offset.map(KafkaOffset.init) ?? .beginning }
                    logger.warning("another member wrote these partitions: dropping their records and re-reading from the stored offsets",
                                   metadata: ["partitions": "\(stale.map(\.description).sorted())"])
                    try? await seek(consumer, seeks, state: &state)
                    let staleSet = Set(stale)
                    items.removeAll { staleSet.contains($0.topicPartition) }
                    positions = positions.filter { !staleSet.contains($0.key) }
                }
            } catch let error as KafkaError where error.isFatal {
                throw error
            } catch {
                if isStopping && !db.isUsable { throw error }
                metrics.retries.increment()
                readiness.markNotReady("writing a batch failed, retrying: \(error)")
                logger.error("writing a batch failed; rolled back, retrying in \(wait): \(error)")
                try await Task.sleep(for: wait)
                wait = min(wait * 2, .seconds(10))
            }
        }
    }

    private func record(_ batch: SinkBatch, path: WarehouseWritePath, took: Duration, consumer: KafkaConsumer) {
        metrics.batches.increment()
        metrics.batchSize.record(batch.recordCount)
        metrics.rowsWritten.increment(by: batch.candles.count)
        metrics.ratesWritten.increment(by: batch.rates.count)
        metrics.path(path).increment()
        metrics.batchSeconds.recordNanoseconds(took.nanoseconds)
        if let stamps = batch.timestamps {
            // Record timestamp (the producer's fetch time) to commit, for the oldest and newest record.
            let now = Int64(Date().timeIntervalSince1970 * 1000)
            metrics.endToEndSeconds.recordNanoseconds(max(0, now - stamps.lowerBound) * 1_000_000)
            metrics.endToEndSeconds.recordNanoseconds(max(0, now - stamps.upperBound) * 1_000_000)
        }
        for dl in batch.deadLetters { metrics.deadLettered(dl.reason.kind, stage: dl.reason.stage).increment() }
        tallies.add(rows: batch.candles.count, deadLetters: batch.deadLetters.map { "\($0.reason.stage)/\($0.reason.kind)" })
        for (tp, next) in batch.nextOffsets {
            if let marks = consumer.cachedWatermarks(tp) { metrics.lag(tp.topic, tp.partition).record(max(0, marks.high - next)) }
        }
        logger.debug("batch committed", metadata: ["records": "\(batch.recordCount)", "rows": "\(batch.candles.count)",
                                                   "rates": "\(batch.rates.count)", "dead_letters": "\(batch.deadLetters.count)",
                                                   "path": "\(path.rawValue)"])
    }

    /// Produces dead letters and waits for every acknowledgement.
    static func produce(_ deadLetters: [DeadLetter], to topic: String, with producer: KafkaProducer) async throws {
        guard !deadLetters.isEmpty else { return }
        let records = deadLetters.map { dl in
            KafkaProducerRecord(topic: topic, key: dl.record.key, value: dl.record.value, headers: dl.record.headers + [
                KafkaHeader(key: DeadLetterHeaders.reason, value: Array(dl.reason.description.utf8)),
                KafkaHeader(key: DeadLetterHeaders.stage, value: Array(dl.reason.stage.utf8)),
                KafkaHeader(key: DeadLetterHeaders.sourceTopic, value: Array(dl.record.topic.utf8)),
                KafkaHeader(key: DeadLetterHeaders.sourcePartition, value: Array(String(dl.record.partition).utf8)),
                KafkaHeader(key: DeadLetterHeaders.sourceOffset, value: Array(String(dl.record.offset).utf8)),
            ])
        }
        _ = try await producer.send(records)
    }
}

/// Counts for the status page.
final class SinkTallies: Sendable {
    private let state = Mutex<(rows: Int, deadLetters: [String: Int])>((0, [:]))
    func add(rows: Int, deadLetters: [String]) {
        state.withLock { s in
            s.rows += rows
            for d in deadLetters { s.deadLetters[d, default: 0] += 1 }
        }
    }
    var rows: Int { state.withLock { $0.rows } }
    var deadLetters: [String: Int] { state.withLock { $0.deadLetters } }
}

/// The consumer, for the rebalance hook, which is created before it.
final class SinkConsumerRef: Sendable {
    private let value = Mutex<KafkaConsumer?>(nil)
    var consumer: KafkaConsumer? {
        get { value.withLock { $0 } }
        set { value.withLock { $0 = newValue } }
    }
}

/// One Postgres connection that is re-established (with backoff) after it was lost.
final class SinkConnection: Sendable {
    private let url: String
    private let statementTimeout: Duration
    private let logger: Logger
    private let current = Mutex<PostgresConnection?>(nil)

    init(url: String, statementTimeout: Duration, logger: Logger) {
        self.url = url
        self.statementTimeout = statementTimeout
        self.logger = logger
    }

    var isUsable: Bool { current.withLock { $0?.isUsable ?? false } }

    /// The connection, reconnecting when it is missing or broken.
    func connection() async throws -> PostgresConnection {
        if let c = current.withLock({ $0 }), c.isUsable { return c }
        let fresh = try await PostgresConnection.connect(url: url, retryFor: .seconds(3600 * 24 * 365), statementTimeout: statementTimeout, logger: logger)
        // Operators (and the chaos test) can tell the sinks' sessions apart in pg_stat_activity.
        try await fresh.query("SELECT set_config('application_name', $1, false)", [.text("price-sink pid \(getpid())")])
        let old = current.withLock { existing -> PostgresConnection? in
            defer { existing = fresh }
            return existing
        }
        if let old { await old.close() }
        return fresh
    }

    func close() async {
        if let c = current.withLock({ $0 }) { await c.close() }
    }
}

extension Duration {
    var nanoseconds: Int64 {
        let (s, atto) = components
        return s * 1_000_000_000 + atto / 1_000_000_000
    }
}
