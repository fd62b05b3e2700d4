import Foundation
import Kafka
import Synchronization
import Testing

@Suite("Kafka client lifecycle, batches and offsets", .timeLimit(.minutes(2)))
struct KafkaLifecycleTests {
    typealias Env = KafkaTestEnvironment

    @Test func everyConsumerCallAfterCloseThrowsClosed() async throws {
        let topic = Env.unique("closed")
        try await Env.createTopic(topic, partitions: 1)
        let tp = KafkaTopicPartition(topic: topic, partition: 0)
        let consumer = try Env.consumer(group: Env.unique("g"))
        try consumer.assign([tp: .beginning])
        // A poll in progress while close is called finishes first; the handle outlives it.
        async let inFlight = consumer.poll(timeout: .milliseconds(800))
        try await Task.sleep(for: .milliseconds(100))
        try await consumer.close()
        _ = try? await inFlight
        try await consumer.close()
        func isClosed(_ body: () async throws -> Void) async -> Bool {
            do { try await body(); return false } catch let e as KafkaError { return e.code == .closed } catch { return false }
        }
        #expect(await isClosed { _ = try await consumer.poll() })
        #expect(await isClosed { try await consumer.commit([tp: 1]) })
        #expect(await isClosed { _ = try await consumer.committed([tp]) })
        #expect(await isClosed { try await consumer.seek([tp: .beginning]) })
        #expect(await isClosed { _ = try await consumer.watermarks(tp) })
        #expect(await isClosed { try consumer.pause([tp]) })
        #expect(await isClosed { try consumer.resume([tp]) })
        #expect(await isClosed { _ = try consumer.position([tp]) })
        #expect(await isClosed { _ = try consumer.assignment() })
        #expect(await isClosed { try consumer.subscribe([topic]) })
        #expect(await isClosed { try consumer.assign([tp: .beginning]) })
        #expect(await isClosed { _ = try await consumer.offsets(forTimes: [tp: 0]) })
        #expect(consumer.cachedWatermarks(tp) == nil)
    }

    @Test func sendAfterCloseFailsInsteadOfHanging() async throws {
        let topic = Env.unique("pclosed")
        try await Env.createTopic(topic, partitions: 1)
        let producer = try KafkaProducer(configuration: KafkaProducerConfiguration(client: try Env.client()))
        _ = try await producer.send(KafkaProducerRecord(topic: topic, value: [1]))
        try await producer.close()
        try await producer.close()
        await #expect(throws: KafkaError.self) { _ = try await producer.send(KafkaProducerRecord(topic: topic, value: [2])) }
        do {
            _ = try await producer.send(KafkaProducerRecord(topic: topic, value: [2]))
        } catch let e as KafkaError {
            #expect(e.code == .closed)
        }
    }

    @Test func sendsStillInFlightAtCloseFail() async throws {
        let cluster = try KafkaMockCluster(brokers: 1)
        try cluster.createTopic("inflight", partitions: 1)
        var client = KafkaClientConfiguration(bootstrapServers: cluster.bootstrapServers)
        client.logger.logLevel = .critical
        var config = KafkaProducerConfiguration(client: client)
        config.deliveryTimeout = .seconds(300)
        let producer = try KafkaProducer(configuration: config)
        _ = try await producer.send(KafkaProducerRecord(topic: "inflight", value: [0]))
        cluster.setBroker(1, up: false)
        let outcomes = Mutex<[Bool]>([])
        for i in 0..<5 {
            try producer.enqueue(KafkaProducerRecord(topic: "inflight", value: [UInt8(i)])) { r in
                outcomes.withLock { if case .success = r { $0.append(true) } else { $0.append(false) } }
            }
        }
        // The flush times out (the broker is down); close then purges, so every send completes, failed.
        await #expect(throws: KafkaError.self) { try await producer.close(timeout: .milliseconds(500)) }
        #expect(outcomes.withLock { $0 } == [false, false, false, false, false])
        cluster.setBroker(1, up: true)
    }

    @Test func fullLocalQueueMeansWaitNotFail() async throws {
        let topic = Env.unique("queuefull")
        try await Env.createTopic(topic, partitions: 1)
        var client = try Env.client()
        client.properties["queue.buffering.max.messages"] = "5"
        let producer = try KafkaProducer(configuration: KafkaProducerConfiguration(client: client))
        let records = (0..<200).map { KafkaProducerRecord(topic: topic, partition: 0, value: Array("r\($0)".utf8)) }
        let reports = try await producer.send(records)
        #expect(reports.count == 200)
        #expect(Set(reports.map(\.offset)).count == 200)
        try await producer.close()
    }

    @Test func recordTimestampIsSetOnProduce() async throws {
        let topic = Env.unique("timestamp")
        try await Env.createTopic(topic, partitions: 1)
        let producer = try KafkaProducer(configuration: KafkaProducerConfiguration(client: try Env.client()))
        let stamp: Int64 = 1_279_324_800_000  // 2010-07-17T00:00:00Z
        _ = try await producer.send(KafkaProducerRecord(topic: topic, partition: 0, value: [1], timestampMilliseconds: stamp))
        try await producer.close()
        let consumer = try Env.consumer(group: Env.unique("g"))
        try consumer.assign([KafkaTopicPartition(topic: topic, partition: 0): .beginning])
        let records = try await Env.drain(consumer, count: 1)
        #expect(records.first?.timestampMilliseconds == stamp)
        // The time-to-offset lookup answers for the partition (the test broker answers every
        // time with the earliest offset: test-broker.md).
        let offsets = try await consumer.offsets(forTimes: [KafkaTopicPartition(topic: topic, partition: 0): stamp])
        #expect(offsets[KafkaTopicPartition(topic: topic, partition: 0)] == .some(0))
        try await consumer.close()
    }

