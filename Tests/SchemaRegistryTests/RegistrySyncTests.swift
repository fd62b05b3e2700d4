@testable import SchemaRegistry
import Synchronization
import Testing

@Suite("Registry reads across instances", .timeLimit(.minutes(1)))
struct RegistrySyncTests {
    @Test func anIDWrittenThroughOneInstanceIsReadableThroughAnotherAtOnce() async throws {
        let logA = InMemoryRegistryLog()
        let a = SchemaRegistry(log: logA, logger: quietLogger("a"))
        let b = SchemaRegistry(log: logA.anotherReader(), logger: quietLogger("b"))
        try await withRunningRegistry(a) {
            try await withRunningRegistry(b) {
                for i in 0..<20 {
                    let schema = Schemas.record("Sync\(i)", fields: [#"{"name":"x","type":"int"}"#])
                    let (id, _) = try await a.register(RegisterCommand(subject: "s\(i)", schema: schema))
                    // b has not necessarily applied the record yet; the read syncs with the log first.
                    let text = try await b.read(schemaID: id) { state throws(RegistryError) in try state.schema(id: id).text }
                    #expect(text == schema)
                }
            }
        }
    }

    /// What holds however the 50 tasks are scheduled: every sync returns, at least one marker
    /// is appended, never more than one per caller, and never two at once (a marker is
    /// appended only after the one before it was applied). That the callers share markers
    /// when they arrive together is asserted deterministically in RegistryLogApplyTests.
    @Test func concurrentSyncsShareMarkerRecords() async throws {
        let log = MarkerConcurrencyLog()
        let registry = SchemaRegistry(log: log, logger: quietLogger("r"))
        try await withRunningRegistry(registry) {
            let before = log.inner.endOffset ?? 0
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<50 { group.addTask { try await registry.sync() } }
                try await group.waitForAll()
            }
            let markers = (log.inner.endOffset ?? 0) - before
            #expect((1...50).contains(markers), "50 concurrent syncs appended \(markers) markers")
            #expect(log.mostAtOnce.withLock { $0 } == 1)
        }
    }

    @Test func unknownIDsStay404AfterSyncing() async throws {
        let registry = SchemaRegistry(log: InMemoryRegistryLog(), logger: quietLogger("r"))
        _ = try await withRunningRegistry(registry) {
            await #expect(throws: RegistryError.schemaNotFound(12345)) {
                _ = try await registry.read(schemaID: 12345) { state throws(RegistryError) in try state.schema(id: 12345) }
            }
        }
    }
}

/// A log that records how many marker records were on their way at once (appended, not yet read back).
final class MarkerConcurrencyLog: RegistryLog {
    let inner = InMemoryRegistryLog()
    private let inFlight = Mutex<Set<Int64>>([])
    let mostAtOnce = Mutex(0)

    func append(_ record: RegistryLogRecord) async throws {
        guard case .noop = record.command else { return try await inner.append(record) }
        // The offset the marker will take: appends of markers never overlap when the registry is right,
        // and if they do, the set below grows past one either way.
        let offset = inner.endOffset ?? 0
        let count = inFlight.withLock { $0.insert(offset); return $0.count }
        mostAtOnce.withLock { $0 = max($0, count) }
        try await inner.append(record)
    }
    func poll() async throws -> [RegistryLogEntry] {
        let batch = try await inner.poll()
        inFlight.withLock { set in for entry in batch { set.remove(entry.offset) } }
        return batch
    }
    var endOffset: Int64? { inner.endOffset }
    func fetchEndOffset() async throws -> Int64? { try await inner.fetchEndOffset() }
}

/// A log whose reads fail while `failing` is set.
final class FlakyRegistryLog: RegistryLog {
    let inner = InMemoryRegistryLog()
    let failing = Mutex(false)
    struct ReadFailure: Error {}

    func append(_ record: RegistryLogRecord) async throws { try await inner.append(record) }
    func poll() async throws -> [RegistryLogEntry] {
        if failing.withLock({ $0 }) {
            try await Task.sleep(for: .milliseconds(5))
            throw ReadFailure()
        }
        return try await inner.poll()
    }
    var endOffset: Int64? { inner.endOffset }
}

@Suite("Registry readiness follows the log", .timeLimit(.minutes(1)))
struct RegistryReadinessTests {
    @Test func notReadyWhileTheLogCannotBeReadThenReadyAgain() async throws {
        let log = FlakyRegistryLog()
        let registry = SchemaRegistry(log: log, logger: quietLogger("r"))
        try await withRunningRegistry(registry) {
            #expect(registry.readiness.isReady)
            log.failing.withLock { $0 = true }
            let clock = ContinuousClock()
            var deadline = clock.now + .seconds(10)
            while registry.readiness.isReady, clock.now < deadline { try await Task.sleep(for: .milliseconds(10)) }
            #expect(!registry.readiness.isReady)
            #expect(registry.readiness.reason.contains("cannot read the schemas log"))
            log.failing.withLock { $0 = false }
            deadline = clock.now + .seconds(10)
            while !registry.readiness.isReady, clock.now < deadline { try await Task.sleep(for: .milliseconds(10)) }
            #expect(registry.readiness.isReady)
        }
    }
}
