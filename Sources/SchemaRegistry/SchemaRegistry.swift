import Avro
import Foundation
import Logging
import Metrics
import ServiceLifecycle
import ServiceSupport
import Synchronization

/// A registry instance: applies the log into its state, answers reads from that state,
/// and turns writes into log records whose outcome it awaits.
public final class SchemaRegistry: Service, Sendable {
    /// Instance settings.
    public struct Configuration: Sendable {
        /// How long a write waits for its record to be applied. Default 30 s.
        public var writeTimeout: Duration = .seconds(30)
        /// Schema parsing limits.
        public var limits = SchemaLimits()
        public init() {}
    }

    private let log: any RegistryLog
    private let configuration: Configuration
    private let logger: Logger
    public let readiness: ServiceReadiness
    private let state: Mutex<RegistryState>
    private let waiters = Mutex<[String: RegistryOutcomePromise]>([:])
    private let appliedOffset = Mutex<Int64>(-1)
    /// Set once the start-up marker has been applied.
    private let caughtUp = Mutex(false)
    private let syncState = Mutex<(running: RegistryOutcomePromise?, queued: RegistryOutcomePromise?)>((nil, nil))

    private let registrationsAccepted = Counter(label: "schema_registry_registrations_total", dimensions: [("outcome", "accepted")])
    private let registrationsRejected = Counter(label: "schema_registry_registrations_total", dimensions: [("outcome", "rejected")])
    private let applyLag = Gauge(label: "schema_registry_log_apply_lag_records")
    private let appliedOffsetGauge = Gauge(label: "schema_registry_log_applied_offset")
    private let applyLatency = Metrics.Timer(label: "schema_registry_write_apply_seconds")
    private let undecodable = Counter(label: "schema_registry_log_undecodable_records_total")

    public init(log: any RegistryLog, configuration: Configuration = Configuration(), readiness: ServiceReadiness = ServiceReadiness(),
                logger: Logger = Logger(label: "schema-registry")) {
        self.log = log
        self.configuration = configuration
        self.readiness = readiness
        self.logger = logger
        self.state = Mutex(RegistryState(limits: configuration.limits))
    }

