import Avro
import Foundation
import Kafka
import Logging
import SchemaRegistry
import Testing

@Suite("Registry instances sharing one Kafka topic", .timeLimit(.minutes(3)))
struct RegistryMultiInstanceTests {
    func kafkaClient() throws -> KafkaClientConfiguration {
        guard let servers = ProcessInfo.processInfo.environment["KAFKA_BOOTSTRAP_SERVERS"], !servers.isEmpty else {
            throw RegistryError(status: 500, errorCode: 50001, message: "KAFKA_BOOTSTRAP_SERVERS is not set: run the tests with scripts/test")
        }
        return KafkaClientConfiguration(bootstrapServers: servers, logger: quietLogger("kafka"))
    }

    func instance(topic: String) async throws -> (SchemaRegistry, KafkaRegistryLog) {
        let log = try await KafkaRegistryLog.open(topic: topic, client: try kafkaClient())
        return (SchemaRegistry(log: log, logger: quietLogger("registry")), log)
    }

    /// A schema per (family, variant): variants of one family are mutually compatible
    /// (added fields with defaults); families differ in record name.
    func schema(family: Int, variant: Int) -> String {
        let extra = (0..<variant).map { #"{"name":"f\#($0)","type":"long","default":0}"# }
        return Schemas.record("Rec\(family)", fields: [#"{"name":"id","type":"string"}"#] + extra)
    }

    @Test func anIDRegisteredThroughOneInstanceIsReadThroughAnotherWithoutWritingToTheTopic() async throws {
        let topic = "_schemas_test_\(UUID().uuidString.prefix(8))"
        let (a, logA) = try await instance(topic: topic)
        let (b, logB) = try await instance(topic: topic)
        try await withRunningRegistry(a) {
            try await withRunningRegistry(b) {
                for i in 0..<10 {
                    let (id, _) = try await a.register(RegisterCommand(subject: "s\(i)", schema: schema(family: i, variant: 0)))
                    // b catches up by asking the broker for the topic's end, then reads.
                    let text = try await b.read(schemaID: id) { state throws(RegistryError) in try state.schema(id: id).text }
                    #expect(text == schema(family: i, variant: 0))
                }
                let end = try await logB.fetchEndOffset()
                for _ in 0..<20 {
                    await #expect(throws: RegistryError.self) {
                        _ = try await b.read(schemaID: 999_999) { state throws(RegistryError) in try state.schema(id: 999_999) }
                    }
                }
                #expect(try await logB.fetchEndOffset() == end)
            }
        }
        await logA.close()
        await logB.close()
    }

    @Test func concurrentRegistrationsOverTwoInstancesNeverConflict() async throws {
        let topic = "_schemas_test_\(UUID().uuidString.prefix(8))"
        let (a, logA) = try await instance(topic: topic)
        let (b, logB) = try await instance(topic: topic)
        // 200 registrations over 20 subjects. Each subject takes one of 4 families (so 5 subjects
        // share each schema and its id) and 5 compatible variants of it arrive concurrently
        // (so version numbers are contended), each variant twice (idempotence under contention).
        let requests: [(subject: String, schema: String)] = (0..<200).map { i in
            let subject = i % 20
            return ("subject-\(subject)", schema(family: subject % 4, variant: (i / 20) % 5))
        }
        let results = try await withRunningRegistry(a) {
            try await withRunningRegistry(b) {
                let results = try await withThrowingTaskGroup(of: (Int, Int, Int).self) { group in
                    for (i, request) in requests.enumerated() {
                        let target = i % 2 == 0 ? a : b
                        group.addTask {
                            let (id, version) = try await target.register(RegisterCommand(subject: request.subject, schema: request.schema))
                            return (i, id, version)
                        }
                    }
                    var out: [(Int, Int, Int)] = []
                    for try await r in group { out.append(r) }
                    return out
                }
                try await a.sync()
                try await b.sync()
                #expect(a.snapshot() == b.snapshot(), "both instances must hold the same state")
                return results
            }
        }
        let state = a.snapshot()
        // Every answer agrees with the state both instances hold.
        for (i, id, version) in results {
            let request = requests[i]
            let stored = try state.schema(id: id)
            #expect(try AvroParsedSchema(parsing: stored.text).normalizedForm == AvroParsedSchema(parsing: request.schema).normalizedForm)
            let v = try state.version(String(version), of: request.subject, includeDeleted: false)
            #expect(v.id == id)
        }
        // One id per distinct schema, one schema per id.
        let distinctSchemas = Set(requests.map { try! AvroParsedSchema(parsing: $0.schema).normalizedForm })
        #expect(state.schemas.count == distinctSchemas.count)
        #expect(Set(state.schemas.values.map { try! AvroParsedSchema(parsing: $0.text).normalizedForm }).count == distinctSchemas.count)
        // Versions of a subject are 1...n with distinct schemas.
        for (subject, versions) in state.subjects {
            #expect(versions.map(\.version) == Array(1...versions.count), "\(subject)")
            #expect(Set(versions.map(\.id)).count == versions.count, "\(subject)")
        }
        await logA.close()
        await logB.close()

        // A restarted instance rebuilds identical state from the topic alone.
        let (c, logC) = try await instance(topic: topic)
        try await withRunningRegistry(c) { #expect(c.snapshot() == state) }
        await logC.close()
    }
}
