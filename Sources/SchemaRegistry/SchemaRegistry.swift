import Avro
import Foundation
import Logging
import Metrics
import SchemaRegistryModel
import ServiceLifecycle
import ServiceSupport
import Synchronization

/// A registry instance: applies the log into its state, answers reads from that state,
/// and turns writes into log records whose outcome it awaits.
public final class SchemaRegistry: Service, Sendable {
    /// Instance settings.
    public struct Configuration: Sendable {
        /// How long a write (or a catch-up with the log) waits to be applied. Default 30 s.
        public var writeTimeout: Duration = .seconds(30)
        /// Schema parsing limits, checked by the API before a registration is appended.
        /// Records are applied with `SchemaLimits.log` whatever this says, so a depth above
        /// `SchemaLimits.log.maxDepth` only lets the log refuse what the API let through.
        public var limits = SchemaLimits()
        /// The defaults.
        public init() {}
    }

    /// Where applying the log stands.
    private struct Progress {
        /// The last offset applied (or skipped as foreign); -1 before the first record.
        var applied: Int64 = -1
        /// Callers of `catchUp()` waiting for an offset to be applied.
        var waiters: [(offset: Int64, promise: RegistryOutcomePromise)] = []
        /// Set when the applier stopped at a record it must not skip; nothing is applied after it.
        var haltReason: String?
    }

    private let log: any RegistryLog
    private let configuration: Configuration
    private let logger: Logger
    /// Ready once the start-up catch-up is done and while the log can be read and applied.
    public let readiness: ServiceReadiness
    private let state = Mutex(RegistryState())
    private let waiters = Mutex<[String: RegistryOutcomePromise]>([:])
    private let progress = Mutex(Progress())
    private let foreignCount = Mutex(0)
    /// Set once the start-up marker has been applied.
    private let caughtUp = Mutex(false)
    private let syncState = Mutex<(running: RegistryOutcomePromise?, queued: RegistryOutcomePromise?, callers: Int)>((nil, nil, 0))

    private let registrationsAccepted = Counter(label: "schema_registry_registrations_total", dimensions: [("outcome", "accepted")])
    private let registrationsRejected = Counter(label: "schema_registry_registrations_total", dimensions: [("outcome", "rejected")])
    private let applyLag = Gauge(label: "schema_registry_log_apply_lag_records")
    private let appliedOffsetGauge = Gauge(label: "schema_registry_log_applied_offset")
    private let applyLatency = Metrics.Timer(label: "schema_registry_write_apply_seconds")
    private let undecodable = Counter(label: "schema_registry_log_undecodable_records_total")
    private let foreignRecords = Counter(label: "schema_registry_log_foreign_records_total")
    private let halts = Gauge(label: "schema_registry_log_apply_halted")

    /// An instance over `log`; `run()` starts applying it.
    public init(log: any RegistryLog, configuration: Configuration = Configuration(), readiness: ServiceReadiness = ServiceReadiness(),
                logger: Logger = Logger(label: "schema-registry")) {
        self.log = log
        self.configuration = configuration
        self.readiness = readiness
        self.logger = logger
    }

    /// The limits the API checks requests against.
    public var limits: SchemaLimits { configuration.limits }

