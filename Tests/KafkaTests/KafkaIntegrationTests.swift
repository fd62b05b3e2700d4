import Foundation
import Kafka
import Synchronization
import Testing

@Suite("Kafka against the test broker", .timeLimit(.minutes(2)))
struct KafkaIntegrationTests {
    typealias Env = KafkaTestEnvironment

    @Test func roundTripWithHeadersKeysAndPartition() async throws {
        let topic = Env.unique("roundtrip")
        try await Env.createTopic(topic, partitions: 3)
        let producer = try KafkaProducer(configuration: KafkaProducerConfiguration(client: try Env.client()))
        let sent = (0..<5).map { i in
            KafkaProducerRecord(topic: topic, partition: 1, key: Array("key-\(i)".utf8), value: Array("value-\(i)".utf8),
                                headers: [KafkaHeader(key: "trace", value: Array("t\(i)".utf8)), KafkaHeader(key: "empty", value: nil)])
        }
        let reports = try await producer.send(sent)
        #expect(reports.map(\.partition) == Array(repeating: 1, count: 5))
        #expect(reports.map(\.offset) == Array(reports[0].offset..<reports[0].offset + 5))
        try await producer.close()

        let consumer = try Env.consumer(group: Env.unique("g"))
        try consumer.assign([KafkaTopicPartition(topic: topic, partition: 1): .beginning])
        let received = try await Env.drain(consumer, count: 5)
        #expect(received.count == 5)
        for (i, r) in received.enumerated() {
            #expect(r.topic == topic && r.partition == 1)
            #expect(r.key == Array("key-\(i)".utf8))
            #expect(r.value == Array("value-\(i)".utf8))
            #expect(r.header("trace") == Array("t\(i)".utf8))
            #expect(r.headers.contains(KafkaHeader(key: "empty", value: nil)))
            #expect(r.timestampMilliseconds != nil)
        }
        try await consumer.close()
    }

