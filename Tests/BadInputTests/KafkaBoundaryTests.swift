import Avro
import Foundation
import Kafka
import PriceModel
import PriceSink
import Testing

/// Record values as the sink consumes them: through its decoder (framing, writer schema by
/// id, Avro, resolution to the reader schema) and its batch rules (validation), as
/// `PriceSinkService` runs them. A bad record becomes a dead letter with its bytes; none is dropped.
@Suite("Bad input: Kafka record values")
struct KafkaBoundaryTests {
    static let candleTopic = "prices.candles"
    static let fxTopic = "fx.rates"

    /// The writer schemas of the manifest, as a registry would hand them out; other ids are unknown.
    struct CorpusWriterSchemas: WriterSchemaSource {
        let schemas: [Int: AvroParsedSchema]

        init() throws {
            schemas = try Manifest.kafkaWriterSchemas().mapValues { try AvroParsedSchema(parsing: $0) }
        }

        func writerSchema(id: Int) async throws -> AvroParsedSchema {
            guard let schema = schemas[id] else {
                throw DeadLetterReason(stage: "decode", kind: "unknown_schema", message: "schema id \(id) is not in the registry")
            }
            return schema
        }
    }

    /// The record of a case at `offset`, on the topic it names.
    static func record(_ entry: Case, offset: Int64) throws -> KafkaRecord {
        let topic = entry.input.topic == "fx" ? fxTopic : candleTopic
        return KafkaRecord(topic: topic, partition: 0, offset: offset, key: Array("corpus|\(entry.file)".utf8), value: try Corpus.bytes(entry.file))
    }

    /// Decodes every record with `decoder`, as the sink does before it builds a batch.
    static func decoded(_ records: [KafkaRecord], decoder: SinkRecordDecoder) async throws -> [(KafkaRecord, Result<SinkBatch.Decoded, DeadLetterReason>)] {
        var items: [(KafkaRecord, Result<SinkBatch.Decoded, DeadLetterReason>)] = []
        for record in records {
            do {
                if record.topic == candleTopic {
                    items.append((record, .success(.candle(try Candle(avro: try await decoder.decode(record.value, reader: .candle))))))
                } else {
                    items.append((record, .success(.rate(try FxRate(avro: try await decoder.decode(record.value, reader: .fxRate))))))
                }
            } catch let reason as DeadLetterReason {
                items.append((record, .failure(reason)))
            }
        }
        return items
    }

    static var nowMillis: Int64 { Int64(Date().timeIntervalSince1970 * 1000) }

    @Test(arguments: Corpus.cases("kafka"))
    func value(_ entry: Case) async throws {
        let record = try Self.record(entry, offset: 0)
        let decoder = SinkRecordDecoder(schemas: try CorpusWriterSchemas())
        let batch = SinkBatch.build(try await Self.decoded([record], decoder: decoder), now: Self.nowMillis)
        #expect(batch.nextOffsets[record.topicPartition] == 1, "\(entry.file): the offset is not passed")
        let e = entry.expect
        if e.stored == true {
            #expect(batch.deadLetters.isEmpty, "\(entry.file): dead-lettered \(batch.deadLetters.map(\.reason))")
            #expect(batch.candles.count + batch.rates.count == 1, "\(entry.file): not stored")
            return
        }
        let letter = try #require(batch.deadLetters.first, "\(entry.file): stored, expected \(e.stage ?? "?")/\(e.kind ?? "?")")
        #expect(batch.deadLetters.count == 1 && batch.candles.isEmpty && batch.rates.isEmpty)
        #expect(letter.reason.stage == e.stage && letter.reason.kind == e.kind, "\(entry.file): got \(letter.reason)")
        #expect(letter.record.value == record.value, "\(entry.file): the dead letter does not carry the original bytes")
        #expect(!letter.reason.message.isEmpty)
        if let fragment = e.message { #expect(letter.reason.message.contains(fragment), "\(entry.file): \(letter.reason.message)") }
    }

    @Test func theWholeCorpusInOneBatchLosesNothing() async throws {
        let entries = Corpus.cases("kafka")
        let records = try entries.enumerated().map { try Self.record($0.element, offset: Int64($0.offset)) }
        let decoder = SinkRecordDecoder(schemas: try CorpusWriterSchemas())
        let batch = SinkBatch.build(try await Self.decoded(records, decoder: decoder), now: Self.nowMillis)
        let storedCases = entries.filter { $0.expect.stored == true }.count
        #expect(batch.deadLetters.count == entries.count - storedCases)
        #expect(batch.candles.count + batch.rates.count == storedCases)
        let lettered = Set(batch.deadLetters.map(\.record.offset))
        #expect(lettered.count == batch.deadLetters.count, "a record was dead-lettered twice")
        for tp in Set(records.map(\.topicPartition)) {
            let last = records.filter { $0.topicPartition == tp }.map(\.offset).max() ?? -1
            #expect(batch.nextOffsets[tp] == last + 1, "\(tp): the stored offset skips or repeats records")
        }
    }
}
