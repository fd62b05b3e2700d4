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

    @Option(name: .customLong("kafka-property"), help: ArgumentHelp(
        "A librdkafka property key=value, repeatable; wins over KAFKA_PROPERTIES and the properties file.",
        discussion: """
            Env KAFKA_PROPERTIES holds key=value entries separated by ';' or newlines, so that values may contain \
            commas (sasl.jaas.config, ssl.cipher.suites); without any ';' or newline it is read as a comma-separated \
            list. Entries starting with '#' are comments. A value that contains ';' goes in the properties file, \
            whose lines are split at newlines only.
            """))
    public var kafkaProperties: [String] = []

    @Option(name: .customLong("kafka-properties-file"), help: ArgumentHelp(
        "A file of librdkafka properties, one key=value a line, '#' comments (env KAFKA_PROPERTIES_FILE).",
        discussion: "Read first: KAFKA_PROPERTIES and --kafka-property override its entries."))
    public var kafkaPropertiesFile: String?

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
        if let file = environment.value(flag: kafkaPropertiesFile, env: "KAFKA_PROPERTIES_FILE") {
            guard let text = try? String(contentsOfFile: file, encoding: .utf8) else {
                throw ConfigurationError("cannot read the Kafka properties file \(file) (--kafka-properties-file / KAFKA_PROPERTIES_FILE)")
            }
            try Self.addKafkaProperties(text.split(whereSeparator: \.isNewline), from: "the Kafka properties file \(file)", to: &properties)
        }
        if let inline = environment.value(flag: nil, env: "KAFKA_PROPERTIES") {
            try Self.addKafkaProperties(Self.kafkaPropertyEntries(inline), from: "KAFKA_PROPERTIES", to: &properties)
        }
        try Self.addKafkaProperties(kafkaProperties.map { Substring($0) }, from: "--kafka-property", to: &properties)
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

extension CommonServiceOptions {
    /// The entries of a `KAFKA_PROPERTIES` value: split at `;` and newlines when it has any,
    /// else at commas (the older form, which cannot carry a comma in a value).
    static func kafkaPropertyEntries(_ text: String) -> [Substring] {
        if text.contains(where: { $0 == ";" || $0.isNewline }) {
            return text.split(whereSeparator: { $0 == ";" || $0.isNewline })
        }
        return text.split(separator: ",")
    }

    /// Adds `key=value` entries (blank ones and `#` comments skipped; key and value trimmed).
    /// - Throws: `ConfigurationError` naming `source` for an entry without a key and `=`.
    static func addKafkaProperties(_ entries: [Substring], from source: String, to properties: inout [String: String]) throws {
        for entry in entries {
            let trimmed = entry.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
            guard let eq = trimmed.firstIndex(of: "="),
                  !trimmed[..<eq].trimmingCharacters(in: .whitespaces).isEmpty else {
                // The entry may hold a secret: name the key side only.
                let shown = trimmed.split(separator: "=", maxSplits: 1).first.map(String.init) ?? ""
                throw ConfigurationError("Kafka property '\(shown.prefix(64))' in \(source) is not key=value")
            }
            let key = trimmed[..<eq].trimmingCharacters(in: .whitespaces)
            properties[key] = trimmed[trimmed.index(after: eq)...].trimmingCharacters(in: .whitespaces)
        }
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
