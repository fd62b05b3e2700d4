import Avro
import Foundation
import Kafka
import PriceModel
import PriceSink
import Testing

@Suite("Sink logic without I/O")
struct SinkLogicTests {
    typealias Env = SinkTestEnvironment
    let now: Int64 = Env.day(30)

    func record(_ partition: Int32, _ offset: Int64, topic: String = "c") -> KafkaRecord {
        KafkaRecord(topic: topic, partition: partition, offset: offset, key: nil, value: nil, headers: [], timestampMilliseconds: nil)
    }

    @Test func parallelWritersGetWholePartitionsBalancedAndInOrder() {
        let items = [(0, 5), (1, 1), (0, 6), (2, 1), (0, 7), (1, 2), (3, 9)].map { p, o in
            SinkBatch.Item(record: record(Int32(p), Int64(o)), decoded: .failure(DeadLetterReason(stage: "decode", kind: "test", message: "")), now: 0)
        }
        let groups = SinkBatch.split(items, into: 2)
        #expect(groups.count == 2)
        #expect(groups.map(\.count).sorted() == [3, 4], "partition 0 (3 records) on one side, 1, 2 and 3 on the other")
        for group in groups {
            let partitions = Set(group.map(\.topicPartition.partition))
            #expect(partitions.isDisjoint(with: Set(groups.filter { $0.first?.topicPartition != group.first?.topicPartition }.flatMap { $0.map(\.topicPartition.partition) })))
            for p in partitions {
                let offsets = group.filter { $0.topicPartition.partition == p }.map(\.offset)
                #expect(offsets == offsets.sorted(), "consumption order kept within partition \(p)")
            }
        }
        #expect(Set(groups.flatMap { $0.map(\.offset) }).count == Set(items.map(\.offset)).count)
        #expect(SinkBatch.split(items, into: 1).first?.count == items.count)
        #expect(SinkBatch.split(Array(items.prefix(1)), into: 4).count == 1, "one partition: one group")
        #expect(SinkBatch.split([], into: 2).isEmpty)
    }

    @Test func batchKeepsTheLastCandlePerKeyByFetchedAtAndTracksNextOffsets() {
        var early = Env.candle(day: 1, close: 100)
        var late = early
        late.close = 101
        late.high = 103
        late.fetchedAt += 10
        early.fetchedAt += 1
        let other = Env.candle(day: 2)
        let batch = SinkBatch.build([
            (record(0, 5), .success(.candle(late))),
            (record(0, 9), .success(.candle(early))),
            (record(1, 3), .success(.candle(other))),
        ], now: now)
        #expect(batch.candles.count == 2)
        #expect(batch.candles.first { $0.openTime == Env.day(1) }?.close == 101)
        #expect(batch.nextOffsets == [KafkaTopicPartition(topic: "c", partition: 0): 10, KafkaTopicPartition(topic: "c", partition: 1): 4])
        #expect(batch.recordCount == 3)
    }

