import Avro
import Foundation
import Kafka
import Postgres
import PriceModel
import PriceSink
import Synchronization
import Testing

@Suite("price-sink against the test broker and Postgres", .timeLimit(.minutes(3)))
struct SinkIntegrationTests {
    typealias Env = SinkTestEnvironment

    @Test func everyGoodRecordLandsOnceAndEveryBadOneInTheDeadLetterTopic() async throws {
        let config = try await Env.sinkConfiguration()
        try await Env.createTopics(config)
        var ends: [KafkaTopicPartition: Int64] = [:]
        var records: [KafkaProducerRecord] = []
        var expected: [Candle] = []
        for base in ["BTC", "ETH", "SOL", "ADA"] {
            for d in 0..<25 {
                let c = Env.candle(base, day: d, close: Double(100 + d))
                expected.append(c)
                // Half v1, half v2 (a later writer schema with a new field).
                if d % 2 == 0 {
                    records.append(try Env.candleRecord(c, topic: config.candleTopic))
                } else {
                    guard case .record(var fields) = c.avroValue else { return }
                    fields.append(.union(branch: 1, .long(Int64(d))))
                    records.append(KafkaProducerRecord(topic: config.candleTopic, key: Array(c.key.utf8),
                                                       value: try Env.framed(.record(fields), schema: Env.schemas[2]!, id: 2)))
                }
            }
        }
        // The same candles again: duplicates are applied idempotently (one row per key).
        records += try expected.prefix(10).map { try Env.candleRecord($0, topic: config.candleTopic) }
        let good = try Env.candleRecord(Env.candle("XRP", day: 1), topic: config.candleTopic).value!
        let bad: [(String, [UInt8])] = [
            ("bad_magic", [7] + good.dropFirst()),
            ("truncated", Array(good.prefix(3))),
            ("corrupt_avro", good + [0, 0]),
            ("unknown_schema", [0, 0, 0, 0, 77] + good.dropFirst(5)),
            ("invalid_candle", try Env.candleRecord({ var c = Env.candle("XRP", day: 2); c.low = c.high * 2; return c }(), topic: config.candleTopic).value!),
        ]
        for (kind, bytes) in bad {
            records.append(KafkaProducerRecord(topic: config.candleTopic, key: Array("bad|\(kind)".utf8), value: bytes))
        }
        try await Env.produce(records, into: &ends)
        let expectedEnds = ends
        try await Env.withSink(config, schemas: FixedWriterSchemas(Env.schemas)) { _ in
            try await Env.waitStored(config, expectedEnds)
        }
        let rows = try await Env.query(config, "SELECT base, open_time, close, derived FROM prices ORDER BY base, open_time")
        #expect(rows.count == expected.count)
        let stored = Set(try rows.map { "\(try $0.decode("base", as: String.self))@\(try $0.decode("close", as: Double.self))" })
        #expect(stored == Set(expected.map { "\($0.base)@\($0.close)" }))
        let dead = try await Env.readAll(config.dlqTopic, partitions: config.candlePartitions, expect: bad.count)
        #expect(dead.count == bad.count)
        for (kind, bytes) in bad {
            let letter = try #require(dead.first { $0.key == Array("bad|\(kind)".utf8) }, "\(kind)")
            #expect(letter.value == bytes, "the dead letter carries the original bytes")
            let reason = String(decoding: letter.header(DeadLetterHeaders.reason) ?? [], as: UTF8.self)
            #expect(reason.contains(kind), "\(kind): \(reason)")
            #expect(letter.header(DeadLetterHeaders.stage) == Array((kind == "invalid_candle" ? "validate" : "decode").utf8))
            #expect(letter.header(DeadLetterHeaders.sourceTopic) == Array(config.candleTopic.utf8))
            #expect(letter.header(DeadLetterHeaders.sourceOffset).flatMap { Int64(String(decoding: $0, as: UTF8.self)) } != nil)
        }
        // sink_offsets equals the offsets after the last records, exactly.
        let db = try await PostgresConnection.connect(url: config.databaseURL)
        let storedOffsets = try await Warehouse.storedOffsets(db, group: config.group, partitions: Array(ends.keys))
        await db.close()
        #expect(storedOffsets == ends.mapValues { Optional($0) })
    }

