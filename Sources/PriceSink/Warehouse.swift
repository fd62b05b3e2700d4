import Kafka
import Logging
import Postgres
import PriceModel

/// The outcome of writing one batch.
public enum WarehouseWriteOutcome: Sendable, Equatable {
    /// Rows and offsets committed together.
    case committed
    /// Postgres holds other offsets than expected for these partitions (another member
    /// wrote them: this one lost the partitions); nothing was written.
    case staleOffsets([KafkaTopicPartition])
}

/// How rows went in: a direct COPY into `prices` (every key was new) or the upsert.
public enum WarehouseWritePath: String, Sendable {
    case copy, upsert
}

/// The warehouse's SQL: one transaction per batch that writes rows, rates, derived INR
/// candles and the compare-and-set of `sink_offsets`.
public final class Warehouse: @unchecked Sendable {
    public let connection: PostgresConnection
    private let logger: Logger
    // Touched only by the batch loop (one batch at a time).
    private var upsertBatchesLeft = 0
    private var stagingReady = false
    /// The path the last batch took.
    public private(set) var lastPath: WarehouseWritePath = .copy

    /// Advisory lock that orders INR derivation between sinks: candle batches take it
    /// shared, rate batches exclusive (architecture.md: each must see the other's rows).
    static let derivationLock: Int64 = 0x7072_6963_6564

    public init(connection: PostgresConnection, logger: Logger) {
        self.connection = connection
        self.logger = logger
    }

    /// Applies the warehouse migrations (under their advisory lock).
    public static func migrate(_ connection: PostgresConnection) async throws {
        try await PostgresMigrations.apply(WarehouseMigrations.all, on: connection)
    }

    /// Stored `next_offset` per partition (nil: no row, start from the earliest offset).
    public static func storedOffsets(_ connection: PostgresConnection, group: String, partitions: [KafkaTopicPartition]) async throws -> [KafkaTopicPartition: Int64?] {
        var out: [KafkaTopicPartition: Int64?] = [:]
        for tp in partitions { out[tp] = .some(nil) }
        guard !partitions.isEmpty else { return out }
        let topics = Array(Set(partitions.map(\.topic)))
        let rows = try await connection.query(
            "SELECT topic, partition, next_offset FROM sink_offsets WHERE consumer_group = $1 AND topic = ANY($2)",
            [.text(group), .array(topics.map { .text($0) }, elementOID: 25)]).rows
        for row in rows {
            let tp = KafkaTopicPartition(topic: try row.decode("topic"), partition: try row.decode("partition", as: Int32.self))
            if out[tp] != nil { out[tp] = .some(try row.decode("next_offset", as: Int64.self)) }
        }
        return out
    }

