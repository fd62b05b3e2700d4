import CRdKafka

/// An error from the Kafka client: what failed, librdkafka's code when it has one,
/// and whether to retry, abort the transaction or stop.
public struct KafkaError: Error, Sendable, CustomStringConvertible {
    /// The kind of failure. Cases may be added.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Backing: String, Hashable, Sendable {
            case configuration, broker, transaction, timeout, rebalanceHook, closed, topicAdministration, invalidArgument
        }
        private let backing: Backing
        private init(_ b: Backing) { backing = b }
        /// A configuration property was rejected: fix the configuration.
        public static let configuration = Code(.configuration)
        /// librdkafka reported an error talking to the cluster (see `brokerErrorName`).
        public static let broker = Code(.broker)
        /// A transactional call failed (see `isRetriable`, `requiresAbort`, `isFatal`).
        public static let transaction = Code(.transaction)
        /// The operation did not complete within its timeout: is the broker reachable?
        public static let timeout = Code(.timeout)
        /// The caller's rebalance hook failed; the partitions were not assigned.
        public static let rebalanceHook = Code(.rebalanceHook)
        /// The client is closed.
        public static let closed = Code(.closed)
        /// Creating or describing topics failed.
        public static let topicAdministration = Code(.topicAdministration)
        /// An argument was invalid.
        public static let invalidArgument = Code(.invalidArgument)
        public var description: String { backing.rawValue }
    }

    public var code: Code
    public var message: String
    /// librdkafka's error code (`rd_kafka_resp_err_t`), when the error came from librdkafka.
    public var brokerErrorCode: Int32?
    /// librdkafka's name for the error code, such as `_MSG_TIMED_OUT` or `PRODUCER_FENCED`.
    public var brokerErrorName: String?
    /// The operation may succeed if retried as it is.
    public var isRetriable: Bool
    /// The client cannot continue (for a transactional producer: fenced); stop and recreate it.
    public var isFatal: Bool
    /// The current transaction must be aborted; then it can be retried.
    public var requiresAbort: Bool
    public var file: String
    public var line: Int

    init(_ code: Code, _ message: String, brokerErrorCode: Int32? = nil, isRetriable: Bool = false, isFatal: Bool = false,
         requiresAbort: Bool = false, file: String = #fileID, line: Int = #line) {
        self.code = code
        self.message = message
        self.brokerErrorCode = brokerErrorCode
        self.brokerErrorName = brokerErrorCode.map { String(cString: rd_kafka_err2name(rd_kafka_resp_err_t($0))) }
        self.isRetriable = isRetriable
        self.isFatal = isFatal
        self.requiresAbort = requiresAbort
        self.file = file
        self.line = line
    }

    /// An error from a bare librdkafka code.
    static func rdkafka(_ err: rd_kafka_resp_err_t, _ context: String, code: Code = .broker, file: String = #fileID, line: Int = #line) -> KafkaError {
        let text = String(cString: rd_kafka_err2str(err))
        let timedOut = err == RD_KAFKA_RESP_ERR__TIMED_OUT || err == RD_KAFKA_RESP_ERR__MSG_TIMED_OUT
            || err == RD_KAFKA_RESP_ERR__TIMED_OUT_QUEUE || err == RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT
        let retriable = timedOut || err == RD_KAFKA_RESP_ERR__TRANSPORT || err == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN
            || err == RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION || err == RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE
            || err == RD_KAFKA_RESP_ERR__QUEUE_FULL || err == RD_KAFKA_RESP_ERR_COORDINATOR_NOT_AVAILABLE
            || err == RD_KAFKA_RESP_ERR_NOT_COORDINATOR || err == RD_KAFKA_RESP_ERR_COORDINATOR_LOAD_IN_PROGRESS
        let fenced = [RD_KAFKA_RESP_ERR__FATAL, RD_KAFKA_RESP_ERR__FENCED, RD_KAFKA_RESP_ERR_PRODUCER_FENCED,
                      RD_KAFKA_RESP_ERR_INVALID_PRODUCER_EPOCH]
        return KafkaError(timedOut ? .timeout : code, "\(context): \(text)", brokerErrorCode: Int32(err.rawValue),
                          isRetriable: retriable, isFatal: fenced.contains(err), file: file, line: line)
    }

    /// An error from an `rd_kafka_error_t`, which it destroys.
    static func consuming(_ error: OpaquePointer, _ context: String, code: Code = .broker, file: String = #fileID, line: Int = #line) -> KafkaError {
        defer { rd_kafka_error_destroy(error) }
        let err = rd_kafka_error_code(error)
        let timedOut = err == RD_KAFKA_RESP_ERR__TIMED_OUT
        return KafkaError(timedOut ? .timeout : code, "\(context): \(String(cString: rd_kafka_error_string(error)))",
                          brokerErrorCode: Int32(err.rawValue),
                          isRetriable: rd_kafka_error_is_retriable(error) != 0,
                          isFatal: rd_kafka_error_is_fatal(error) != 0,
                          requiresAbort: rd_kafka_error_txn_requires_abort(error) != 0, file: file, line: line)
    }

    /// Safe to log: no payloads or credentials.
    public var description: String {
        var s = "KafkaError.\(code): \(message)"
        if let brokerErrorName { s += " [\(brokerErrorName)]" }
        if isFatal { s += " (fatal: recreate the client)" } else if requiresAbort { s += " (abort the transaction and retry)" } else if isRetriable { s += " (retriable)" }
        return s
    }
}