    @Test func adminCreatesCompactedTopicAndDescribesIt() async throws {
        let topic = Env.unique("compacted")
        let admin = try KafkaAdmin(configuration: try Env.client())
        try await admin.createTopics([KafkaNewTopic(name: topic, partitions: 3, configs: ["cleanup.policy": "compact"])])
        // Creating it again is not an error by default, and is one when asked.
        try await admin.createTopics([KafkaNewTopic(name: topic, partitions: 3)])
        await #expect(throws: KafkaError.self) {
            try await admin.createTopics([KafkaNewTopic(name: topic, partitions: 3)], ifNotExists: false)
        }
        let topics = try await admin.listTopics()
        #expect(topics[topic] == 3)
        let description = try await admin.describeTopic(topic)
        #expect(description.partitions == 3)
        #expect(description.configs["cleanup.policy"] == "compact")
    }

    @Test(arguments: [KafkaAssignmentStrategy.cooperativeSticky, .range])
    func twoConsumersInOneGroupSplitThePartitions(strategy: KafkaAssignmentStrategy) async throws {
        let topic = Env.unique("split")
        try await Env.createTopic(topic, partitions: 4)
        let group = Env.unique("group")
        let a = try Env.consumer(group: group, strategy: strategy)
        let b = try Env.consumer(group: group, strategy: strategy)
        try a.subscribe([topic])
        try b.subscribe([topic])
        let clock = ContinuousClock()
        let deadline = clock.now + .seconds(60)
        var split = false
        while clock.now < deadline {
            async let pa = a.poll(timeout: .milliseconds(200))
            async let pb = b.poll(timeout: .milliseconds(200))
            _ = try await (pa, pb)
            let sa = Set(try a.assignment()), sb = Set(try b.assignment())
            if !sa.isEmpty, !sb.isEmpty, sa.isDisjoint(with: sb), sa.union(sb).count == 4 { split = true; break }
        }
        #expect(split, "both members should own a disjoint share of the 4 partitions")
        // When one member closes (leaving the group), the other takes every partition.
        try await a.close()
        var tookOver = false
        let takeOverDeadline = clock.now + .seconds(30)
        while clock.now < takeOverDeadline, !tookOver {
            _ = try await b.poll(timeout: .milliseconds(200))
            tookOver = Set(try b.assignment()).count == 4
        }
        #expect(tookOver, "the remaining member should own all 4 partitions after the other left")
        try await b.close()
    }

    @Test(arguments: [KafkaAssignmentStrategy.cooperativeSticky, .range])
    func startOffsetsChosenInTheRebalanceHookAreHonoured(strategy: KafkaAssignmentStrategy) async throws {
        let topic = Env.unique("hook")
        try await Env.createTopic(topic, partitions: 2)
        let producer = try KafkaProducer(configuration: KafkaProducerConfiguration(client: try Env.client()))
        for p in 0..<2 {
            _ = try await producer.send((0..<10).map { KafkaProducerRecord(topic: topic, partition: Int32(p), value: Array("\(p)-\($0)".utf8)) })
        }
        try await producer.close()
        let calls = Mutex<[KafkaTopicPartition]>([])
        let starts: [KafkaTopicPartition: KafkaOffset] = [
            KafkaTopicPartition(topic: topic, partition: 0): KafkaOffset(7),
            KafkaTopicPartition(topic: topic, partition: 1): KafkaOffset(3),
        ]
        let handler = KafkaRebalanceHandler(assigned: { partitions in
            calls.withLock { $0 += partitions }
            return starts.filter { partitions.contains($0.key) }
        })
        let consumer = try Env.consumer(group: Env.unique("g"), strategy: strategy, handler: handler)
        try consumer.subscribe([topic])
        let records = try await Env.drain(consumer, count: 3 + 7)
        #expect(Set(calls.withLock { $0 }) == Set(starts.keys))
        let firstByPartition = Dictionary(grouping: records, by: \.partition).mapValues { $0.map(\.offset).min() }
        #expect(firstByPartition[0] == 7)
        #expect(firstByPartition[1] == 3)
        #expect(records.count == 10)
        try await consumer.close()
    }

    @Test func rebalanceHookThatKeepsFailingIsRetriedThenFatal() async throws {
        let topic = Env.unique("hookfail")
        try await Env.createTopic(topic, partitions: 1)
        struct StoreDown: Error {}
        let calls = Mutex(0)
        let handler = KafkaRebalanceHandler(attempts: 3, assigned: { _ in
            calls.withLock { $0 += 1 }
            throw StoreDown()
        })
        let consumer = try Env.consumer(group: Env.unique("g"), handler: handler)
        try consumer.subscribe([topic])
        let clock = ContinuousClock()
        let deadline = clock.now + .seconds(30)
        var surfaced: KafkaError?
        while clock.now < deadline, surfaced == nil {
            do { _ = try await consumer.poll(timeout: .milliseconds(200)) } catch let e as KafkaError { surfaced = e }
        }
        #expect(surfaced?.code == .rebalanceHook)
        #expect(surfaced?.isFatal == true, "partitions the group gave us but we cannot consume must fail the consumer")
        #expect(calls.withLock { $0 } == 3)
        // The failure stays: every later poll throws it too.
        await #expect(throws: KafkaError.self) { _ = try await consumer.poll(timeout: .milliseconds(100)) }
        try await consumer.close()
    }

    @Test func rebalanceHookThatFailsOnceIsRetriedAndConsumes() async throws {
        let topic = Env.unique("hookretry")
        try await Env.createTopic(topic, partitions: 1)
        let producer = try KafkaProducer(configuration: KafkaProducerConfiguration(client: try Env.client()))
        _ = try await producer.send((0..<4).map { KafkaProducerRecord(topic: topic, partition: 0, value: [UInt8($0)]) })
        try await producer.close()
        struct Flaky: Error {}
        let calls = Mutex(0)
        let handler = KafkaRebalanceHandler(attempts: 3, assigned: { partitions in
            let n = calls.withLock { $0 += 1; return $0 }
            if n == 1 { throw Flaky() }
            return Dictionary(uniqueKeysWithValues: partitions.map { ($0, KafkaOffset(1)) })
        })
        let consumer = try Env.consumer(group: Env.unique("g"), handler: handler)
        try consumer.subscribe([topic])
        let records = try await Env.drain(consumer, count: 3)
        #expect(records.map(\.offset) == [1, 2, 3])
        #expect(calls.withLock { $0 } == 2)
        try await consumer.close()
    }

    @Test func hungRebalanceHookIsBoundedByItsTimeout() async throws {
        let topic = Env.unique("hookhang")
        try await Env.createTopic(topic, partitions: 1)
        let handler = KafkaRebalanceHandler(attempts: 1, timeout: .milliseconds(500), assigned: { _ in
            try await Task.sleep(for: .seconds(600))
            return [:]
        })
        let consumer = try Env.consumer(group: Env.unique("g"), handler: handler)
        try consumer.subscribe([topic])
        let clock = ContinuousClock()
        let deadline = clock.now + .seconds(30)
        var surfaced: KafkaError?
        while clock.now < deadline, surfaced == nil {
            do { _ = try await consumer.poll(timeout: .milliseconds(200)) } catch let e as KafkaError { surfaced = e }
        }
        #expect(surfaced?.isFatal == true)
        #expect(surfaced?.message.contains("did not finish within") == true, "\(String(describing: surfaced))")
        let closeStart = clock.now
        try await consumer.close()
        #expect(clock.now - closeStart < .seconds(25), "close must not wait for the hung hook")
    }

    @Test func transactionsCommitAndAbort() async throws {
        let topic = Env.unique("txn")
        try await Env.createTopic(topic, partitions: 1)
        var config = KafkaProducerConfiguration(client: try Env.client())
        config.transactionalID = Env.unique("txn-producer")
        // Long enough that records enqueued just before an abort are still in the client.
        config.linger = .seconds(2)
        let producer = try KafkaProducer(configuration: config)
        try await producer.initTransactions()

        try producer.beginTransaction()
        _ = try await producer.send((0..<3).map { KafkaProducerRecord(topic: topic, value: Array("committed-\($0)".utf8)) })
        // While the transaction is open, a read_committed consumer sees nothing.
        let early = try Env.consumer(group: Env.unique("g"))
        try early.assign([KafkaTopicPartition(topic: topic, partition: 0): .beginning])
        let seenWhileOpen = try await Env.drain(early, count: 1, timeout: .seconds(3))
        #expect(seenWhileOpen.isEmpty, "an open transaction must be hidden from read_committed")
        try await producer.commitTransaction()
        // The same consumer, still open, then sees the committed records: it was fetching all along.
        let seenAfterCommit = try await Env.drain(early, count: 3, timeout: .seconds(15))
        #expect(seenAfterCommit.compactMap { $0.value.map { String(decoding: $0, as: UTF8.self) } } == ["committed-0", "committed-1", "committed-2"])
        try await early.close()

        try producer.beginTransaction()
        _ = try await producer.send([KafkaProducerRecord(topic: topic, value: Array("aborted".utf8))])
        try await producer.abortTransaction()

        // Records still queued in the client when the transaction aborts are never sent:
        // their sends fail (an abort that behaved like a commit would deliver them).
        try producer.beginTransaction()
        let purged = Mutex<[Result<KafkaDeliveryReport, Error>]>([])
        for i in 0..<3 {
            try producer.enqueue(KafkaProducerRecord(topic: topic, value: Array("purged-\(i)".utf8))) { r in purged.withLock { $0.append(r) } }
        }
        try await producer.abortTransaction()
        let clock = ContinuousClock()
        let purgeDeadline = clock.now + .seconds(10)
        while purged.withLock({ $0.count }) < 3, clock.now < purgeDeadline { try await Task.sleep(for: .milliseconds(20)) }
        #expect(purged.withLock { $0.count } == 3)
        #expect(purged.withLock { $0.allSatisfy { if case .failure = $0 { true } else { false } } })

        try producer.beginTransaction()
        _ = try await producer.send([KafkaProducerRecord(topic: topic, value: Array("after-abort".utf8))])
        try await producer.commitTransaction()
        try await producer.close()

        let consumer = try Env.consumer(group: Env.unique("g"))
        try consumer.assign([KafkaTopicPartition(topic: topic, partition: 0): .beginning])
        let values = try await Env.drain(consumer, count: 5, timeout: .seconds(8)).compactMap { $0.value.map { String(decoding: $0, as: UTF8.self) } }
        #expect(Array(values.filter { $0 != "aborted" }) == ["committed-0", "committed-1", "committed-2", "after-abort"])
        #expect(!values.contains { $0.hasPrefix("purged") })
        if values.contains("aborted") {
            // Broker gap (docs/test-broker.md): Tansu 0.6.0 delivers aborted records to read_committed consumers.
            print("broker gap: this broker delivers aborted transactional records to read_committed consumers; the abort itself succeeded")
        }
        try await consumer.close()
    }

    @Test func fencedProducerIsFatal() async throws {
        let topic = Env.unique("fence")
        try await Env.createTopic(topic, partitions: 1)
        let id = Env.unique("fenced")
        var config = KafkaProducerConfiguration(client: try Env.client())
        config.transactionalID = id
        let zombie = try KafkaProducer(configuration: config)
        try await zombie.initTransactions()
        try zombie.beginTransaction()
        _ = try await zombie.send(KafkaProducerRecord(topic: topic, value: Array("zombie".utf8)))
        let successor = try KafkaProducer(configuration: config)
        try await successor.initTransactions()
        var failure: KafkaError?
        do {
            _ = try await zombie.send(KafkaProducerRecord(topic: topic, value: Array("zombie-2".utf8)))
            try await zombie.commitTransaction()
        } catch let e as KafkaError {
            failure = e
        }
        #expect(failure?.isFatal == true, "a fenced producer must get a fatal error, got \(String(describing: failure))")
        try successor.beginTransaction()
        _ = try await successor.send(KafkaProducerRecord(topic: topic, value: Array("successor".utf8)))
        try await successor.commitTransaction()
    }

    @Test func unreachableBrokerGivesAClearErrorWithinTheTimeout() async throws {
        var client = KafkaClientConfiguration(bootstrapServers: "127.0.0.1:1")
        client.logger.logLevel = .critical
        var config = KafkaProducerConfiguration(client: client)
        config.deliveryTimeout = .seconds(2)
        let producer = try KafkaProducer(configuration: config)
        let clock = ContinuousClock()
        let start = clock.now
        do {
            _ = try await producer.send(KafkaProducerRecord(topic: "nowhere", value: [1]))
            Issue.record("sending to an unreachable broker must fail")
        } catch let e as KafkaError {
            #expect(e.code == .timeout)
            #expect(e.isRetriable)
            #expect(e.brokerErrorName == "_MSG_TIMED_OUT")
        }
        #expect(clock.now - start < .seconds(10))

        let admin = try KafkaAdmin(configuration: client)
        await #expect(throws: KafkaError.self) { _ = try await admin.listTopics(timeout: .seconds(2)) }
    }

    @Test func statisticsAreDeliveredFromTheServedEventQueue() async throws {
        let received = Mutex<[String]>([])
        var client = try Env.client()
        client.statisticsInterval = .milliseconds(100)
        client.statisticsHandler = { json in received.withLock { $0.append(json) } }
        let producer = try KafkaProducer(configuration: KafkaProducerConfiguration(client: client))
        let clock = ContinuousClock()
        let deadline = clock.now + .seconds(10)
        while received.withLock({ $0.count }) < 2, clock.now < deadline { try await Task.sleep(for: .milliseconds(50)) }
        let first = try #require(received.withLock { $0.first })
        #expect(first.contains("\"type\": \"producer\"") || first.contains("\"type\":\"producer\""))
        try await producer.close()
    }

    @Test func tlsSettingsPassThroughToLibrdkafka() throws {
        var client = KafkaClientConfiguration(bootstrapServers: "127.0.0.1:1")
        client.securityProtocol = .ssl
        client.properties["ssl.ca.location"] = "/nonexistent/ca.pem"
        do {
            _ = try KafkaProducer(configuration: KafkaProducerConfiguration(client: client))
            Issue.record("a missing CA file must stop the client from being created")
        } catch let e as KafkaError {
            #expect(e.code == .configuration)
            #expect(e.message.contains("ssl.ca.location") || e.message.contains("/nonexistent/ca.pem"), "\(e.message)")
        }
    }

    @Test func invalidConfigurationIsRejectedWithThePropertyName() throws {
        var client = KafkaClientConfiguration(bootstrapServers: "127.0.0.1:1")
        client.properties["no.such.property"] = "1"
        do {
            _ = try KafkaProducer(configuration: KafkaProducerConfiguration(client: client))
            Issue.record("an unknown property must be rejected")
        } catch let e as KafkaError {
            #expect(e.code == .configuration)
            #expect(e.message.contains("no.such.property"))
        }
    }

    @Test func seekPauseResumeCommitAndWatermarks() async throws {
        let topic = Env.unique("ops")
        try await Env.createTopic(topic, partitions: 1)
        let tp = KafkaTopicPartition(topic: topic, partition: 0)
        let producer = try KafkaProducer(configuration: KafkaProducerConfiguration(client: try Env.client()))
        for i in 0..<6 { _ = try await producer.send(KafkaProducerRecord(topic: topic, partition: 0, value: [UInt8(i)])) }
        try await producer.close()
        let group = Env.unique("g")
        let consumer = try Env.consumer(group: group)
        try consumer.assign([tp: .beginning])
        let first = try await Env.drain(consumer, count: 6)
        #expect(first.map(\.offset) == [0, 1, 2, 3, 4, 5])
        // Records were produced one at a time, so ListOffsets is right even on the test broker.
        let marks = try await consumer.watermarks(tp)
        #expect(marks.high == 6)
        #expect(consumer.cachedWatermarks(tp)?.high == 6)
        #expect(try consumer.position([tp])[tp] == 6)

        let before = try await consumer.positionSnapshot([tp])
        #expect(before.seekEpoch == 0 && before.positions[tp] == 6)
        let epoch = try await consumer.seek([tp: KafkaOffset(2)])
        #expect(epoch == 1, "each seek counts")
        #expect(try await consumer.positionSnapshot([tp]).seekEpoch == epoch)
        let afterSeek = try await consumer.pollBatch(maxRecords: 1, timeout: .seconds(10))
        #expect(afterSeek.seekEpoch == epoch, "a batch read after the seek carries its epoch")
        let again = try await afterSeek.records + Env.drain(consumer, count: 3)
        #expect(again.map(\.offset) == [2, 3, 4, 5])

        try await consumer.commit([tp: 4])
        #expect(try await consumer.committed([tp])[tp] == 4)

        try consumer.pause([tp])
        #expect(try await consumer.seek([tp: KafkaOffset(0)]) == epoch + 1)
        let whilePaused = try await Env.drain(consumer, count: 1, timeout: .seconds(2))
        #expect(whilePaused.isEmpty)
        try consumer.resume([tp])
        let resumed = try await Env.drain(consumer, count: 6)
        #expect(resumed.first?.offset == 0)
        try await consumer.close()
        await #expect(throws: KafkaError.self) { _ = try await consumer.poll() }
    }
}

@Suite("Kafka fault injection (librdkafka mock cluster)", .timeLimit(.minutes(1)))
struct KafkaMockClusterTests {
    @Test func brokerDownThenUp() async throws {
        let cluster = try KafkaMockCluster(brokers: 1)
        try cluster.createTopic("faults", partitions: 1)
        var client = KafkaClientConfiguration(bootstrapServers: cluster.bootstrapServers)
        client.logger.logLevel = .critical
        var config = KafkaProducerConfiguration(client: client)
        config.deliveryTimeout = .seconds(2)
        let producer = try KafkaProducer(configuration: config)
        _ = try await producer.send(KafkaProducerRecord(topic: "faults", value: [1]))
        cluster.setBroker(1, up: false)
        await #expect(throws: KafkaError.self) { _ = try await producer.send(KafkaProducerRecord(topic: "faults", value: [2])) }
        cluster.setBroker(1, up: true)
        var delivered = false
        for _ in 0..<5 where !delivered {
            delivered = (try? await producer.send(KafkaProducerRecord(topic: "faults", value: [3]))) != nil
        }
        #expect(delivered)
    }
}
