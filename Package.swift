// swift-tools-version: 6.0
import PackageDescription

let package = Package(
    name: "price-pipeline",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "Kafka", targets: ["Kafka"]),
        .library(name: "Avro", targets: ["Avro"]),
        .library(name: "Postgres", targets: ["Postgres"]),
        .library(name: "HTTPClient", targets: ["HTTPClient"]),
        .library(name: "ServiceSupport", targets: ["ServiceSupport"]),
        .library(name: "SchemaRegistry", targets: ["SchemaRegistry"]),
        .library(name: "SchemaRegistryClient", targets: ["SchemaRegistryClient"]),
        .library(name: "PriceModel", targets: ["PriceModel"]),
        .library(name: "PriceSources", targets: ["PriceSources"]),
        .library(name: "PriceSink", targets: ["PriceSink"]),
        .executable(name: "schema-registry", targets: ["SchemaRegistryServer"]),
        .executable(name: "price-sink", targets: ["PriceSinkServer"]),
        .executable(name: "price-fixtures", targets: ["PriceFixturesCommand"]),
        .executable(name: "price-producer", targets: ["PriceProducerServer"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
    ],
    targets: [
        // C libraries: each is imported by exactly one Swift wrapper module.
        .systemLibrary(name: "CRdKafka", pkgConfig: "rdkafka", providers: [.apt(["librdkafka-dev"])]),
        .systemLibrary(name: "CAvro", pkgConfig: "avro-c", providers: [.apt(["libavro-dev"])]),
        .systemLibrary(name: "CLibPQ", pkgConfig: "libpq", providers: [.apt(["libpq-dev"])]),
        .systemLibrary(name: "CCurl", pkgConfig: "libcurl", providers: [.apt(["libcurl4-openssl-dev"])]),

        // Safe Swift wrappers.
        .target(name: "Kafka", dependencies: [
            "CRdKafka",
            .product(name: "Logging", package: "swift-log"),
        ]),
        .target(name: "Avro", dependencies: ["CAvro"]),
        .target(name: "Postgres", dependencies: [
            "CLibPQ",
            .product(name: "Logging", package: "swift-log"),
        ]),
        .target(name: "HTTPClient", dependencies: ["CCurl"]),

        // Shared service plumbing: config, logging, /metrics and /health, lifecycle.
        .target(name: "ServiceSupport", dependencies: [
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Metrics", package: "swift-metrics"),
            .product(name: "Prometheus", package: "swift-prometheus"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Hummingbird", package: "hummingbird"),
        ]),

        // Schema registry: log-applied state, compatibility, HTTP API; and its client.
        .target(name: "SchemaRegistry", dependencies: [
            "Avro", "Kafka", "ServiceSupport", "SchemaRegistryModel",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Metrics", package: "swift-metrics"),
            .product(name: "Prometheus", package: "swift-prometheus"),
        ]),
        .target(name: "SchemaRegistryModel"),
        .target(name: "SchemaRegistryClient", dependencies: ["HTTPClient", "Avro", "SchemaRegistryModel"]),
        .executableTarget(name: "SchemaRegistryServer", dependencies: [
            "SchemaRegistry", "ServiceSupport", "Kafka",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "Logging", package: "swift-log"),
        ]),

        // One adapter per price API: requests, paging and parsing as pure values (no I/O).
        .target(name: "PriceSources"),

        // The pipeline's records (Candle, FxRate), their schemas and topic names.
        .target(name: "PriceModel", dependencies: ["Avro"]),

        // The producer: rate-limited fetching, paging, cursors and transactional publishing.
        .target(name: "PriceProducer", dependencies: [
            "Avro", "Kafka", "HTTPClient", "PriceModel", "PriceSources", "SchemaRegistryClient", "ServiceSupport",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Metrics", package: "swift-metrics"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ]),
        .executableTarget(name: "PriceProducerServer", dependencies: [
            "PriceProducer", "PriceSources", "PriceFixtureServer", "ServiceSupport", "Kafka", "SchemaRegistryClient",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "Logging", package: "swift-log"),
        ]),

        // The sink: decode, validate, derive, write to Postgres exactly once.
        .target(name: "PriceSink", dependencies: [
            "Avro", "Kafka", "Postgres", "PriceModel", "SchemaRegistryClient", "ServiceSupport",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Metrics", package: "swift-metrics"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ]),
        .executableTarget(name: "PriceSinkServer", dependencies: [
            "PriceSink", "PriceModel", "ServiceSupport", "Kafka", "Postgres", "SchemaRegistryClient",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "Logging", package: "swift-log"),
        ]),

        // A loopback HTTP server for the HTTP client's and the registry client's tests.
        .target(name: "HTTPFixtureServer", dependencies: [
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
        ], path: "Tests/Support/HTTPFixtureServer"),

        .testTarget(name: "PriceSourcesTests", dependencies: ["PriceSources"]),
        .testTarget(name: "PriceProducerTests", dependencies: [
            "PriceProducer", "PriceSources", "PriceModel", "Kafka", "Avro", "SchemaRegistry", "SchemaRegistryClient", "ServiceSupport", "HTTPClient",
            .product(name: "Logging", package: "swift-log"),
        ]),
        .testTarget(name: "PriceSinkTests", dependencies: [
            "PriceSink", "PriceModel", "Avro", "Kafka", "Postgres", "SchemaRegistry", "SchemaRegistryClient", "ServiceSupport",
            .product(name: "Logging", package: "swift-log"),
        ]),
        .testTarget(name: "AvroTests", dependencies: ["Avro"], resources: [.copy("Golden")]),
        .testTarget(name: "KafkaTests", dependencies: ["Kafka"]),
        .testTarget(name: "PostgresTests", dependencies: ["Postgres"]),
        .testTarget(name: "HTTPClientTests", dependencies: ["HTTPClient", "HTTPFixtureServer"]),
        .testTarget(name: "ServiceSupportTests", dependencies: [
            "ServiceSupport",
            .product(name: "HummingbirdTesting", package: "hummingbird"),
            .product(name: "Prometheus", package: "swift-prometheus"),
        ]),
        .testTarget(name: "SchemaRegistryTests", dependencies: [
            "SchemaRegistry", "SchemaRegistryClient", "SchemaRegistryModel", "Avro", "Kafka", "HTTPClient", "ServiceSupport", "HTTPFixtureServer",
            .product(name: "HummingbirdTesting", package: "hummingbird"),
            .product(name: "Prometheus", package: "swift-prometheus"),
        ]),
        .target(name: "PriceFixtureServer", dependencies: ["PriceSources", .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"), .product(name: "NIOHTTP1", package: "swift-nio")]),
        .executableTarget(name: "PriceFixturesCommand", dependencies: ["PriceFixtureServer", .product(name: "ArgumentParser", package: "swift-argument-parser")]),
        .testTarget(name: "PriceFixtureServerTests", dependencies: ["PriceFixtureServer", "PriceSources", "HTTPClient"]),

        // Every case of the bad-input corpus (Tests/BadInput) through the code that meets it.
        .testTarget(name: "BadInputTests", dependencies: [
            "PriceSources", "PriceProducer", "HTTPClient", "HTTPFixtureServer", "PriceSink", "PriceModel", "Avro", "SchemaRegistry", "ServiceSupport",
            .product(name: "HummingbirdTesting", package: "hummingbird"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Prometheus", package: "swift-prometheus"),
        ]),
    ]
)

// libFuzzer targets (scripts/fuzz), declared only when PRICE_PIPELINE_FUZZ=1: they call
// libFuzzer's driver, which links only with -sanitize=fuzzer, so an ordinary build never sees
// them. Each is Sources/Fuzz/<name>, product fuzz-<name>, corpus Tests/FuzzCorpus/<name>.
if Context.environment["PRICE_PIPELINE_FUZZ"] == "1" {
    let fuzzTargets: [(name: String, module: String, dependencies: [Target.Dependency])] = [
        ("avro-decoder", "FuzzAvroDecoder", ["Avro", "PriceModel"]),
        ("avro-schema", "FuzzAvroSchema", ["Avro"]),
        ("avro-compatibility", "FuzzAvroCompatibility", ["Avro"]),
        ("confluent-framing", "FuzzConfluentFraming", ["Avro", "PriceModel"]),
        ("cryptocompare", "FuzzCryptoCompare", ["PriceSources", "PriceSourceFuzzing"]),
        ("binance", "FuzzBinance", ["PriceSources", "PriceSourceFuzzing"]),
        ("coinbase", "FuzzCoinbase", ["PriceSources", "PriceSourceFuzzing"]),
        ("coingecko", "FuzzCoinGecko", ["PriceSources", "PriceSourceFuzzing"]),
        ("kraken", "FuzzKraken", ["PriceSources", "PriceSourceFuzzing"]),
        ("alphavantage", "FuzzAlphaVantage", ["PriceSources", "PriceSourceFuzzing"]),
        ("frankfurter", "FuzzFrankfurter", ["PriceSources", "PriceSourceFuzzing"]),
        ("fred", "FuzzFred", ["PriceSources", "PriceSourceFuzzing"]),
        ("registry-request", "FuzzRegistryRequest", ["SchemaRegistry", "SchemaRegistryModel", "Avro"]),
    ]
    package.targets += [
        .systemLibrary(name: "CLibFuzzer", path: "Sources/Fuzz/CLibFuzzer"),
        .target(name: "LibFuzzer", dependencies: ["CLibFuzzer"], path: "Sources/Fuzz/LibFuzzer"),
        .target(name: "PriceSourceFuzzing", dependencies: ["PriceSources"], path: "Sources/Fuzz/PriceSourceFuzzing"),
    ]
    for fuzz in fuzzTargets {
        package.targets.append(.executableTarget(name: fuzz.module, dependencies: ["LibFuzzer"] + fuzz.dependencies, path: "Sources/Fuzz/\(fuzz.name)"))
        package.products.append(.executable(name: "fuzz-\(fuzz.name)", targets: [fuzz.module]))
    }
}
