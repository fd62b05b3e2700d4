@testable import SchemaRegistry
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
