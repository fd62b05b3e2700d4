import ArgumentParser
import Foundation
import Logging

/// A configuration value that is missing or invalid; the message says which flag and
/// environment variable to set. Services refuse to start with it.
public struct ConfigurationError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { "configuration error: \(message)" }
}

/// Reads environment variables in one place, with typed lookups.
public struct ServiceEnvironment: Sendable {
    public let values: [String: String]

    public init(_ values: [String: String] = ProcessInfo.processInfo.environment) {
        self.values = values
    }

    /// The flag's value if given, else the environment variable's, else `defaultValue`.
    public func value(flag: String?, env: String, default defaultValue: String? = nil) -> String? {
        if let flag, !flag.isEmpty { return flag }
        if let v = values[env], !v.isEmpty { return v }
        return defaultValue
    }

    /// Like `value`, but a missing value is a `ConfigurationError` naming both sources.
    public func require(flag: String?, flagName: String, env: String) throws -> String {
        guard let v = value(flag: flag, env: env) else {
            throw ConfigurationError("\(flagName) is required: pass \(flagName) or set \(env)")
        }
        return v
    }

    /// An integer from the flag or the environment, validated.
    public func integer(flag: Int?, flagName: String, env: String, default defaultValue: Int) throws -> Int {
        if let flag { return flag }
        guard let raw = values[env], !raw.isEmpty else { return defaultValue }
        guard let v = Int(raw) else { throw ConfigurationError("\(env)=\(raw) is not an integer (\(flagName))") }
        return v
    }
}

/// Options every service takes. Each flag falls back to an environment variable.
public struct CommonServiceOptions: ParsableArguments, Sendable {
    @Option(name: .customLong("kafka-bootstrap-servers"), help: "Kafka bootstrap servers (env KAFKA_BOOTSTRAP_SERVERS).")
    public var kafkaBootstrapServers: String?

    @Option(name: .customLong("kafka-property"), help: "A librdkafka property key=value, repeatable (env KAFKA_PROPERTIES, comma-separated).")
    public var kafkaProperties: [String] = []

    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error or critical (env LOG_LEVEL; default info).")
    public var logLevel: String?

    @Option(name: .customLong("http-host"), help: "Address of the HTTP endpoint (env HTTP_HOST; default 0.0.0.0).")
    public var httpHost: String?

    @Option(name: .customLong("http-port"), help: "Port of the HTTP endpoint (env HTTP_PORT).")
    public var httpPort: Int?

    public init() {}

    /// The options with environment fallbacks applied and validated.
    public func resolve(environment: ServiceEnvironment = ServiceEnvironment(), defaultHTTPPort: Int) throws -> ResolvedServiceOptions {
        let bootstrap = try environment.require(flag: kafkaBootstrapServers, flagName: "--kafka-bootstrap-servers", env: "KAFKA_BOOTSTRAP_SERVERS")
        var properties: [String: String] = [:]
        let fromEnv = environment.value(flag: nil, env: "KAFKA_PROPERTIES").map { $0.split(separator: ",").map(String.init) } ?? []
        for entry in fromEnv + kafkaProperties {
            guard let eq = entry.firstIndex(of: "="), eq != entry.startIndex else {
                throw ConfigurationError("Kafka property '\(entry)' is not key=value (--kafka-property / KAFKA_PROPERTIES)")
            }
            properties[String(entry[..<eq]).trimmingCharacters(in: .whitespaces)] = String(entry[entry.index(after: eq)...])
        }
        let levelText = environment.value(flag: logLevel, env: "LOG_LEVEL", default: "info")!
        guard let level = Logger.Level(rawValue: levelText.lowercased()) else {
            throw ConfigurationError("log level '\(levelText)' is not one of trace, debug, info, notice, warning, error, critical")
        }
        let port = try environment.integer(flag: httpPort, flagName: "--http-port", env: "HTTP_PORT", default: defaultHTTPPort)
        guard (0...65535).contains(port) else { throw ConfigurationError("HTTP port \(port) is out of range") }
        return ResolvedServiceOptions(kafkaBootstrapServers: bootstrap, kafkaProperties: properties, logLevel: level,
                                      httpHost: environment.value(flag: httpHost, env: "HTTP_HOST", default: "0.0.0.0")!, httpPort: port)
    }
}

/// `CommonServiceOptions` after fallbacks and validation.
public struct ResolvedServiceOptions: Sendable, Equatable {
    public var kafkaBootstrapServers: String
    public var kafkaProperties: [String: String]
    public var logLevel: Logger.Level
    public var httpHost: String
    public var httpPort: Int
}