    @Test func normalisationAndEveryValidationRule() {
        var lower = Env.candle(day: 1)
        lower.base = " btc"
        lower.quote = "usd"
        lower.source = "CryptoCompare"
        lower.interval = "1D"
        let n = CandleRules.normalised(lower)
        #expect(n.base == "BTC" && n.quote == "USD" && n.source == "cryptocompare" && n.interval == "1d")
        #expect(CandleRules.problem(with: n, now: now) == nil)

        func broken(_ change: (inout Candle) -> Void) -> String? {
            var c = Env.candle(day: 1)
            change(&c)
            return CandleRules.problem(with: CandleRules.normalised(c), now: now)?.message
        }
        #expect(broken { $0.low = $0.high + 1 }?.contains("above high") == true)
        #expect(broken { $0.open = $0.high * 2 }?.contains("open") == true)
        #expect(broken { $0.close = $0.low / 2 }?.contains("close") == true)
        #expect(broken { $0.close = .nan }?.contains("finite") == true)
        #expect(broken { $0.open = 0 }?.contains("positive") == true)
        #expect(broken { $0.low = -1 }?.contains("positive") == true)
        #expect(broken { $0.volume = -1 }?.contains("volume") == true)
        #expect(broken { $0.openTime += 1000 }?.contains("aligned") == true)
        #expect(broken { $0.openTime = Env.day(31) }?.contains("future") == true)
        #expect(broken { $0.openTime = 100 * millisecondsPerDay }?.contains("2009") == true)
        #expect(broken { $0.interval = "fortnightly" }?.contains("interval") == true)
        #expect(broken { $0.base = "" }?.contains("empty") == true)

        let batch = SinkBatch.build([(record(0, 1), .success(.candle({ var c = Env.candle(day: 1); c.high = 1; return c }())))], now: now)
        #expect(batch.candles.isEmpty)
        #expect(batch.deadLetters.first?.reason.stage == "validate")
        #expect(batch.nextOffsets[KafkaTopicPartition(topic: "c", partition: 0)] == 2, "a dead-lettered record is consumed too")
    }

    @Test func staleRecordsOfARebalanceAreNotWritable() {
        let partitions = SinkPartitions()
        let p0 = KafkaTopicPartition(topic: "c", partition: 0), p1 = KafkaTopicPartition(topic: "c", partition: 1)
        partitions.assigned([p0: 10, p1: nil], generation: 1)
        let records = [record(0, 10), record(1, 0)].map {
            SinkBatch.Item(record: $0, decoded: .failure(DeadLetterReason(stage: "decode", kind: "test", message: "")), now: 0)
        }
        #expect(partitions.writable(records, readAt: 1).keep.count == 2)
        // p1 is revoked and assigned again (generation 3): a batch read at generation 1 is stale for it.
        partitions.revoked([p1])
        #expect(partitions.writable(records, readAt: 1).keep.map(\.topicPartition) == [p0])
        partitions.assigned([p1: 0], generation: 3)
        #expect(partitions.writable(records, readAt: 2).keep.map(\.topicPartition) == [p0])
        #expect(partitions.writable(records, readAt: 3).keep.count == 2)
        #expect(partitions.writable(records, readAt: 3, reread: [p1]).keep.map(\.topicPartition) == [p0], "sought after the batch was read")
        #expect(partitions.expected([p0, p1]) == [p0: 10, p1: 0])
        partitions.committed([p0: 20])
        #expect(partitions.expected([p0]) == [p0: 20])
        // Records before the stored offset are in Postgres already (handed out again by a rebalance).
        #expect(partitions.writable(records, readAt: 3).keep.map(\.topicPartition) == [p1])
    }

