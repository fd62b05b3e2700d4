import CRdKafka
import Dispatch
import Foundation
import Logging

/// A Kafka producer over librdkafka: idempotent by default, optionally transactional.
/// A dedicated thread serves librdkafka's event queue (delivery reports, errors,
/// statistics) for the producer's whole life.
public final class KafkaProducer: Sendable {
    private let client: RDKafkaClient
    private let executor: RDKafkaBlockingExecutor
    private let poller: RDKafkaPoller
    private let state = RDKafkaProducerState()
    public let configuration: KafkaProducerConfiguration

    /// Creates the producer. Nothing is sent to the cluster until the first record.
    /// - Throws: `KafkaError.configuration` for a rejected property.
    public init(configuration: KafkaProducerConfiguration) throws {
        self.configuration = configuration
        let context = RDKafkaCallbackContext(client: configuration.client, rebalanceHandler: nil)
        client = try RDKafkaClient(kind: .producer, properties: configuration.librdkafkaProperties(), context: context,
                                   deliveryCallback: rdkafkaDeliveryCallback)
        executor = RDKafkaBlockingExecutor(label: "kafka.producer.blocking")
        poller = RDKafkaPoller(client: client)
    }

    deinit {
        // rd_kafka_destroy and stopping the event thread block: never on the caller's thread,
        // which may belong to Swift's cooperative pool.
        let poller = self.poller, client = self.client
        DispatchQueue.global().async {
            poller.stop()
            client.destroy()
        }
    }

    /// Sends one record and waits for the broker's acknowledgement. When librdkafka's queue
    /// is full, waits for room instead of failing.
    /// - Returns: where the record was stored.
    /// - Throws: `KafkaError` (retriable for timeouts and transient broker errors; `.closed` after `close`).
    public func send(_ record: KafkaProducerRecord) async throws -> KafkaDeliveryReport {
        let future = RDKafkaDeliveryFuture()
        try await enqueueWaiting(record) { future.complete($0) }
        return try await future.value
    }

    /// Sends records (enqueued in order, so records to one partition keep their order)
    /// and waits for every acknowledgement.
    /// - Returns: the delivery reports, in input order.
    public func send(_ records: [KafkaProducerRecord]) async throws -> [KafkaDeliveryReport] {
        var futures: [RDKafkaDeliveryFuture] = []
        futures.reserveCapacity(records.count)
        for record in records {
            let future = RDKafkaDeliveryFuture()
            try await enqueueWaiting(record) { future.complete($0) }
            futures.append(future)
        }
        var reports: [KafkaDeliveryReport] = []
        reports.reserveCapacity(futures.count)
        for future in futures { reports.append(try await future.value) }
        return reports
    }

    /// `enqueue`, waiting while librdkafka's queue is full (back-pressure, not failure).
    public func enqueueWaiting(_ record: KafkaProducerRecord, completion: @escaping @Sendable (Result<KafkaDeliveryReport, Error>) -> Void) async throws {
        var wait = Duration.milliseconds(1)
        while true {
            do {
                return try enqueue(record, completion: completion)
            } catch let error as KafkaError where error.isQueueFull {
                try await Task.sleep(for: wait)
                wait = min(wait * 2, .milliseconds(50))
            }
        }
    }

