/// A string table of a version 3 model file, read where it lies in the mapped file: the UInt64
/// offsets, the UTF-8 bytes and, for an ID table, the hash table the writer built over them. An
/// ID is looked up by hashing it and comparing bytes, and a string is decoded when asked for, so
/// a model of a million IDs loads without building a million strings or a dictionary of them.
package final class MappedStringTable: @unchecked Sendable {
    private let offsets: UnsafeBufferPointer<UInt64>
    private let blob: UnsafeRawBufferPointer
    /// Open addressing, linear probing: 0 is an empty slot, else the string's index + 1.
    private let slots: UnsafeBufferPointer<UInt32>
    private let mapping: FileMapping
    private let allStrings = ComputedOnce<[String]>()

    /// A table over bytes of `mapping`; throws unless the offsets rise from 0 to the blob's end.
    /// `slots` may be empty (a table that is never searched: item names, tag names).
    init(offsets: UnsafeBufferPointer<UInt64>, blob: UnsafeRawBufferPointer, slots: UnsafeBufferPointer<UInt32>, in mapping: FileMapping) throws {
        guard offsets.first == 0, offsets.last == UInt64(blob.count) else { throw EncoreError.invalidArgument("a string table is malformed") }
        for index in 1..<offsets.count where offsets[index - 1] > offsets[index] {
            throw EncoreError.invalidArgument("a string table is malformed")
        }
        // An ID table's hash table has a power of two of slots, at least one free (the writer
        // leaves half of them); a table that is never searched has none.
        guard slots.isEmpty || (slots.count.nonzeroBitCount == 1 && slots.count >= offsets.count) else {
            throw EncoreError.invalidArgument("an ID hash table has \(slots.count) slots for \(offsets.count - 1) IDs")
        }
        self.offsets = offsets
        self.blob = blob
        self.slots = slots
        self.mapping = mapping
    }

    /// How many strings there are.
    var count: Int { offsets.count - 1 }

    /// The UTF-8 bytes of string `index`.
    private func bytes(at index: Int) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: blob[Int(offsets[index])..<Int(offsets[index + 1])])
    }

    /// String `index`.
    subscript(index: Int) -> String { String(decoding: bytes(at: index), as: UTF8.self) }

    /// Every string, in order, decoded once on first use.
    var strings: [String] { allStrings.value { (0..<count).map { self[$0] } } }

    /// The index of `string`, or nil when the table does not hold it.
    func index(of string: String) -> Int? {
        var string = string
        return string.withUTF8 { wanted -> Int? in
            let mask = slots.count - 1
            var slot = Int(truncatingIfNeeded: MappedStringTable.hash(UnsafeRawBufferPointer(wanted))) & mask
            // At most one lap: a damaged table with no empty slot cannot loop for ever.
            for _ in 0..<slots.count {
                let entry = Int(slots[slot])
                if entry == 0 { return nil }
                if entry <= count, bytes(at: entry - 1).elementsEqual(UnsafeRawBufferPointer(wanted)) { return entry - 1 }
                slot = (slot + 1) & mask
            }
            return nil
        }
    }

    /// FNV-1a (64-bit) of `bytes`: what a slot of the file's ID hash tables is chosen by.
    static func hash(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in bytes { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01B3 }
        return hash
    }

    /// The hash table a writer stores after an ID table of `strings`: a power of two of slots,
    /// at least twice the IDs, each ID in the first free slot from its hash on.
    static func slots<Strings: Collection<String>>(for strings: Strings) -> [UInt32] {
        var capacity = 1
        while capacity < 2 * strings.count { capacity <<= 1 }
        var slots = [UInt32](repeating: 0, count: capacity)
        for (index, string) in strings.enumerated() {
            var string = string
            var slot = Int(truncatingIfNeeded: string.withUTF8 { hash(UnsafeRawBufferPointer($0)) }) & (capacity - 1)
            while slots[slot] != 0 { slot = (slot + 1) & (capacity - 1) }
            slots[slot] = UInt32(index + 1)
        }
        return slots
    }
}
