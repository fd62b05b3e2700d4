import Metrics

/// The sink's Prometheus metrics (names are part of the operations contract).
struct SinkMetrics: Sendable {
    let recordsRead = Counter(label: "sink_records_read_total")
    let rowsWritten = Counter(label: "sink_rows_written_total")
    let ratesWritten = Counter(label: "sink_fx_rates_written_total")
    let batches = Counter(label: "sink_batches_total")
    let batchesDropped = Counter(label: "sink_stale_batches_total")
    let recordsDropped = Counter(label: "sink_stale_records_total")
    let retries = Counter(label: "sink_write_retries_total")
    let rebalances = Counter(label: "sink_rebalances_total")
    let batchSize = Recorder(label: "sink_batch_records", aggregate: false)
    let batchSeconds = Timer(label: "sink_batch_write_seconds", preferredDisplayUnit: .seconds)
    let endToEndSeconds = Timer(label: "sink_end_to_end_seconds", preferredDisplayUnit: .seconds)
    let assignedPartitions = Gauge(label: "sink_assigned_partitions")

    func deadLettered(_ kind: String, stage: String) -> Counter {
        Counter(label: "sink_dead_letters_total", dimensions: [("reason", kind), ("stage", stage)])
    }

    func path(_ path: WarehouseWritePath) -> Counter {
        Counter(label: "sink_write_path_total", dimensions: [("path", path.rawValue)])
    }

    func lag(_ topic: String, _ partition: Int32) -> Gauge {
        Gauge(label: "sink_partition_lag_records", dimensions: [("topic", topic), ("partition", String(partition))])
    }
}