    @Test func decoderReadsOlderAndNewerWriterSchemasAndRejectsBadBytes() async throws {
        let schemas = FixedWriterSchemas(Env.schemas)
        let decoder = SinkRecordDecoder(schemas: schemas)
        let c = Env.candle(day: 3)
        let v1 = try Env.framed(c.avroValue, schema: RecordSchemas.candle, id: 1)
        #expect(try Candle(avro: try await decoder.decode(v1, reader: .candle)) == c)
        guard case .record(var fields) = c.avroValue else { return }
        fields.append(.union(branch: 1, .long(42)))
        let v2 = try Env.framed(.record(fields), schema: Env.schemas[2]!, id: 2)
        #expect(try Candle(avro: try await decoder.decode(v2, reader: .candle)) == c)
        // The specialised candle decoder (writer = reader schema) and the resolving path agree.
        #expect(try await decoder.decodeCandle(v1) == c)
        #expect(try await decoder.decodeCandle(v2) == c)
        var noCap = c
        noCap.marketCap = nil
        #expect(try await decoder.decodeCandle(try Env.framed(noCap.avroValue, schema: RecordSchemas.candle, id: 1)) == noCap)

        /// The reason of both decoders, which must be the same.
        func reason(_ bytes: [UInt8]?) async -> DeadLetterReason? {
            func outcome(_ body: () async throws -> Void) async -> DeadLetterReason? {
                do { try await body(); return nil } catch let r as DeadLetterReason { return r } catch { return nil }
            }
            let generic = await outcome { _ = try await decoder.decode(bytes, reader: .candle) }
            let specialised = await outcome { _ = try await decoder.decodeCandle(bytes) }
            #expect(generic?.kind == specialised?.kind, "\(generic.map(\.description) ?? "nil") vs \(specialised.map(\.description) ?? "nil")")
            return generic
        }
        #expect(await reason([1] + v1.dropFirst())?.kind == "bad_magic")
        #expect(await reason(Array(v1.prefix(3)))?.kind == "truncated")
        #expect(await reason(Array(v1.prefix(v1.count - 4)))?.kind == "corrupt_avro")
        #expect(await reason(v1 + [0])?.kind == "corrupt_avro", "trailing bytes")
        #expect(await reason([0, 0, 0, 0, 99] + v1.dropFirst(5))?.kind == "unknown_schema")
        #expect(await reason([0, 0xFF, 0xFF, 0xFF, 0xFE] + v1.dropFirst(5))?.kind == "unknown_schema", "a negative id is not asked for")
        #expect(await reason(try Env.framed(FxRate(base: "USD", quote: "INR", date: 1, rate: 80, source: "x").avroValue, schema: RecordSchemas.fxRate, id: 3))?.kind == "unresolvable_schema")
        #expect(await reason(nil)?.kind == "null_value")
        // A 500 MB string length prefix and invalid UTF-8 are bad records, not outages.
        #expect(await reason([0, 0, 0, 0, 1] + [0x80, 0x90, 0xDF, 0x03] + [UInt8](repeating: 0x41, count: 8))?.kind == "corrupt_avro")
        var invalidUTF8 = v1
        let sourceAt = 6  // magic, id (4), length byte, then "cryptocompare"
        invalidUTF8[sourceAt] = 0xC3
        invalidUTF8[sourceAt + 1] = 0x28
        #expect(await reason(invalidUTF8)?.kind == "corrupt_avro")

        schemas.down.withLock { $0 = true }
        let fresh = SinkRecordDecoder(schemas: schemas)
        await #expect(throws: RegistryUnavailable.self) { _ = try await fresh.decode(v1, reader: .candle) }
        await #expect(throws: RegistryUnavailable.self) { _ = try await fresh.decodeCandle(v1) }
    }

    @Test func embeddedMigrationsMatchTheFilesUnderSchemas() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let files = try FileManager.default.contentsOfDirectory(atPath: root.appendingPathComponent("schemas/postgres").path)
            .filter { $0.hasSuffix(".sql") }.sorted()
        #expect(files.count == WarehouseMigrations.all.count, "run scripts/embed-migrations")
        for (file, migration) in zip(files, WarehouseMigrations.all) {
            let text = try String(contentsOf: root.appendingPathComponent("schemas/postgres/\(file)"), encoding: .utf8)
            #expect(text.trimmingCharacters(in: .newlines) == migration.sql.trimmingCharacters(in: .newlines), "\(file) differs from its embedded copy: run scripts/embed-migrations")
        }
    }

    @Test func recordSchemasInCodeMatchTheAvscFiles() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        for (file, schema) in [("Candle.avsc", RecordSchemas.candle), ("FxRate.avsc", RecordSchemas.fxRate)] {
            let text = try String(contentsOf: root.appendingPathComponent("schemas/avro/\(file)"), encoding: .utf8)
            let parsed = try AvroParsedSchema(parsing: text)
            #expect(parsed.canonicalForm == schema.canonicalForm, "\(file)")
            #expect(parsed == schema, "\(file): docs and defaults too")
        }
    }
}
