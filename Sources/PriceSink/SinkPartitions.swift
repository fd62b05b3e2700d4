import Kafka
import Synchronization

/// Which partitions this sink owns, since which assignment generation, and the stored
/// `next_offset` it expects to find in Postgres for each (the compare-and-set's "previous").
/// Updated by the rebalance hook; read by the batch loop.
public final class SinkPartitions: Sendable {
    struct Owned: Sendable {
        var expected: Int64?
        var assignedAtGeneration: UInt64
    }
    private let state = Mutex<[KafkaTopicPartition: Owned]>([:])

    public init() {}

    /// Records an assignment read from Postgres (nil: no stored offset).
    public func assigned(_ stored: [KafkaTopicPartition: Int64?], generation: UInt64) {
        state.withLock { owned in
            for (tp, offset) in stored { owned[tp] = Owned(expected: offset, assignedAtGeneration: generation) }
        }
    }

    public func revoked(_ partitions: [KafkaTopicPartition]) {
        state.withLock { owned in for tp in partitions { owned[tp] = nil } }
    }

    public var owned: Set<KafkaTopicPartition> { state.withLock { Set($0.keys) } }

    /// The records of a batch read under `generation` that may still be written: those of
    /// partitions owned now and not re-assigned since the batch was read.
    public func writable(_ records: [KafkaRecord], readAt generation: UInt64) -> (keep: [KafkaRecord], dropped: Int) {
        state.withLock { owned in
            let keep = records.filter { r in
                guard let o = owned[r.topicPartition] else { return false }
                return o.assignedAtGeneration <= generation
            }
            return (keep, records.count - keep.count)
        }
    }

    /// The stored offsets the compare-and-set expects.
    public func expected(_ partitions: some Sequence<KafkaTopicPartition>) -> [KafkaTopicPartition: Int64?] {
        state.withLock { owned in
            var out: [KafkaTopicPartition: Int64?] = [:]
            for tp in partitions { out[tp] = owned[tp]?.expected ?? nil }
            return out
        }
    }

    /// After a commit: the new stored offsets.
    public func committed(_ offsets: [KafkaTopicPartition: Int64]) {
        state.withLock { owned in
            for (tp, next) in offsets where owned[tp] != nil { owned[tp]?.expected = next }
        }
    }

    /// After a failed compare-and-set: what Postgres really holds.
    public func reload(_ stored: [KafkaTopicPartition: Int64?]) {
        state.withLock { owned in
            for (tp, offset) in stored where owned[tp] != nil { owned[tp]?.expected = offset }
        }
    }
}