    @Test func inrIsDerivedFromTheLatestEarlierFixingWhateverTheArrivalOrder() async throws {
        let config = try await Env.sinkConfiguration()
        try await Env.createTopics(config)
        let friday: Int32 = 19_783  // 2024-03-01
        let ends = Mutex<[KafkaTopicPartition: Int64]>([:])
        @Sendable func produce(_ records: [KafkaProducerRecord]) async throws -> [KafkaTopicPartition: Int64] {
            var e = ends.withLock { $0 }
            try await Env.produce(records, into: &e)
            ends.withLock { $0 = e }
            return e
        }
        // Candles first (Friday to Monday), and one before any fixing exists.
        let candles = (0...3).map { Env.candle(day: $0, close: 100 + Double($0)) } + [Env.candle(day: -40, close: 50), Env.candle(day: -5, close: 60)]
        _ = try await produce(try candles.map { try Env.candleRecord($0, topic: config.candleTopic) })
        // Real INR market data for Monday is kept as its own row.
        let realINR = Env.candle(quote: "INR", day: 3, close: 8_500)
        let first = try await produce([try Env.candleRecord(realINR, topic: config.candleTopic)])
        try await Env.withSink(config, schemas: FixedWriterSchemas(Env.schemas)) { _ in
            try await Env.waitStored(config, first)
            let before = try await Env.query(config, "SELECT count(*) AS n FROM prices WHERE derived")
            #expect(try before[0].decode("n", as: Int64.self) == 0, "no fixing yet: nothing derived, nothing invented")
            // Then the fixings arrive: Friday from ECB, and an older one; FRED also has Friday.
            let rates = [FxRate(base: "USD", quote: "INR", date: friday, rate: 82.9, source: "frankfurter"),
                         FxRate(base: "USD", quote: "INR", date: friday, rate: 83.1, source: "fred"),
                         FxRate(base: "USD", quote: "INR", date: friday - 10, rate: 80.0, source: "frankfurter")]
            try await Env.waitStored(config, try await produce(try rates.map { try Env.rateRecord($0, topic: config.fxTopic) }))
            // A candle that arrives after its rate is derived at once.
            try await Env.waitStored(config, try await produce([try Env.candleRecord(Env.candle(day: 4, close: 110), topic: config.candleTopic)]))
        }
        let rows = try await Env.query(config, """
            SELECT (open_time AT TIME ZONE 'UTC')::date::text AS day, close, derived, fx_source, fx_date::text AS fx_date
            FROM prices WHERE quote = 'INR' ORDER BY open_time
            """)
        let byDay = Dictionary(uniqueKeysWithValues: try rows.map { (try $0.decode("day", as: String.self), $0) })
        for (day, close) in [("2024-03-01", 100.0), ("2024-03-02", 101.0), ("2024-03-03", 102.0), ("2024-03-05", 110.0)] {
            let row = try #require(byDay[day], "\(day)")
            #expect(try row.decode("derived", as: Bool.self))
            #expect(abs(try row.decode("close", as: Double.self) - close * 82.9) < 1e-6, "\(day): Friday's ECB fixing, ECB ranks before FRED")
            #expect(try row.decode("fx_source", as: String.self) == "frankfurter")
            #expect(try row.decode("fx_date", as: String.self) == "2024-03-01", "weekend days use Friday's fixing")
        }
        let monday = try #require(byDay["2024-03-04"])
        #expect(try monday.decode("derived", as: Bool.self) == false, "real INR data is not overwritten")
        #expect(try monday.decode("close", as: Double.self) == 8_500)
        let older = try #require(byDay["2024-02-25"])
        #expect(try older.decode("fx_date", as: String.self) == "2024-02-20", "the latest fixing on or before the day, never a later one")
        #expect(abs(try older.decode("close", as: Double.self) - 60 * 80.0) < 1e-6)
        #expect(byDay["2024-01-21"] == nil, "no fixing on or before the day: nothing is derived")

        let daily = try await Env.query(config, "SELECT day::text AS day, close_usd, close_inr, inr_derived, fx_source FROM daily_prices WHERE asset = 'BTC' ORDER BY day")
        #expect(daily.count == 7)
        let mondayView = try #require(daily.first { try $0.decode("day", as: String.self) == "2024-03-04" })
        #expect(try mondayView.decode("inr_derived", as: Bool.self) == false)
        #expect(try mondayView.decode("close_usd", as: Double.self) == 103)
        #expect(try mondayView.decode("close_inr", as: Double.self) == 8_500)
    }