    /// Hands a record to librdkafka; `completion` runs on the event thread with the outcome,
    /// exactly once (also when the producer is closed before delivery).
    /// - Throws: at once when librdkafka refuses the record (`isQueueFull` when its queue is
    ///   full, unknown partition), or `.closed` after `close`.
    public func enqueue(_ record: KafkaProducerRecord, completion: @escaping @Sendable (Result<KafkaDeliveryReport, Error>) -> Void) throws {
        if let fatal = client.context.fatalError { throw fatal }
        try state.enter()
        defer { state.leave() }
        let box = Unmanaged.passRetained(RDKafkaDeliveryCallbackBox(completion)).toOpaque()
        var headers: OpaquePointer?
        if !record.headers.isEmpty {
            headers = rd_kafka_headers_new(record.headers.count)
            for h in record.headers {
                if let v = h.value {
                    _ = v.withUnsafeBytes { rd_kafka_header_add(headers, h.key, -1, $0.baseAddress, $0.count) }
                } else {
                    _ = rd_kafka_header_add(headers, h.key, -1, nil, 0)
                }
            }
        }
        let partition = record.partition ?? RD_KAFKA_PARTITION_UA
        let timestamp = max(record.timestampMilliseconds ?? 0, 0)
        let error: OpaquePointer? = withOptionalBytes(record.key) { keyPtr, keyLen in
            withOptionalBytes(record.value) { valuePtr, valueLen in
                pp_rd_kafka_produce(client.handle, record.topic, partition, keyPtr, keyLen, valuePtr, valueLen, headers, timestamp, box)
            }
        }
        if let error {
            if let headers { rd_kafka_headers_destroy(headers) }
            Unmanaged<RDKafkaDeliveryCallbackBox>.fromOpaque(box).release()
            throw KafkaError.consuming(error, "producing to \(record.topic)")
        }
    }

    /// Records handed to librdkafka and not yet delivered or failed.
    public var inFlight: Int { Int(rd_kafka_outq_len(client.handle)) }

    /// Waits until every enqueued record is delivered or failed.
    /// - Throws: `KafkaError.timeout` when records are still in flight after `timeout`.
    public func flush(timeout: Duration = .seconds(30)) async throws {
        let client = self.client
        try await executor.run {
            let err = rd_kafka_flush(client.handle, timeout.rdkafkaMilliseconds)
            if err != RD_KAFKA_RESP_ERR_NO_ERROR { throw KafkaError.rdkafka(err, "flushing \(rd_kafka_outq_len(client.handle)) records") }
        }
    }

    // MARK: Transactions

    /// Registers the transactional id with the coordinator and fences older producers with the same id.
    public func initTransactions(timeout: Duration = .seconds(30)) async throws {
        try await transactional("initialising transactions") { rd_kafka_init_transactions($0, timeout.rdkafkaMilliseconds) }
    }

    /// Starts a transaction; every record until commit or abort belongs to it.
    public func beginTransaction() throws {
        try state.enter()
        defer { state.leave() }
        if let error = rd_kafka_begin_transaction(client.handle) {
            throw KafkaError.consuming(error, "beginning a transaction", code: .transaction)
        }
    }

    /// Flushes and commits the current transaction.
    /// - Throws: `KafkaError` with `requiresAbort` (abort, then retry), `isRetriable` (call again) or `isFatal` (fenced: stop).
    public func commitTransaction(timeout: Duration = .seconds(30)) async throws {
        try await transactional("committing a transaction") { rd_kafka_commit_transaction($0, timeout.rdkafkaMilliseconds) }
    }

    /// Aborts the current transaction; its records are marked aborted.
    public func abortTransaction(timeout: Duration = .seconds(30)) async throws {
        try await transactional("aborting a transaction") { rd_kafka_abort_transaction($0, timeout.rdkafkaMilliseconds) }
    }

    private func transactional(_ what: String, _ call: @escaping @Sendable (OpaquePointer) -> OpaquePointer?) async throws {
        try state.enter()
        defer { state.leave() }
        let client = self.client
        try await executor.run {
            if let error = call(client.handle) { throw KafkaError.consuming(error, what, code: .transaction) }
        }
    }

    /// Flushes outstanding records and stops the event thread. Records still undelivered
    /// after `timeout` are purged: their sends fail instead of waiting forever. Further sends
    /// throw `.closed`. Idempotent.
    public func close(timeout: Duration = .seconds(30)) async throws {
        let state = self.state
        // Waits for enqueues and transactional calls in progress: not on the cooperative pool.
        let first = await withCheckedContinuation { c in DispatchQueue.global().async { c.resume(returning: state.close()) } }
        guard first else { return }
        var failure: Error?
        // A producer in a fatal state (fenced) has nothing it could still deliver.
        if client.context.fatalError == nil {
            do { try await flush(timeout: timeout) } catch { failure = error }
        }
        let client = self.client, poller = self.poller
        try await executor.run {
            if rd_kafka_outq_len(client.handle) > 0 {
                _ = rd_kafka_purge(client.handle, Int32(RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT))
                // Serve the purged records' delivery reports, so that every waiting send fails.
                _ = rd_kafka_flush(client.handle, 5_000)
            }
            poller.stop()
        }
        if let failure { throw failure }
    }
}

