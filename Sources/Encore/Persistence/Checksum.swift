/// A fast 64-bit checksum over a byte run (four independent xxHash64-style lanes), so that
/// a truncated or bit-flipped model file is detected before it is used.
package enum Checksum {
    private static let prime1: UInt64 = 0x9E37_79B1_85EB_CA87
    private static let prime2: UInt64 = 0xC2B2_AE3D_27D4_EB4F
    private static let prime3: UInt64 = 0x1656_67B1_9E37_79F9
    /// Bytes consumed by one round of the four lanes.
    private static let stripe = 32

    @inline(__always) private static func round(_ lane: UInt64, _ word: UInt64) -> UInt64 {
        let mixed = lane &+ word &* prime2
        return ((mixed << 31) | (mixed >> 33)) &* prime1
    }

    /// The checksum of `bytes`.
    package static func of(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
        var accumulator = Accumulator()
        accumulator.add(bytes)
        return accumulator.value
    }

    /// The checksum of a byte run given in pieces, for a file written as it is produced: the
    /// value is the same as `Checksum.of` the pieces joined, however they are cut.
    package struct Accumulator {
        private var lanes: (UInt64, UInt64, UInt64, UInt64) = (prime1 &+ prime2, prime2, 0, 0 &- prime1)
        /// The start of a stripe that the last piece ended inside (fewer than 32 bytes).
        private var pending: [UInt8] = []
        private var count = 0

        /// A checksum of no bytes yet.
        package init() { pending.reserveCapacity(Checksum.stripe) }

        /// Appends `bytes` to the run.
        package mutating func add(_ bytes: UnsafeRawBufferPointer) {
            count += bytes.count
            guard let base = bytes.baseAddress else { return }
            var offset = 0
            if !pending.isEmpty {
                let taken = min(Checksum.stripe - pending.count, bytes.count)
                pending.append(contentsOf: UnsafeRawBufferPointer(start: base, count: taken))
                offset = taken
                guard pending.count == Checksum.stripe else { return }
                pending.withUnsafeBytes { consumeStripe(at: $0.baseAddress!) }
                pending.removeAll(keepingCapacity: true)
            }
            while offset + Checksum.stripe <= bytes.count {
                consumeStripe(at: base + offset)
                offset += Checksum.stripe
            }
            pending.append(contentsOf: UnsafeRawBufferPointer(start: base + offset, count: bytes.count - offset))
        }

        @inline(__always) private mutating func consumeStripe(at base: UnsafeRawPointer) {
            lanes.0 = round(lanes.0, base.loadUnaligned(fromByteOffset: 0, as: UInt64.self))
            lanes.1 = round(lanes.1, base.loadUnaligned(fromByteOffset: 8, as: UInt64.self))
            lanes.2 = round(lanes.2, base.loadUnaligned(fromByteOffset: 16, as: UInt64.self))
            lanes.3 = round(lanes.3, base.loadUnaligned(fromByteOffset: 24, as: UInt64.self))
        }

        /// The checksum of every byte added so far.
        package var value: UInt64 {
            var hash = ((lanes.0 << 1) | (lanes.0 >> 63)) &+ ((lanes.1 << 7) | (lanes.1 >> 57))
                &+ ((lanes.2 << 12) | (lanes.2 >> 52)) &+ ((lanes.3 << 18) | (lanes.3 >> 46))
            hash = hash &+ UInt64(count)
            for byte in pending {
                hash = (hash ^ UInt64(byte) &* prime3) &* prime1
                hash = (hash << 11) | (hash >> 53)
            }
            hash ^= hash >> 33
            hash = hash &* prime2
            hash ^= hash >> 29
            hash = hash &* prime3
            return hash ^ (hash >> 32)
        }
    }
}
