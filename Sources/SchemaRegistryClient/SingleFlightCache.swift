/// A cache of values that never change once loaded (schemas by id), where concurrent
/// misses for one key share a single load. A failed load is not cached: the callers
/// waiting on it get its error, and the next call loads again.
actor SingleFlightCache<Key: Hashable & Sendable, Value: Sendable> {
    private var values: [Key: Value] = [:]
    private var inFlight: [Key: Task<Value, any Error>] = [:]

    /// The cached value for `key`, without loading.
    func cached(_ key: Key) -> Value? { values[key] }

    /// The cached value for `key`; on a miss, joins the load already under way for `key`
    /// or starts `load`. The load runs in its own task, so a cancelled caller does not
    /// fail the others waiting on it.
    func value(for key: Key, load: @escaping @Sendable () async throws -> Value) async throws -> Value {
        if let value = values[key] { return value }
        if let task = inFlight[key] { return try await task.value }
        let task = Task<Value, any Error> { try await load() }
        inFlight[key] = task
        let result = await task.result
        if inFlight[key] == task { inFlight[key] = nil }
        if case .success(let value) = result { values[key] = value }
        return try result.get()
    }

    /// Number of cached values.
    var count: Int { values.count }
}