    /// Applies the log until shutdown; marks the instance ready once it has read its own startup marker.
    public func run() async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await self.applyLoop() }
            group.addTask {
                do {
                    try await self.sync()
                } catch where self.haltReason != nil {
                    // The applier stopped before the marker: stay not ready (it said why), keep serving reads.
                    return
                }
                self.caughtUp.withLock { $0 = true }
                self.readiness.markReady()
                self.logger.info("caught up with the schemas log", metadata: ["offset": "\(self.lastAppliedOffset)"])
            }
            try await group.next()
            try await group.next()
        }
    }

    private func applyLoop() async throws {
        try await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                if self.haltReason != nil {
                    // Never read past the record the applier stopped at; wait for shutdown.
                    try? await Task.sleep(for: .seconds(1))
                    continue
                }
                let batch: [RegistryLogEntry]
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
                if !self.readiness.isReady, self.caughtUp.withLock({ $0 }), self.haltReason == nil { self.readiness.markReady() }
                self.apply(batch)
                if let end = self.log.endOffset {
                    self.applyLag.record(max(0, end - 1 - self.lastAppliedOffset))
                }
            }
        }
    }

    /// Applies a batch of log records to a copy of the state, publishes the copy, then
    /// answers the requests the batch's records came from. Readers take the state's lock only
    /// to copy it, so no parse ever runs under that lock.
    private func apply(_ batch: [RegistryLogEntry]) {
        guard !batch.isEmpty else { return }
        var working = state.withLock { $0 }
        var outcomes: [(requestID: String, outcome: RegistryOutcome)] = []
        var lastOffset: Int64?
        var stop: String?
        var skipped = 0
        for entry in batch {
            switch RegistryLogCodec.decode(entry) {
            case .record(let record):
                outcomes.append((record.requestID, working.apply(record.command, formatVersion: record.formatVersion)))
                lastOffset = entry.offset
            case .foreign:
                skipped += 1
                lastOffset = entry.offset
            case .newerFormat(let version):
                stop = "the schemas log record at offset \(entry.offset) has format version \(version); this instance applies up to "
                    + "\(RegistryLogRecord.currentFormatVersion): upgrade it"
            case .unreadable(let why):
                undecodable.increment()
                stop = "the schemas log record at offset \(entry.offset) cannot be read (\(why))"
            }
            if stop != nil { break }
        }
        state.withLock { swap(&$0, &working) }
        if skipped > 0 {
            foreignCount.withLock { $0 += skipped }
            foreignRecords.increment(by: skipped)
        }
        if let lastOffset {
            let ready = progress.withLock { p -> [RegistryOutcomePromise] in
                p.applied = max(p.applied, lastOffset)
                let done = p.waiters.filter { $0.offset <= p.applied }.map(\.promise)
                p.waiters.removeAll { $0.offset <= p.applied }
                return done
            }
            appliedOffsetGauge.record(lastOffset)
            for promise in ready { promise.complete(.done) }
        }
        for (requestID, outcome) in outcomes {
            waiters.withLock { $0.removeValue(forKey: requestID) }?.complete(outcome)
        }
        if let stop { halt(stop) }
    }

    /// Stops applying the log for good (until restart): not ready, and every waiting or later
    /// write and catch-up fails with the reason.
    private func halt(_ reason: String) {
        let message = "stopped applying the schemas log: \(reason)"
        let pending = progress.withLock { p -> [RegistryOutcomePromise] in
            p.haltReason = message
            defer { p.waiters = [] }
            return p.waiters.map(\.promise)
        }
        halts.record(1)
        readiness.markNotReady(message)
        logger.error("\(message)", metadata: ["applied-offset": "\(lastAppliedOffset)"])
        let error = RegistryError.storeError(message)
        for promise in pending { promise.complete(.rejected(error)) }
        let writes = waiters.withLock { w -> [RegistryOutcomePromise] in
            defer { w = [:] }
            return Array(w.values)
        }
        for promise in writes { promise.complete(.rejected(error)) }
    }

    /// Why the applier stopped, or nil while it runs.
    public var haltReason: String? { progress.withLock { $0.haltReason } }

    /// Records skipped because their key is not one this registry writes.
    public var foreignRecordsSkipped: Int { foreignCount.withLock { $0 } }

    // MARK: - Writes

    /// Appends `command` and waits until this instance has applied it.
    public func submit(_ command: RegistryCommand) async throws(RegistryError) -> RegistryOutcome {
        if let reason = haltReason { throw .storeError(reason) }
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
        let outcome = await promise.value(timeout: timeout) {
            self.fail(requestID, .timeout("the write was not applied within \(timeout)"))
        }
        let elapsed = (ContinuousClock.now - start).components
        applyLatency.recordNanoseconds(elapsed.seconds * 1_000_000_000 + elapsed.attoseconds / 1_000_000_000)
        if case .rejected(let error) = outcome { throw error }
        return outcome
    }

    private func fail(_ requestID: String, _ error: RegistryError) {
        waiters.withLock { $0.removeValue(forKey: requestID) }?.complete(.rejected(error))
    }

    /// Waits until everything appended to the log before this call has been applied here,
    /// by appending a marker record and waiting for it.
    /// Concurrent callers share marker records: a caller joins only a marker that is
    /// appended after it arrived (the queued one), never one already on its way.
    public func sync() async throws(RegistryError) {
        enum Role { case lead, leadAfter(RegistryOutcomePromise), follow }
        let (promise, role) = syncState.withLock { s -> (RegistryOutcomePromise, Role) in
            s.callers += 1
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

    /// How many calls `sync()` has had (tests use it to know every caller has arrived).
    var syncCallers: Int { syncState.withLock { $0.callers } }

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

    /// Waits until this instance has applied every record the log held when called, without
    /// writing to the log: it asks the log for its end offset. Falls back to `sync()` (a
    /// marker record) when the log cannot tell its end.
    /// - Throws: 50001 when the log cannot be asked or the applier has stopped, 50002 when the
    ///   records are not applied within the write timeout.
    public func catchUp() async throws(RegistryError) {
        if let reason = haltReason { throw .storeError(reason) }
        let end: Int64?
        do {
            end = try await log.fetchEndOffset()
        } catch {
            throw .storeError("cannot read the end offset of the schemas log: \(error)")
        }
        guard let end else { return try await sync() }
        let target = end - 1
        let promise = RegistryOutcomePromise()
        let waiting = progress.withLock { p -> Bool in
            guard p.haltReason == nil, p.applied < target else { return false }
            p.waiters.append((target, promise))
            return true
        }
        guard waiting else {
            if let reason = haltReason { throw .storeError(reason) }
            return
        }
        let timeout = configuration.writeTimeout
        let outcome = await promise.value(timeout: timeout) {
            promise.complete(.rejected(.timeout("the schemas log was not applied up to offset \(target) within \(timeout)")))
        }
        progress.withLock { p in p.waiters.removeAll { $0.promise === promise } }
        if case .rejected(let error) = outcome { throw error }
    }

    /// Registers a schema under a subject (idempotent).
    ///
    /// The registration is first checked against this instance's state (with the API's
    /// limits): an existing version is answered at once, and a rejection is answered only
    /// after catching up with the log and checking again, since another instance may have
    /// changed what it depends on (a level, a mode, a referenced version).
    /// - Returns: the global id and the subject version.
    public func register(_ command: RegisterCommand) async throws(RegistryError) -> (id: Int, version: Int) {
        do throws(RegistryError) {
            let existing: (id: Int, version: Int)?
            do {
                existing = try preview(command, in: snapshot())
            } catch where Self.mayDependOnState(error, command) {
                try await catchUp()
                existing = try preview(command, in: snapshot())
            }
            if let existing {
                registrationsAccepted.increment()
                return existing
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

    /// Answers `command` as the log would now: a rejection, or the version that already
    /// exists (nil when a record must be appended).
    private func preview(_ command: RegisterCommand, in current: RegistryState) throws(RegistryError) -> (id: Int, version: Int)? {
        try RegistryState.validateImport(id: command.id, version: command.version)
        _ = try current.prepare(command, limits: configuration.limits)
        var copy = current
        switch copy.apply(.register(command)) {
        case .rejected(let error):
            throw error
        case .registered(let id, let version)
            where current.subjects[command.subject]?.contains(RegistrySubjectVersion(version: version, id: id, deleted: false)) == true:
            return (id, version)
        default:
            return nil
        }
    }

    /// Whether a rejection could change once this instance has caught up with the log: all
    /// but an invalid schema without references and an invalid id or version.
    private static func mayDependOnState(_ error: RegistryError, _ command: RegisterCommand) -> Bool {
        switch error.errorCode {
        case 42201: return !command.references.isEmpty && command.schemaType == .avro
        case 42202: return false
        default: return error.status != 500
        }
    }

    // MARK: - Reads

    /// A copy of the current state.
    public func snapshot() -> RegistryState { state.withLock { $0 } }

    /// Reads schema `id` from the state with `body`. When `body` reports the id missing and
    /// the id is one this instance has not seen given out yet (at or above its next id, and a
    /// valid id), it catches up with the log once and retries: another instance may have just
    /// assigned it. Ids below the next id are never given out later, so they are answered at
    /// once and cost the log nothing. Until the start-up catch-up is done (a restarted instance
    /// still reading the log) any missing id waits for the log: a 404 then would tell a
    /// deserializer that an existing schema does not exist.
    public func read<T>(schemaID id: Int, _ body: (RegistryState) throws(RegistryError) -> T) async throws(RegistryError) -> T {
        let current = snapshot()
        do {
            return try body(current)
        } catch where error.errorCode == 40403 && id <= Int(Int32.max)
                        && (!caughtUp.withLock({ $0 }) || (readiness.isReady && id >= current.nextID)) {
            try await catchUp()
            return try body(snapshot())
        }
    }

    /// The last applied log offset (-1 before the first record).
    public var lastAppliedOffset: Int64 { progress.withLock { $0.applied } }
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

    /// The outcome, or whatever `onTimeout` completes the promise with once `timeout` has passed.
    func value(timeout: Duration, onTimeout: @escaping @Sendable () -> Void) async -> RegistryOutcome {
        await withTaskGroup(of: RegistryOutcome?.self) { group in
            group.addTask { await self.value }
            group.addTask {
                try? await Task.sleep(for: timeout)
                if !Task.isCancelled { onTimeout() }
                return nil
            }
            for await result in group {
                if let result {
                    group.cancelAll()
                    return result
                }
            }
            return .rejected(.timeout("no outcome within \(timeout)"))
        }
    }
}
