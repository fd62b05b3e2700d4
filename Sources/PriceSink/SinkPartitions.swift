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

    /// The items of a batch read under `generation` that may still be written: those of
    /// partitions owned now and not re-assigned since the batch was read, not sought since
    /// (`reread`: they are read again from the new position), and at or after the stored
    /// offset (records before it are in Postgres already: a rebalance can hand them out again
    /// while the batch before was being committed).
    public func writable(_ items: [SinkBatch.Item], readAt generation: UInt64,
                         reread: Set<KafkaTopicPartition> = []) -> (keep: [SinkBatch.Item], dropped: Int) {
        state.withLock { owned in
            var keep: [SinkBatch.Item] = []
            keep.reserveCapacity(items.count)
            var lastPartition: KafkaTopicPartition?
            var lastOwned: Owned?
            for item in items {
                if item.topicPartition != lastPartition {
                    lastPartition = item.topicPartition
                    lastOwned = reread.contains(item.topicPartition) ? nil : owned[item.topicPartition]
                }
                guard let o = lastOwned, o.assignedAtGeneration <= generation, item.offset >= o.expected ?? 0 else { continue }
                keep.append(item)
            }
            return (keep, items.count - keep.count)
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
