import CRdKafka
import Dispatch
import Foundation
import Logging

/// Runs blocking librdkafka calls on a dispatch queue, never on Swift's cooperative pool.
struct RDKafkaBlockingExecutor: Sendable {
    let queue: DispatchQueue

    init(label: String) {
        queue = DispatchQueue(label: label)
    }

    func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            queue.async { continuation.resume(with: Result { try body() }) }
        }
    }
}

/// State that librdkafka's callbacks reach through the configuration opaque.
/// Retained for as long as the `rd_kafka_t` handle exists; released after `rd_kafka_destroy`.
final class RDKafkaCallbackContext: @unchecked Sendable {
    let logger: Logger
    let statisticsHandler: (@Sendable (String) -> Void)?
    let rebalanceHandler: KafkaRebalanceHandler?
    private let lock = NSLock()
    private var _pendingError: KafkaError?
    private var _fatalError: KafkaError?
    private var _generation: UInt64 = 0

    init(logger: Logger, statisticsHandler: (@Sendable (String) -> Void)?, rebalanceHandler: KafkaRebalanceHandler?) {
        self.logger = logger
        self.statisticsHandler = statisticsHandler
        self.rebalanceHandler = rebalanceHandler
    }

    /// A context for a client: statistics go to the configured handler, or to the log at
    /// debug level when statistics are enabled without one.
    convenience init(client: KafkaClientConfiguration, rebalanceHandler: KafkaRebalanceHandler?) {
        let logger = client.logger
        let logStatistics: @Sendable (String) -> Void = { json in
            logger.debug("librdkafka statistics", metadata: ["statistics": "\(json)"])
        }
        let statistics = client.statisticsHandler ?? (client.statisticsInterval == nil ? nil : logStatistics)
        self.init(logger: logger, statisticsHandler: statistics, rebalanceHandler: rebalanceHandler)
    }

    /// An error to surface at the next call into the client (e.g. from the rebalance hook).
    func setPending(_ error: KafkaError) { lock.withLock { _pendingError = error } }
    func takePending() -> KafkaError? { lock.withLock { defer { _pendingError = nil }; return _pendingError } }
    func setFatal(_ error: KafkaError) { lock.withLock { if _fatalError == nil { _fatalError = error } } }
    var fatalError: KafkaError? { lock.withLock { _fatalError } }
    /// Incremented by every assignment change (inside the rebalance callback).
    var generation: UInt64 { lock.withLock { _generation } }
    func nextGeneration() { lock.withLock { _generation &+= 1 } }
}

/// Waits on a dispatch thread for async work (the rebalance hook) to finish, at most `timeout`.
/// On timeout the work is cancelled and `.timeout` is returned.
func rdkafkaBlockingAwait<T: Sendable>(timeout: Duration? = nil, _ body: @escaping @Sendable () async throws -> T) -> Result<T, Error> {
    let semaphore = DispatchSemaphore(value: 0)
    let box = RDKafkaResultBox<T>()
    let task = Task {
        box.set(await Result { try await body() })
        semaphore.signal()
    }
    if let timeout {
        if semaphore.wait(timeout: .now() + .milliseconds(Int(timeout.clampedMilliseconds))) == .timedOut {
            task.cancel()
            return .failure(KafkaError(.timeout, "the rebalance hook did not finish within \(timeout)", isRetriable: true))
        }
    } else {
        semaphore.wait()
    }
    return box.get() ?? .failure(KafkaError(.rebalanceHook, "the rebalance hook returned no result"))
}

final class RDKafkaResultBox<T: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var result: Result<T, Error>?
    func set(_ r: Result<T, Error>) { lock.withLock { result = r } }
    func get() -> Result<T, Error>? { lock.withLock { result } }
}

extension Result where Failure == Error {
    init(catching body: () async throws -> Success) async {
        do { self = .success(try await body()) } catch { self = .failure(error) }
    }
}

/// Counts the calls that are using a handle, so that it is destroyed only when none is.
/// Every call enters before touching the handle; after `beginClose` no call can enter.
final class RDKafkaHandleGuard: @unchecked Sendable {
    private let condition = NSCondition()
    private var users = 0
    private var closing = false