    /// Applies the log until shutdown; marks the instance ready once it has read its own startup marker.
    public func run() async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await self.applyLoop() }
            group.addTask {
                try await self.sync()
                self.caughtUp.withLock { $0 = true }
                self.readiness.markReady()
                self.logger.info("caught up with the schemas log", metadata: ["offset": "\(self.appliedOffset.withLock { $0 })"])
            }
            try await group.next()
            try await group.next()
        }
    }

    private func applyLoop() async throws {
        try await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                let batch: [(offset: Int64, bytes: [UInt8]?)]
                do {
                    batch = try await self.log.poll()
                } catch {
                    if Task.isCancelled { break }
                    self.readiness.markNotReady("cannot read the schemas log: \(error)")
                    self.logger.error("reading the schemas log failed: \(error)")
                    try await Task.sleep(for: .seconds(1))
                    continue
                }
                // Reading works again after a failure: ready again, once the start-up catch-up is done.
                if !self.readiness.isReady, self.caughtUp.withLock({ $0 }) { self.readiness.markReady() }
                for (offset, bytes) in batch { self.apply(offset: offset, bytes: bytes) }
                if let end = self.log.endOffset {
                    self.applyLag.record(max(0, end - 1 - self.appliedOffset.withLock { $0 }))
                }
            }
        }
    }

    /// Applies one log record and answers the request that appended it, if it was ours.
    private func apply(offset: Int64, bytes: [UInt8]?) {
        guard let bytes, let record = RegistryLogCodec.decode(bytes) else {
            undecodable.increment()
            logger.warning("skipping an undecodable record in the schemas log", metadata: ["offset": "\(offset)"])
            appliedOffset.withLock { $0 = max($0, offset) }
            return
        }
        let outcome = state.withLock { $0.apply(record.command) }
        appliedOffset.withLock { $0 = max($0, offset) }
        appliedOffsetGauge.record(offset)
        waiters.withLock { $0.removeValue(forKey: record.requestID) }?.complete(outcome)
    }

    // MARK: - Writes

    /// Appends `command` and waits until this instance has applied it.
    public func submit(_ command: RegistryCommand) async throws(RegistryError) -> RegistryOutcome {
        let requestID = UUID().uuidString
        let start = ContinuousClock.now
        let promise = RegistryOutcomePromise()
        waiters.withLock { $0[requestID] = promise }
        do {
            try await log.append(RegistryLogRecord(requestID: requestID, command: command))
        } catch {
            fail(requestID, .storeError("appending to the schemas log failed: \(error)"))
        }
        let timeout = configuration.writeTimeout
        let outcome: RegistryOutcome = await withTaskGroup(of: RegistryOutcome?.self) { group in
            group.addTask { await promise.value }
            group.addTask {
                try? await Task.sleep(for: timeout)
                if !Task.isCancelled { self.fail(requestID, .timeout("the write was not applied within \(timeout)")) }
                return nil
            }
            for await result in group {
                if let result {
                    group.cancelAll()
                    return result
                }
            }
            return .rejected(.timeout("the write was not applied within \(timeout)"))
        }
        let elapsed = (ContinuousClock.now - start).components
        applyLatency.recordNanoseconds(elapsed.seconds * 1_000_000_000 + elapsed.attoseconds / 1_000_000_000)
        if case .rejected(let error) = outcome { throw error }
        return outcome
    }

    private func fail(_ requestID: String, _ error: RegistryError) {
        waiters.withLock { $0.removeValue(forKey: requestID) }?.complete(.rejected(error))
    }

    /// Waits until everything appended to the log before this call has been applied here.
    /// Concurrent callers share marker records: a caller joins only a marker that is
    /// appended after it arrived (the queued one), never one already on its way.
    public func sync() async throws(RegistryError) {
        enum Role { case lead, leadAfter(RegistryOutcomePromise), follow }
        let (promise, role) = syncState.withLock { s -> (RegistryOutcomePromise, Role) in
            guard let running = s.running else {
                let p = RegistryOutcomePromise()
                s.running = p
                return (p, .lead)
            }
            if let queued = s.queued { return (queued, .follow) }
            let p = RegistryOutcomePromise()
            s.queued = p
            return (p, .leadAfter(running))
        }
        switch role {
        case .lead:
            await appendMarker(promise)
        case .leadAfter(let previous):
            _ = await previous.value
            syncState.withLock { s in
                s.running = promise
                if s.queued === promise { s.queued = nil }
            }
            await appendMarker(promise)
        case .follow:
            break
        }
        if case .rejected(let error) = await promise.value { throw error }
    }

    private func appendMarker(_ promise: RegistryOutcomePromise) async {
        let outcome: RegistryOutcome
        do {
            outcome = try await submit(.noop)
        } catch {
            outcome = .rejected(error)
        }
        syncState.withLock { s in if s.running === promise { s.running = nil } }
        promise.complete(outcome)
    }

    /// Registers a schema under a subject (idempotent).
    /// - Returns: the global id and the subject version.
    public func register(_ command: RegisterCommand) async throws(RegistryError) -> (id: Int, version: Int) {
        do throws(RegistryError) {
            // Applying the command to a copy of the current state answers as the log would now:
            // a rejection, or a version that already exists, needs no record.
            let current = snapshot()
            var preview = current
            switch preview.apply(.register(command)) {
            case .rejected(let error):
                throw error
            case .registered(let id, let version)
                where current.subjects[command.subject]?.contains(RegistrySubjectVersion(version: version, id: id, deleted: false)) == true:
                registrationsAccepted.increment()
                return (id, version)
            default:
                break
            }
            guard case .registered(let id, let version) = try await submit(.register(command)) else {
                throw RegistryError.storeError("unexpected outcome")
            }
            registrationsAccepted.increment()
            return (id, version)
        } catch {
            registrationsRejected.increment()
            throw error
        }
    }

    // MARK: - Reads

    /// A copy of the current state.
    public func snapshot() -> RegistryState { state.withLock { $0 } }

    /// Reads from the state; if `body` reports a missing schema id, syncs with the log once
    /// and retries (an id handed out by another instance may not be applied here yet).
    public func read<T>(_ body: (RegistryState) throws(RegistryError) -> T) async throws(RegistryError) -> T {
        do {
            return try body(snapshot())
        } catch where error.errorCode == 40403 && readiness.isReady {
            try await sync()
            return try body(snapshot())
        }
    }

    /// The last applied log offset (-1 before the first record).
    public var lastAppliedOffset: Int64 { appliedOffset.withLock { $0 } }
}

/// An outcome delivered once and awaited by any number of tasks.
final class RegistryOutcomePromise: Sendable {
    private let state = Mutex<(result: RegistryOutcome?, waiters: [CheckedContinuation<RegistryOutcome, Never>])>((nil, []))

    func complete(_ outcome: RegistryOutcome) {
        let waiters = state.withLock { s -> [CheckedContinuation<RegistryOutcome, Never>] in
            guard s.result == nil else { return [] }
            s.result = outcome
            defer { s.waiters = [] }
            return s.waiters
        }
        for waiter in waiters { waiter.resume(returning: outcome) }
    }

    var value: RegistryOutcome {
        get async {
            await withCheckedContinuation { continuation in
                let ready = state.withLock { s -> RegistryOutcome? in
                    if let r = s.result { return r }
                    s.waiters.append(continuation)
                    return nil
                }
                if let ready { continuation.resume(returning: ready) }
            }
        }
    }
}