/// A producer's open/closed state: `close` waits for enqueues in progress and refuses new ones.
final class RDKafkaProducerState: @unchecked Sendable {
    private let guardian = RDKafkaHandleGuard()
    func enter() throws { try guardian.enter("producing") }
    func leave() { guardian.leave() }
    func close() -> Bool { guardian.beginClose() }
}

extension KafkaError {
    /// librdkafka's local queue is full: wait for deliveries and try again.
    public var isQueueFull: Bool { brokerErrorName == "_QUEUE_FULL" }
}

private func withOptionalBytes<R>(_ bytes: [UInt8]?, _ body: (UnsafeRawPointer?, Int) -> R) -> R {
    guard let bytes else { return body(nil, 0) }
    return bytes.withUnsafeBytes { body($0.baseAddress ?? UnsafeRawPointer(bitPattern: 1), $0.count) }
}

/// Holds a record's completion until librdkafka reports its delivery.
final class RDKafkaDeliveryCallbackBox: @unchecked Sendable {
    let completion: @Sendable (Result<KafkaDeliveryReport, Error>) -> Void
    init(_ completion: @escaping @Sendable (Result<KafkaDeliveryReport, Error>) -> Void) { self.completion = completion }
}

/// A delivery outcome that can be awaited once.
final class RDKafkaDeliveryFuture: @unchecked Sendable {
    private let lock = NSLock()
    private var result: Result<KafkaDeliveryReport, Error>?
    private var waiter: CheckedContinuation<KafkaDeliveryReport, Error>?

    func complete(_ r: Result<KafkaDeliveryReport, Error>) {
        let w: CheckedContinuation<KafkaDeliveryReport, Error>? = lock.withLock {
            if let waiter { self.waiter = nil; return waiter }
            result = r
            return nil
        }
        w?.resume(with: r)
    }

    var value: KafkaDeliveryReport {
        get async throws {
            try await withCheckedThrowingContinuation { c in
                let ready: Result<KafkaDeliveryReport, Error>? = lock.withLock {
                    if let result { return result }
                    waiter = c
                    return nil
                }
                if let ready { c.resume(with: ready) }
            }
        }
    }
}

private let rdkafkaDeliveryCallback: @convention(c) (OpaquePointer?, UnsafePointer<rd_kafka_message_t>?, UnsafeMutableRawPointer?) -> Void = { rk, message, _ in
    guard let message, let opaque = message.pointee._private else { return }
    let box = Unmanaged<RDKafkaDeliveryCallbackBox>.fromOpaque(opaque).takeRetainedValue()
    let m = message.pointee
    if m.err == RD_KAFKA_RESP_ERR_NO_ERROR {
        let topic = m.rkt.map { String(cString: rd_kafka_topic_name($0)) } ?? ""
        box.completion(.success(KafkaDeliveryReport(topic: topic, partition: m.partition, offset: m.offset)))
    } else {
        var error = KafkaError.rdkafka(m.err, "delivering a record")
        // A fenced transactional producer is in a fatal state: it must be recreated.
        if let rk, rd_kafka_fatal_error(rk, nil, 0) != RD_KAFKA_RESP_ERR_NO_ERROR { error.isFatal = true }
        box.completion(.failure(error))
    }
}

/// A thread that serves a client's main event queue until stopped.
final class RDKafkaPoller: @unchecked Sendable {
    private let client: RDKafkaClient
    private let lock = NSLock()
    private var running = true
    private let finished = DispatchSemaphore(value: 0)

    init(client: RDKafkaClient) {
        self.client = client
        let thread = Thread { [self] in
            while lock.withLock({ running }) {
                rd_kafka_poll(client.handle, 100)
            }
            finished.signal()
        }
        thread.name = "rdkafka-poll"
        thread.start()
    }

    /// Stops the thread and waits for it. Idempotent.
    func stop() {
        let wasRunning = lock.withLock { defer { running = false }; return running }
        if wasRunning { finished.wait() }
    }
}