    /// - Throws: `.closed` once closing has begun.
    func enter(_ what: @autoclosure () -> String) throws {
        condition.lock()
        defer { condition.unlock() }
        if closing { throw KafkaError(.closed, "\(what()): the client is closed") }
        users += 1
    }

    func leave() {
        condition.lock()
        users -= 1
        if users == 0 { condition.broadcast() }
        condition.unlock()
    }

    /// Refuses new calls and waits until the calls in progress have left.
    /// - Returns: false when closing had already begun (a second close).
    func beginClose() -> Bool {
        condition.lock()
        defer { condition.unlock() }
        guard !closing else { return false }
        closing = true
        while users > 0 { condition.wait() }
        return true
    }

    var isClosing: Bool {
        condition.lock()
        defer { condition.unlock() }
        return closing
    }
}

/// Owns one `rd_kafka_t` and its configuration callbacks.
final class RDKafkaClient: @unchecked Sendable {
    enum Kind { case producer, consumer }

    let handle: OpaquePointer
    let context: RDKafkaCallbackContext
    /// Calls that use `handle` go through `use`; `close` waits for them.
    let handleGuard = RDKafkaHandleGuard()
    private let contextPointer: UnsafeMutableRawPointer
    private let destroyed = NSLock()
    private var isDestroyed = false

    /// Builds the configuration and creates the handle.
    /// - Throws: `KafkaError.configuration` naming the rejected property.
    init(kind: Kind, properties: [String: String], context: RDKafkaCallbackContext,
         deliveryCallback: (@convention(c) (OpaquePointer?, UnsafePointer<rd_kafka_message_t>?, UnsafeMutableRawPointer?) -> Void)? = nil) throws {
        let conf = rd_kafka_conf_new()!
        var errstr = [CChar](repeating: 0, count: 512)
        for (key, value) in properties.sorted(by: { $0.key < $1.key }) {
            if rd_kafka_conf_set(conf, key, value, &errstr, errstr.count) != RD_KAFKA_CONF_OK {
                rd_kafka_conf_destroy(conf)
                let reason = errstr.nulTerminatedString
                throw KafkaError(.configuration, "librdkafka rejected property \(key): \(reason)")
            }
        }
        let opaque = Unmanaged.passRetained(context).toOpaque()
        rd_kafka_conf_set_opaque(conf, opaque)
        rd_kafka_conf_set_log_cb(conf, rdkafkaLogCallback)
        rd_kafka_conf_set_error_cb(conf, rdkafkaErrorCallback)
        if context.statisticsHandler != nil { rd_kafka_conf_set_stats_cb(conf, rdkafkaStatsCallback) }
        if let deliveryCallback { rd_kafka_conf_set_dr_msg_cb(conf, deliveryCallback) }
        if context.rebalanceHandler != nil { rd_kafka_conf_set_rebalance_cb(conf, rdkafkaRebalanceCallback) }
        guard let rk = rd_kafka_new(kind == .producer ? RD_KAFKA_PRODUCER : RD_KAFKA_CONSUMER, conf, &errstr, errstr.count) else {
            // On failure the configuration is still ours.
            rd_kafka_conf_destroy(conf)
            Unmanaged<RDKafkaCallbackContext>.fromOpaque(opaque).release()
            throw KafkaError(.configuration, "could not create the Kafka client: \(errstr.nulTerminatedString)")
        }
        handle = rk
        self.context = context
        contextPointer = opaque
    }

    /// Destroys the handle, then releases the callback context. Idempotent.
    func destroy() {
        let first = destroyed.withLock { () -> Bool in
            defer { isDestroyed = true }
            return !isDestroyed
        }
        guard first else { return }
        rd_kafka_destroy(handle)
        Unmanaged<RDKafkaCallbackContext>.fromOpaque(contextPointer).release()
    }

    /// True once closing has begun: no new call reaches the handle.
    var closed: Bool { handleGuard.isClosing || destroyed.withLock { isDestroyed } }