    @Test func adminDeletesTopicsAndReadsGroupAndEndOffsets() async throws {
        let topic = Env.unique("offsets")
        try await Env.createTopic(topic, partitions: 2)
        let producer = try KafkaProducer(configuration: KafkaProducerConfiguration(client: try Env.client()))
        for i in 0..<3 { _ = try await producer.send(KafkaProducerRecord(topic: topic, partition: 0, value: [UInt8(i)])) }
        _ = try await producer.send(KafkaProducerRecord(topic: topic, partition: 1, value: [9]))
        try await producer.close()
        let group = Env.unique("g")
        let consumer = try Env.consumer(group: group)
        let p0 = KafkaTopicPartition(topic: topic, partition: 0), p1 = KafkaTopicPartition(topic: topic, partition: 1)
        try consumer.assign([p0: .beginning])
        _ = try await Env.drain(consumer, count: 3)
        try await consumer.commit([p0: 2])
        try await consumer.close()

        let admin = try KafkaAdmin(configuration: try Env.client())
        let ends = try await admin.endOffsets(topic: topic)
        #expect(ends == [p0: 3, p1: 1])
        let committed = try await admin.committedOffsets(group: group, partitions: [p0, p1])
        #expect(committed[p0] == .some(2))
        #expect(committed[p1] == .some(nil))

        try await admin.deleteTopics([topic])
        try await admin.deleteTopics([topic])
        let clock = ContinuousClock()
        let deadline = clock.now + .seconds(10)
        var gone = false
        while !gone, clock.now < deadline {
            gone = try await admin.listTopics()[topic] == nil
            if !gone { try await Task.sleep(for: .milliseconds(200)) }
        }
        #expect(gone)
    }

    @Test func partitionMovesToASecondMemberAtTheOffsetItsHookChooses() async throws {
        let topic = Env.unique("move")
        try await Env.createTopic(topic, partitions: 2)
        let producer = try KafkaProducer(configuration: KafkaProducerConfiguration(client: try Env.client()))
        for p in 0..<2 {
            _ = try await producer.send((0..<10).map { KafkaProducerRecord(topic: topic, partition: Int32(p), value: [UInt8($0)]) })
        }
        try await producer.close()
        let group = Env.unique("g")
        let revokedA = Mutex<[(KafkaTopicPartition, Bool)]>([])
        let handlerA = KafkaRebalanceHandler(assigned: { _ in [:] }, revoked: { parts, lost in
            revokedA.withLock { $0 += parts.map { ($0, lost) } }
        })
        let a = try Env.consumer(group: group, handler: handlerA)
        try a.subscribe([topic])
        let first = try await Env.drain(a, count: 20)
        #expect(first.count == 20)
        let generationBefore = a.assignmentGeneration

        // B's hook starts whatever it gets at offset 6.
        let assignedB = Mutex<[KafkaTopicPartition]>([])
        let handlerB = KafkaRebalanceHandler(assigned: { parts in
            assignedB.withLock { $0 += parts }
            return Dictionary(uniqueKeysWithValues: parts.map { ($0, KafkaOffset(6)) })
        })
        let b = try Env.consumer(group: group, handler: handlerB)
        try b.subscribe([topic])
        var fromB: [KafkaRecord] = []
        var batchesA: [KafkaConsumerBatch] = []
        let clock = ContinuousClock()
        let deadline = clock.now + .seconds(60)
        while clock.now < deadline, fromB.count < 4 {
            async let pa = a.pollBatch(maxRecords: 100, timeout: .milliseconds(200))
            async let pb = b.pollBatch(maxRecords: 100, timeout: .milliseconds(200))
            let (ba, bb) = try await (pa, pb)
            batchesA.append(ba)
            fromB += bb.records
        }
        let moved = try #require(assignedB.withLock { $0.first })
        #expect(fromB.map(\.offset) == [6, 7, 8, 9])
        #expect(fromB.allSatisfy { $0.topicPartition == moved })
        #expect(revokedA.withLock { $0.contains { $0.0 == moved && !$0.1 } }, "A's revoked hook must name the moved partition, not lost")
        #expect(a.assignmentGeneration > generationBefore)
        #expect(!(try a.assignment().contains(moved)))
        try await a.close()
        try await b.close()
    }

    @Test func aBatchNeverSpansARebalance() async throws {
        let topic = Env.unique("gen")
        try await Env.createTopic(topic, partitions: 1)
        let tp = KafkaTopicPartition(topic: topic, partition: 0)
        let producer = try KafkaProducer(configuration: KafkaProducerConfiguration(client: try Env.client()))
        _ = try await producer.send((0..<10).map { KafkaProducerRecord(topic: topic, partition: 0, value: [UInt8($0)]) })
        try await producer.close()
        let consumer = try Env.consumer(group: Env.unique("g"))
        try consumer.assign([tp: .beginning])
        let g1 = consumer.assignmentGeneration
        var batch = try await consumer.pollBatch(maxRecords: 3, timeout: .seconds(10))
        while batch.records.isEmpty { batch = try await consumer.pollBatch(maxRecords: 3, timeout: .seconds(10)) }
        #expect(batch.generation == g1)
        // A new assignment: later batches carry the new generation.
        try consumer.assign([tp: KafkaOffset(5)])
        #expect(consumer.assignmentGeneration > g1)
        var next = try await consumer.pollBatch(maxRecords: 100, timeout: .seconds(10))
        while next.records.isEmpty { next = try await consumer.pollBatch(maxRecords: 100, timeout: .seconds(10)) }
        #expect(next.generation == consumer.assignmentGeneration)
        #expect(next.records.first?.offset == 5)
        try await consumer.close()
    }
}
