import Foundation

/// Deterministic pseudo-random numbers addressed by (stream, index): the same
/// universe seed, stream and day always give the same value, in any order and on
/// any process (no `Hasher`, whose seed changes per run).
struct SeededNoise: Sendable {
    let seed: UInt64

    /// A stable 64-bit stream id for a name (FNV-1a), mixed with the seed.
    func stream(_ name: String) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in name.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01B3
        }
        return SeededNoise.mix(hash ^ SeededNoise.mix(seed))
    }

    /// Uniform in [0, 1).
    func uniform(_ stream: UInt64, _ index: Int) -> Double {
        let bits = SeededNoise.mix(stream &+ UInt64(bitPattern: Int64(index)) &* 0x9E37_79B9_7F4A_7C15)
        return Double(bits >> 11) / Double(1 << 53)
    }

    /// Standard normal (Box-Muller on two uniforms of the same index).
    func normal(_ stream: UInt64, _ index: Int) -> Double {
        let u1 = max(uniform(stream, index), 1e-12)
        let u2 = uniform(stream ^ 0x5851_F42D_4C95_7F2D, index)
        return (-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2)
    }

    /// SplitMix64's finaliser.
    static func mix(_ value: UInt64) -> UInt64 {
        var z = value &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