    /// Runs `body` with the handle, unless the client is closed.
    /// - Throws: `.closed` after `close`, or what `body` throws.
    func use<T>(_ what: @autoclosure () -> String, _ body: (OpaquePointer) throws -> T) throws -> T {
        try handleGuard.enter(what())
        defer { handleGuard.leave() }
        return try body(handle)
    }

    deinit { destroy() }

    /// Fetches cluster metadata for one topic or all.
    func metadata(topic: String?, timeout: Duration) throws -> [(name: String, partitions: Int, error: Int32)] {
        var md: UnsafePointer<rd_kafka_metadata>?
        var rkt: OpaquePointer?
        if let topic { rkt = rd_kafka_topic_new(handle, topic, nil) }
        defer { if let rkt { rd_kafka_topic_destroy(rkt) } }
        let err = rd_kafka_metadata(handle, topic == nil ? 1 : 0, rkt, &md, timeout.rdkafkaMilliseconds)
        guard err == RD_KAFKA_RESP_ERR_NO_ERROR, let md else { throw KafkaError.rdkafka(err, "fetching metadata") }
        defer { rd_kafka_metadata_destroy(md) }
        return (0..<Int(md.pointee.topic_cnt)).map { i in
            let t = md.pointee.topics[i]
            return (String(cString: t.topic), Int(t.partition_cnt), Int32(t.err.rawValue))
        }
    }
}

// MARK: - C callbacks (they reach Swift state through the configuration opaque)

private func context(of rk: OpaquePointer?) -> RDKafkaCallbackContext? {
    guard let rk, let opaque = rd_kafka_opaque(rk) else { return nil }
    return Unmanaged<RDKafkaCallbackContext>.fromOpaque(opaque).takeUnretainedValue()
}

private let rdkafkaLogCallback: @convention(c) (OpaquePointer?, Int32, UnsafePointer<CChar>?, UnsafePointer<CChar>?) -> Void = { rk, level, facility, message in
    guard let ctx = context(of: rk) else { return }
    let logLevel: Logger.Level
    switch level {
    case ...3: logLevel = .error
    case 4: logLevel = .warning
    case 5, 6: logLevel = .info
    default: logLevel = .debug
    }
    let fac = facility.map { String(cString: $0) } ?? ""
    ctx.logger.log(level: logLevel, "\(message.map { String(cString: $0) } ?? "")", metadata: ["rdkafka.facility": "\(fac)"])
}

private let rdkafkaErrorCallback: @convention(c) (OpaquePointer?, Int32, UnsafePointer<CChar>?, UnsafeMutableRawPointer?) -> Void = { rk, err, reason, _ in
    guard let ctx = context(of: rk) else { return }
    let text = reason.map { String(cString: $0) } ?? ""
    let code = rd_kafka_resp_err_t(rawValue: err)
    if code == RD_KAFKA_RESP_ERR__FATAL, let rk {
        var buf = [CChar](repeating: 0, count: 512)
        let underlying = rd_kafka_fatal_error(rk, &buf, buf.count)
        ctx.setFatal(KafkaError(.broker, "fatal client error: \(buf.nulTerminatedString)", brokerErrorCode: Int32(underlying.rawValue), isFatal: true))
        ctx.logger.critical("librdkafka fatal error: \(buf.nulTerminatedString)")
    } else {
        ctx.logger.warning("librdkafka error: \(text)", metadata: ["rdkafka.error": "\(String(cString: rd_kafka_err2name(code)))"])
    }
}

private let rdkafkaStatsCallback: @convention(c) (OpaquePointer?, UnsafeMutablePointer<CChar>?, Int, UnsafeMutableRawPointer?) -> Int32 = { rk, json, length, _ in
    guard let ctx = context(of: rk), let json else { return 0 }
    let text = String(decoding: UnsafeRawBufferPointer(start: json, count: length), as: UTF8.self)
    ctx.statisticsHandler?(text)
    return 0
}

