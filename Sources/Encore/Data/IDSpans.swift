/// Where the ID fields of one column lie in a piece of text, in row order: what a slice's parser
/// leaves when its caller numbers the IDs of every slice in one table (`WindowedRead`). Eight
/// bytes a field, where a table per slice cost its own memory and a second lookup of every ID
/// when the slices' tables were merged.
struct IDSpans {
    private(set) var base: UnsafePointer<UInt8>
    private(set) var offsets: [UInt32] = []
    private(set) var lengths: [UInt32] = []

    init(base: UnsafePointer<UInt8>) { self.base = base }

    /// Empties the spans, keeping their arrays' room, for fields of another piece of text.
    mutating func restart(base: UnsafePointer<UInt8>) {
        self.base = base
        offsets.removeAll(keepingCapacity: true)
        lengths.removeAll(keepingCapacity: true)
    }

    /// How many fields are held.
    var count: Int { offsets.count }

    mutating func reserveCapacity(_ count: Int) {
        offsets.reserveCapacity(count)
        lengths.reserveCapacity(count)
    }

    /// Adds a field, which must lie within 4 GiB after `base` (a slice of a windowed read does).
    @inline(__always) mutating func append(_ field: UnsafeBufferPointer<UInt8>) {
        offsets.append(UInt32(base.distance(to: field.baseAddress!)))
        lengths.append(UInt32(field.count))
    }
}