    /// Writes a batch in one transaction.
    /// - Parameters:
    ///   - expected: the stored offsets the compare-and-set expects (nil: no row yet).
    ///   - beforeCommit: runs after everything is written and before COMMIT (the dead-letter
    ///     flush); if it throws, the transaction is rolled back.
    /// - Throws: `PostgresError` (retriable ones: retry the whole batch).
    public func write(_ batch: SinkBatch, group: String, expected: [KafkaTopicPartition: Int64?],
                      beforeCommit: @Sendable () async throws -> Void) async throws -> WarehouseWriteOutcome {
        let db = connection
        var usdCandles = batch.candles.filter { $0.quote == "USD" }
        var opening: [PostgresConnection.Statement] = [.init("BEGIN")]
        if !batch.rates.isEmpty {
            opening.append(.init("SELECT pg_advisory_xact_lock($1)", [.int64(Warehouse.derivationLock)]))
        } else if !usdCandles.isEmpty {
            opening.append(.init("SELECT pg_advisory_xact_lock_shared($1)", [.int64(Warehouse.derivationLock)]))
        }
        // Under the lock no rate batch is in progress, so the first fixing read here is final
        // for this transaction: candles before it have nothing to derive from (rates that come
        // later derive them then).
        let firstFixingAt: Int? = usdCandles.isEmpty ? nil : opening.count
        if !usdCandles.isEmpty {
            opening.append(.init("""
                SELECT (extract(epoch FROM min(rate_date)::timestamp) * 1000)::int8 AS first_fixing
                FROM fx_rates WHERE base = 'USD' AND quote = 'INR'
                """))
        }
        let casStart = opening.count
        let offsets = batch.nextOffsets.sorted { ($0.key.topic, $0.key.partition) < ($1.key.topic, $1.key.partition) }
        for (tp, next) in offsets {
            if let previous = expected[tp] ?? nil {
                opening.append(.init("""
                    UPDATE sink_offsets SET next_offset = $4, updated_at = now()
                    WHERE consumer_group = $1 AND topic = $2 AND partition = $3 AND next_offset = $5
                    """, [.text(group), .text(tp.topic), .int32(tp.partition), .int64(next), .int64(previous)]))
            } else {
                opening.append(.init("""
                    INSERT INTO sink_offsets (consumer_group, topic, partition, next_offset) VALUES ($1, $2, $3, $4)
                    ON CONFLICT DO NOTHING
                    """, [.text(group), .text(tp.topic), .int32(tp.partition), .int64(next)]))
            }
        }
        do {
            let results = try await db.pipeline(opening)
            let stale = offsets.enumerated().filter { results[casStart + $0.offset].affectedRows != 1 }.map(\.element.key)
            if !stale.isEmpty {
                try await db.query("ROLLBACK")
                return .staleOffsets(stale)
            }
            if let i = firstFixingAt {
                let first = try results[i].rows.first?.decode("first_fixing", as: Int64?.self) ?? nil
                usdCandles.removeAll { c in first.map { c.openTime < $0 } ?? true }
            }
            if !batch.rates.isEmpty { try await writeRates(batch.rates) }
            if !batch.candles.isEmpty { try await writeCandles(batch.candles) }
            var derive: [PostgresConnection.Statement] = []
            if !usdCandles.isEmpty { derive.append(Warehouse.deriveForCandles(usdCandles)) }
            if let first = batch.rates.map(\.date).min(), let last = batch.rates.map(\.date).max() {
                derive.append(Warehouse.deriveForRates(from: first, through: last))
            }
            if !derive.isEmpty { try await db.pipeline(derive) }
            try await beforeCommit()
            let commit = try await db.query("COMMIT")
            guard commit.commandTag == "COMMIT" else {
                throw PostgresError(.server, "COMMIT was answered with \(commit.commandTag)", sqlState: "25P02")
            }
            return .committed
        } catch {
            if db.isUsable { _ = try? await db.query("ROLLBACK") }
            throw error
        }
    }

    static let candleColumns = ["source", "base", "quote", "interval", "open_time", "open", "high", "low", "close",
                                "volume", "market_cap", "fetched_at"]

    private static func encode(_ candles: [Candle]) -> @Sendable (inout PostgresCopyEncoder) -> Void {
        { encoder in
            for c in candles {
                encoder.beginRow()
                encoder.text(c.source)
                encoder.text(c.base)
                encoder.text(c.quote)
                encoder.text(c.interval)
                encoder.timestampMillis(c.openTime)
                encoder.double(c.open)
                encoder.double(c.high)
                encoder.double(c.low)
                encoder.double(c.close)
                encoder.double(c.volume)
                encoder.double(c.marketCap)
                encoder.timestampMillis(c.fetchedAt)
            }
        }
    }

    /// New keys go straight into `prices` by COPY; when a key exists (replay, updates of the
    /// current day) the batch falls back to COPY into a staging table plus an upsert, and the
    /// next batches upsert directly for a while.
    private func writeCandles(_ candles: [Candle]) async throws {
        let db = connection
        if upsertBatchesLeft == 0 {
            try await db.query("SAVEPOINT sink_copy")
            do {
                try await db.copy(into: "prices", columns: Warehouse.candleColumns, encode: Warehouse.encode(candles))
                try await db.query("RELEASE SAVEPOINT sink_copy")
                lastPath = .copy
                return
            } catch let e as PostgresError where e.isUniqueViolation {
                try await db.query("ROLLBACK TO SAVEPOINT sink_copy")
                upsertBatchesLeft = 16
            }
        } else {
            upsertBatchesLeft -= 1
        }
        lastPath = .upsert
        if !stagingReady {
            try await db.query("CREATE TEMP TABLE IF NOT EXISTS sink_staging (LIKE prices INCLUDING DEFAULTS) ON COMMIT DELETE ROWS")
            stagingReady = true
        }
        try await db.copy(into: "sink_staging", columns: Warehouse.candleColumns, encode: Warehouse.encode(candles))
        try await db.query("""
            INSERT INTO prices AS t (source, base, quote, interval, open_time, open, high, low, close, volume, market_cap, fetched_at)
            SELECT source, base, quote, interval, open_time, open, high, low, close, volume, market_cap, fetched_at FROM sink_staging
            ON CONFLICT (source, base, quote, interval, open_time) DO UPDATE SET
                open = EXCLUDED.open, high = EXCLUDED.high, low = EXCLUDED.low, close = EXCLUDED.close,
                volume = EXCLUDED.volume, market_cap = EXCLUDED.market_cap, fetched_at = EXCLUDED.fetched_at,
                derived = false, fx_source = NULL, fx_date = NULL
            WHERE t.derived OR t.fetched_at <= EXCLUDED.fetched_at
            """)
    }