private let rdkafkaRebalanceCallback: @convention(c) (OpaquePointer?, rd_kafka_resp_err_t, UnsafeMutablePointer<rd_kafka_topic_partition_list_t>?, UnsafeMutableRawPointer?) -> Void = { rk, err, partitions, _ in
    guard let rk, let ctx = context(of: rk), let handler = ctx.rebalanceHandler else { return }
    let cooperative = String(cString: rd_kafka_rebalance_protocol(rk)) == "COOPERATIVE"
    let parts = RDKafkaTopicPartitionList.read(partitions).map(\.0)
    // Records taken before this point belong to the previous assignment.
    ctx.nextGeneration()
    if err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS {
        var outcome: Result<[KafkaTopicPartition: KafkaOffset], Error> = .failure(KafkaError(.rebalanceHook, "not run"))
        for attempt in 1...max(1, handler.attempts) {
            outcome = rdkafkaBlockingAwait(timeout: handler.timeout) { try await handler.assigned(parts) }
            guard case .failure(let failure) = outcome else { break }
            ctx.logger.warning("rebalance hook failed (attempt \(attempt) of \(handler.attempts)): \(failure)")
        }
        switch outcome {
        case .success(let offsets):
            if let partitions { RDKafkaTopicPartitionList.setOffsets(partitions, offsets) }
            if cooperative {
                if let error = rd_kafka_incremental_assign(rk, partitions) {
                    ctx.setPending(KafkaError.consuming(error, "assigning partitions"))
                }
            } else {
                let e = rd_kafka_assign(rk, partitions)
                if e != RD_KAFKA_RESP_ERR_NO_ERROR { ctx.setPending(KafkaError.rdkafka(e, "assigning partitions")) }
            }
            ctx.logger.info("partitions assigned", metadata: ["partitions": "\(parts.map { "\($0)@\(offsets[$0]?.description ?? "stored")" })"])
        case .failure(let failure):
            // The group believes these partitions are ours: not consuming them silently would
            // stall them. Fail the consumer so that its owner restarts it and the group moves on.
            let error = KafkaError(.rebalanceHook,
                                   "the rebalance hook failed \(handler.attempts) times for \(parts): \(failure); close this consumer and create a new one",
                                   isFatal: true)
            ctx.logger.critical("\(error)")
            ctx.setFatal(error)
        }
    } else {
        let lost = rd_kafka_assignment_lost(rk) != 0
        _ = rdkafkaBlockingAwait(timeout: handler.timeout) { await handler.revoked(parts, lost) }
        if cooperative {
            if let error = rd_kafka_incremental_unassign(rk, partitions) {
                ctx.setPending(KafkaError.consuming(error, "revoking partitions"))
            }
        } else {
            _ = rd_kafka_assign(rk, nil)
        }
        ctx.logger.info("partitions revoked", metadata: ["partitions": "\(parts)", "lost": "\(lost)"])
    }
}

/// Conversions between `rd_kafka_topic_partition_list_t` and Swift values.
enum RDKafkaTopicPartitionList {
    static func read(_ list: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>?) -> [(KafkaTopicPartition, Int64, Int32)] {
        guard let list else { return [] }
        return (0..<Int(list.pointee.cnt)).map { i in
            let e = list.pointee.elems[i]
            return (KafkaTopicPartition(topic: String(cString: e.topic), partition: e.partition), e.offset, Int32(e.err.rawValue))
        }
    }

    static func make(_ entries: [(KafkaTopicPartition, Int64)]) -> UnsafeMutablePointer<rd_kafka_topic_partition_list_t> {
        let list = rd_kafka_topic_partition_list_new(Int32(entries.count))!
        for (tp, offset) in entries {
            let e = rd_kafka_topic_partition_list_add(list, tp.topic, tp.partition)!
            e.pointee.offset = offset
        }
        return list
    }

    static func setOffsets(_ list: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>, _ offsets: [KafkaTopicPartition: KafkaOffset]) {
        for i in 0..<Int(list.pointee.cnt) {
            let tp = KafkaTopicPartition(topic: String(cString: list.pointee.elems[i].topic), partition: list.pointee.elems[i].partition)
            if let offset = offsets[tp] { list.pointee.elems[i].offset = offset.rawValue }
        }
    }
}

extension Array where Element == CChar {
    /// The NUL-terminated text in a C error buffer.
    var nulTerminatedString: String {
        String(decoding: prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
