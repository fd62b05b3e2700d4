// swift-tools-version: 6.1
import PackageDescription

// Micro-benchmarks, kept out of the main package so that `swift test` never builds them.
// Run: scripts/bench-avro (or `swift package benchmark` in this folder).
let package = Package(
    name: "price-pipeline-benchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "price-pipeline", path: ".."),
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        .executableTarget(
            name: "AvroBenchmarks",
            dependencies: [
                .product(name: "Avro", package: "price-pipeline"),
                .product(name: "Benchmark", package: "benchmark"),
            ],
            path: "Benchmarks/AvroBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
    ]
)
