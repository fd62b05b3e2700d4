import Foundation

enum OfflineFixtures {
    static func startIfAsked(flag: Bool) async throws -> [String: String] { [:] }
}