    private func writeRates(_ rates: [FxRate]) async throws {
        try await connection.query("""
            INSERT INTO fx_rates (base, quote, rate_date, source, rate)
            SELECT * FROM unnest($1::text[], $2::text[], $3::date[], $4::text[], $5::float8[])
            ON CONFLICT (base, quote, rate_date, source) DO UPDATE SET rate = EXCLUDED.rate
            """, [
                .array(rates.map { .text($0.base) }, elementOID: 25),
                .array(rates.map { .text($0.quote) }, elementOID: 25),
                .array(rates.map { .date(daysSinceEpoch: $0.date) }, elementOID: 1082),
                .array(rates.map { .text($0.source) }, elementOID: 25),
                .array(rates.map { .double($0.rate) }, elementOID: 701),
            ])
    }

    /// The INSERT of derived INR rows for the USD candles that `from` selects (as `p`): each USD
    /// candle times the latest USD→INR fixing dated on or before its day (never a later one; ties
    /// between sources by `fx_source_priority`). Real INR rows are never overwritten. The fixing
    /// date comes from an index-only lookup, so each candle costs two index probes.
    static func deriveStatement(from: String, where filter: String) -> String {
        """
        INSERT INTO prices AS t (source, base, quote, interval, open_time, open, high, low, close, volume, market_cap,
                                 fetched_at, derived, fx_source, fx_date)
        SELECT p.source, p.base, 'INR', p.interval, p.open_time, p.open * r.rate, p.high * r.rate, p.low * r.rate,
               p.close * r.rate, p.volume, p.market_cap * r.rate, p.fetched_at, true, r.source, r.rate_date
        FROM \(from)
        JOIN LATERAL (
            SELECT f.rate, f.source, f.rate_date
            FROM fx_rates f LEFT JOIN fx_source_priority fp ON fp.source = f.source
            WHERE f.base = 'USD' AND f.quote = 'INR'
              AND f.rate_date = (SELECT max(m.rate_date) FROM fx_rates m
                                 WHERE m.base = 'USD' AND m.quote = 'INR' AND m.rate_date <= (p.open_time AT TIME ZONE 'UTC')::date)
            ORDER BY coalesce(fp.rank, 2147483647), f.source
            LIMIT 1) r ON true
        WHERE \(filter)
        ON CONFLICT (source, base, quote, interval, open_time) DO UPDATE SET
            open = EXCLUDED.open, high = EXCLUDED.high, low = EXCLUDED.low, close = EXCLUDED.close,
            volume = EXCLUDED.volume, market_cap = EXCLUDED.market_cap, fetched_at = EXCLUDED.fetched_at,
            fx_source = EXCLUDED.fx_source, fx_date = EXCLUDED.fx_date
        WHERE t.derived
        """
    }

    static func deriveForCandles(_ candles: [Candle]) -> PostgresConnection.Statement {
        .init(deriveStatement(from: """
            unnest($1::text[], $2::text[], $3::text[], $4::timestamptz[]) AS k(source, base, interval, open_time)
            JOIN prices p ON p.source = k.source AND p.base = k.base AND p.quote = 'USD' AND p.interval = k.interval
                         AND p.open_time = k.open_time
            """, where: "NOT p.derived"), [
            .array(candles.map { .text($0.source) }, elementOID: 25),
            .array(candles.map { .text($0.base) }, elementOID: 25),
            .array(candles.map { .text($0.interval) }, elementOID: 25),
            .array(candles.map { .timestampMillis($0.openTime) }, elementOID: 1184),
        ])
    }

    /// Re-derives the days that new fixings dated `first … last` now cover: up to the next
    /// later fixing.
    static func deriveForRates(from first: Int32, through last: Int32) -> PostgresConnection.Statement {
        .init(deriveStatement(from: """
            prices p
            """, where: """
            p.quote = 'USD' AND NOT p.derived AND p.open_time >= ($1::date)::timestamp AT TIME ZONE 'UTC'
              AND p.open_time < (coalesce((SELECT min(rate_date) FROM fx_rates WHERE base = 'USD' AND quote = 'INR' AND rate_date > $2::date),
                                          'infinity'::date))::timestamp AT TIME ZONE 'UTC'
            """), [.date(daysSinceEpoch: first), .date(daysSinceEpoch: last)])
    }
}
