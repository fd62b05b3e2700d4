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
                    let text = try await b.read { state throws(RegistryError) in try state.schema(id: id).text }
                    #expect(text == schema)
                }
            }
        }
    }

    @Test func concurrentSyncsShareMarkerRecords() async throws {
        let log = InMemoryRegistryLog()
        let registry = SchemaRegistry(log: log, logger: quietLogger("r"))
        try await withRunningRegistry(registry) {
            let before = log.endOffset ?? 0
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<50 { group.addTask { try await registry.sync() } }
                try await group.waitForAll()
            }
            let markers = (log.endOffset ?? 0) - before
            #expect(markers >= 1 && markers <= 5, "50 concurrent syncs appended \(markers) markers")
        }
    }

    @Test func unknownIDsStay404AfterSyncing() async throws {
        let registry = SchemaRegistry(log: InMemoryRegistryLog(), logger: quietLogger("r"))
        try await withRunningRegistry(registry) {
            await #expect(throws: RegistryError.schemaNotFound(12345)) {
                _ = try await registry.read { state throws(RegistryError) in try state.schema(id: 12345) }
            }
        }
    }
}

/// A log whose reads fail while `failing` is set.
final class FlakyRegistryLog: RegistryLog {
    let inner = InMemoryRegistryLog()
    let failing = Mutex(false)
    struct ReadFailure: Error {}

    func append(_ record: RegistryLogRecord) async throws { try await inner.append(record) }
    func poll() async throws -> [(offset: Int64, bytes: [UInt8]?)] {
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
