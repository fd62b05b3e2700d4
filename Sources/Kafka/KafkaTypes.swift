/// A topic and partition.
public struct KafkaTopicPartition: Sendable, Hashable, CustomStringConvertible {
    public var topic: String
    public var partition: Int32
    public init(topic: String, partition: Int32) {
        self.topic = topic
        self.partition = partition
    }
    public var description: String { "\(topic)[\(partition)]" }
}

/// A position in a partition: an absolute offset or a logical one.
public struct KafkaOffset: Sendable, Hashable, CustomStringConvertible {
    /// The raw offset; negative values are librdkafka's logical offsets.
    public let rawValue: Int64
    public init(_ offset: Int64) { rawValue = offset }
    /// The first offset still in the log.
    public static let beginning = KafkaOffset(-2)
    /// The offset after the last record.
    public static let end = KafkaOffset(-1)
    /// The committed offset (or the reset policy when there is none).
    public static let stored = KafkaOffset(-1000)
    public var description: String {
        switch rawValue {
        case -2: return "beginning"
        case -1: return "end"
        case -1000: return "stored"
        case -1001: return "invalid"
        default: return String(rawValue)
        }
    }
}

/// A record header; the value may be absent (null).
public struct KafkaHeader: Sendable, Hashable {
    public var key: String
    public var value: [UInt8]?
    public init(key: String, value: [UInt8]?) {
        self.key = key
        self.value = value
    }
}

/// A record to produce.
public struct KafkaProducerRecord: Sendable {
    public var topic: String
    /// nil lets the partitioner choose (by key hash).
    public var partition: Int32?
    public var key: [UInt8]?
    public var value: [UInt8]?
    public var headers: [KafkaHeader]
    /// The record's timestamp in milliseconds since the epoch; nil: the time of sending.
    public var timestampMilliseconds: Int64?

    public init(topic: String, partition: Int32? = nil, key: [UInt8]? = nil, value: [UInt8]?, headers: [KafkaHeader] = [],
                timestampMilliseconds: Int64? = nil) {
        self.topic = topic
        self.partition = partition
        self.key = key
        self.value = value
        self.headers = headers
        self.timestampMilliseconds = timestampMilliseconds
    }
}

/// Where a produced record was stored.
public struct KafkaDeliveryReport: Sendable, Hashable {
    public var topic: String
    public var partition: Int32
    public var offset: Int64
}

/// A consumed record.
public struct KafkaRecord: Sendable, Hashable {
    public var topic: String
    public var partition: Int32
    public var offset: Int64
    public var key: [UInt8]?
    public var value: [UInt8]?
    public var headers: [KafkaHeader]
    /// Milliseconds since the epoch, when the broker or producer set one.
    public var timestampMilliseconds: Int64?

    public var topicPartition: KafkaTopicPartition { KafkaTopicPartition(topic: topic, partition: partition) }

    public init(topic: String, partition: Int32, offset: Int64, key: [UInt8]?, value: [UInt8]?, headers: [KafkaHeader] = [],
                timestampMilliseconds: Int64? = nil) {
        self.topic = topic
        self.partition = partition
        self.offset = offset
        self.key = key
        self.value = value
        self.headers = headers
        self.timestampMilliseconds = timestampMilliseconds
    }

    /// The first header with `key`.
    public func header(_ key: String) -> [UInt8]? { headers.first { $0.key == key }?.value }
}

/// Low and high watermarks of a partition: the first offset and the offset after the last record.
public struct KafkaWatermarks: Sendable, Hashable {
    public var low: Int64
    public var high: Int64
}