    @Test func aStaleWriterCannotCommitOverItsSuccessor() async throws {
        let config = try await Env.sinkConfiguration()
        let db = try await PostgresConnection.connect(url: config.databaseURL)
        try await Warehouse.migrate(db)
        let tp = KafkaTopicPartition(topic: config.candleTopic, partition: 0)
        func batch(_ day: Int, next: Int64) -> SinkBatch {
            let record = KafkaRecord(topic: tp.topic, partition: 0, offset: next - 1, key: nil, value: nil, headers: [], timestampMilliseconds: nil)
            return SinkBatch.build([(record, .success(.candle(Env.candle(day: day))))], now: Env.day(60))
        }
        let successor = Warehouse(connection: db, logger: Env.quiet("w"))
        #expect(try await successor.write(batch(1, next: 10), group: config.group, expected: [tp: nil]) {} == .committed)
        // The old owner still holds a batch and believes the stored offset is absent (or older).
        let zombieDB = try await PostgresConnection.connect(url: config.databaseURL)
        let zombie = Warehouse(connection: zombieDB, logger: Env.quiet("w"))
        #expect(try await zombie.write(batch(2, next: 8), group: config.group, expected: [tp: nil]) {} == .staleOffsets([tp]))
        #expect(try await zombie.write(batch(2, next: 8), group: config.group, expected: [tp: 5]) {} == .staleOffsets([tp]))
        let rows = try await db.query("SELECT count(*) AS n FROM prices").rows[0].decode("n", as: Int64.self)
        #expect(rows == 1, "the stale batch wrote nothing")
        #expect(try await Warehouse.storedOffsets(db, group: config.group, partitions: [tp]) == [tp: 10])
        // A failure just before commit (the dead-letter flush) rolls everything back.
        struct FlushFailed: Error {}
        await #expect(throws: FlushFailed.self) {
            _ = try await successor.write(batch(3, next: 12), group: config.group, expected: [tp: 10]) { throw FlushFailed() }
        }
        #expect(try await Warehouse.storedOffsets(db, group: config.group, partitions: [tp]) == [tp: 10])
        #expect(try await db.query("SELECT count(*) AS n FROM prices").rows[0].decode("n", as: Int64.self) == 1)
        await db.close()
        await zombieDB.close()
    }

    @Test func aFailingDatabaseIsRetriedNeverDeadLetteredAndReplayLeavesTablesIdentical() async throws {
        var settings = try await Env.sinkConfiguration()
        settings.statementTimeout = .milliseconds(500)
        let config = settings
        try await Env.createTopics(config)
        // Apply the migrations, then lock the table so that writes time out.
        let locker = try await PostgresConnection.connect(url: config.databaseURL)
        try await Warehouse.migrate(locker)
        try await locker.query("BEGIN; LOCK TABLE prices IN EXCLUSIVE MODE")
        let candles = (0..<20).map { Env.candle("DOT", day: $0) }
        var produced: [KafkaTopicPartition: Int64] = [:]
        try await Env.produce(try candles.map { try Env.candleRecord($0, topic: config.candleTopic) }, into: &produced)
        let ends = produced
        let checksumSQL = "SELECT md5(string_agg(source || base || quote || open_time::text || close::text, ',' ORDER BY source, base, quote, open_time)) AS sum, count(*) AS n FROM prices"
        try await Env.withSink(config, schemas: FixedWriterSchemas(Env.schemas)) { _ in
            try await Task.sleep(for: .seconds(3))
            let rows = try await Env.query(config, "SELECT count(*) AS n FROM prices")[0].decode("n", as: Int64.self)
            #expect(rows == 0, "nothing is stored while the table is locked")
            try await locker.query("ROLLBACK")
            try await Env.waitStored(config, ends)
        }
        await locker.close()
        #expect(try await Env.readAll(config.dlqTopic, partitions: config.candlePartitions, expect: 1).isEmpty, "a database failure is never a dead letter")
        let before = try await Env.query(config, checksumSQL)[0]
        #expect(try before.decode("n", as: Int64.self) == 20)
        // Replay from the earliest offset into the same tables: identical afterwards.
        let audit = try await PostgresConnection.connect(url: config.databaseURL)
        try await audit.query("""
            CREATE TABLE audit (n bigint NOT NULL DEFAULT 0);
            INSERT INTO audit VALUES (0);
            CREATE FUNCTION count_apply() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN UPDATE audit SET n = n + 1; RETURN NEW; END $$;
            CREATE TRIGGER count_apply AFTER INSERT OR UPDATE ON prices FOR EACH ROW WHEN (NOT NEW.derived) EXECUTE FUNCTION count_apply();
            """)
        let storedRows = try await audit.query("SELECT count(*) AS n FROM sink_offsets").rows[0].decode("n", as: Int.self)
        #expect(storedRows >= 1)
        #expect(try await SinkReplay.reset(configuration: config, from: .earliest) == storedRows)
        try await Env.withSink(config, schemas: FixedWriterSchemas(Env.schemas)) { _ in
            let clock = ContinuousClock()
            let deadline = clock.now + .seconds(60)
            while clock.now < deadline {
                let n = try await audit.query("SELECT n FROM audit").rows[0].decode("n", as: Int64.self)
                if n >= 20 { break }
                try await Task.sleep(for: .milliseconds(200))
            }
            try await Env.waitStored(config, ends)
        }
        #expect(try await audit.query("SELECT n FROM audit").rows[0].decode("n", as: Int64.self) == 20, "each record re-applied exactly once")
        let after = try await Env.query(config, checksumSQL)[0]
        #expect(try after.decode("sum", as: String.self) == before.decode("sum", as: String.self))
        await audit.close()
    }
}

@Suite("price-sink replay --into-schema", .timeLimit(.minutes(3)))
struct SinkRebuildTests {
    typealias Env = SinkTestEnvironment

    @Test func aRebuildIntoAFreshSchemaGivesTheSameTableAndSwapsIn() async throws {
        let config = try await Env.sinkConfiguration()
        try await Env.createTopics(config)
        // Produced in one committed transaction: the end offsets are exact on the test broker.
        var producerConfig = KafkaProducerConfiguration(client: try Env.kafka())
        producerConfig.transactionalID = Env.unique("rebuild")
        let producer = try KafkaProducer(configuration: producerConfig)
        try await producer.initTransactions()
        try producer.beginTransaction()
        _ = try await producer.send(try (0..<30).map { try Env.candleRecord(Env.candle(["BTC", "ETH", "SOL"][$0 % 3], day: $0 / 3), topic: config.candleTopic) })
        try await producer.commitTransaction()
        try await producer.close()
        let checksum = "SELECT md5(string_agg(source || base || quote || open_time::text || close::text, ',' ORDER BY source, base, quote, open_time)) AS s FROM prices"
        try await Env.withSink(config, schemas: FixedWriterSchemas(Env.schemas)) { _ in
            let clock = ContinuousClock()
            let deadline = clock.now + .seconds(60)
            while clock.now < deadline {
                if (try? await Env.query(config, "SELECT count(*) AS n FROM prices").first?.decode("n", as: Int64.self)) == 30 { break }
                try await Task.sleep(for: .milliseconds(200))
            }
        }
        let live = try await Env.query(config, checksum)[0].decode("s", as: String.self)
        let schema = "rebuild_\(UUID().uuidString.prefix(6).lowercased())"
        let rows = try await SinkRebuild.run(configuration: config, schema: schema, swap: true, schemas: FixedWriterSchemas(Env.schemas),
                                             logger: Env.quiet("rebuild"), timeout: .seconds(90))
        #expect(rows == 30)
        // After the swap the live name holds the rebuilt table, with the same content.
        #expect(try await Env.query(config, checksum)[0].decode("s", as: String.self) == live)
        let offsets = try await Env.query(config, "SELECT count(*) AS n FROM sink_offsets WHERE consumer_group = '\(config.group)'")
        #expect(try offsets[0].decode("n", as: Int64.self) >= 1, "the live group continues from the rebuilt offsets")
        await #expect(throws: SinkRebuild.RebuildError.self) {
            _ = try await SinkRebuild.run(configuration: config, schema: "Not A Name", swap: false, schemas: FixedWriterSchemas(Env.schemas), logger: Env.quiet("r"))
        }
    }
}
