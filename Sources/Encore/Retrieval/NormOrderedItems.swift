/// Item vectors taken in decreasing length, for exact top-k with early stopping: a user's
/// score for any item is at most ‖x‖·‖y‖ (Cauchy–Schwarz), so once a user's k-th best score
/// beats ‖x‖ times the longest vector not yet scored, no later item can enter the list. ALS gives
/// rarely played items short vectors (the ridge shrinks them), so most of a long-tailed catalogue
/// is never scored. Built once per model; the answer is the same as scoring every item.
///
/// Only the head of the order is copied: the longest `headRows` vectors, which nearly every
/// user reaches, side by side so they stream through the cache. The rest are read from the
/// model's own matrix (`rows`) and gathered a block at a time by the few users who get that far.
/// A whole longest-first copy would be as large as the model's item vectors: 10 GB at 40 M items
/// × 64 factors, which does not fit beside the mapped model on a 24 GB machine.
/// Immutable: `let` properties only, so its `Sendable` is checked.
package final class NormOrderedItems: Sendable {
    /// The model's item vectors, in item order.
    package let items: DenseMatrix
    /// The first `head.rows` vectors of the order, copied side by side.
    let head: DenseMatrix
    /// The original item index at each position (4 bytes an item).
    package let order: [UInt32]
    /// Each item's position in `order`.
    package let position: [UInt32]
    /// The vector lengths, by position (non-increasing).
    package let norms: [Float]

    /// Vectors copied by default: a sixty-fourth of the catalogue, at least 65,536 (16 MB at
    /// k = 64). At 12 M items the exact batch path stops most users within a block or two of
    /// 4,096 (docs/catalogue.md), far inside this.
    package static func defaultHeadRows(items: Int) -> Int { min(items, max(65_536, items / 64)) }

    /// Orders `items` (rows are item vectors) by decreasing length, equal lengths in index order,
    /// and copies the longest `headRows` (by default `defaultHeadRows`).
    package init(_ items: DenseMatrix, headRows: Int? = nil) {
        let k = items.columns
        let lengths = (0..<items.rows).map { VectorKernels.dot(items.row($0), items.row($0), k).squareRoot() }
        precondition(items.rows <= Int(UInt32.max), "more items than 32-bit indices hold")
        let order = NormOrderedItems.longestFirst(lengths)
        var position = [UInt32](repeating: 0, count: items.rows)
        for (slot, item) in order.enumerated() { position[Int(item)] = UInt32(slot) }
        let headCount = min(items.rows, max(0, headRows ?? NormOrderedItems.defaultHeadRows(items: items.rows)))
        self.items = items
        head = DenseMatrix(gathering: order.prefix(headCount).map { Int($0) }, of: items)
        self.order = order
        self.position = position
        norms = order.map { lengths[Int($0)] }
    }

    /// Indices of `lengths` (each ≥ 0) by decreasing length, equal lengths in index order. A
    /// length's bits, flipped, order as the lengths do reversed, so a stable radix sort of the
    /// flipped bits, a byte a pass from the lowest, started from index order, gives that order.
    /// Swift's `sort` of one (bits, index) integer per item took 21 ms at 292,385 items, over
    /// half of building this order; four counting passes take a few.
    static func longestFirst(_ lengths: [Float]) -> [UInt32] {
        let n = lengths.count
        var order = (0..<n).map { UInt32(truncatingIfNeeded: $0) }, keys = lengths.map { ~$0.bitPattern }
        var nextOrder = [UInt32](repeating: 0, count: n), nextKeys = [UInt32](repeating: 0, count: n)
        var starts = [Int](repeating: 0, count: 256)
        for shift in stride(from: UInt32(0), to: 32, by: 8) {
            starts.withUnsafeMutableBufferPointer { starts in
                keys.withUnsafeBufferPointer { keys in
                    order.withUnsafeBufferPointer { order in
                        nextKeys.withUnsafeMutableBufferPointer { nextKeys in
                            nextOrder.withUnsafeMutableBufferPointer { nextOrder in
                                starts.update(repeating: 0)
                                for key in keys { starts[Int(truncatingIfNeeded: (key >> shift) & 0xFF)] += 1 }
                                var start = 0
                                for byte in 0..<256 { (starts[byte], start) = (start, start + starts[byte]) }
                                for p in 0..<n {
                                    let byte = Int(truncatingIfNeeded: (keys[p] >> shift) & 0xFF)
                                    nextKeys[starts[byte]] = keys[p]
                                    nextOrder[starts[byte]] = order[p]
                                    starts[byte] += 1
                                }
                            }
                        }
                    }
                }
            }
            swap(&keys, &nextKeys)
            swap(&order, &nextOrder)
        }
        return order
    }

    /// Number of items.
    package var count: Int { order.count }

    /// The item at position `slot` of the order.
    @inline(__always) package func item(at slot: Int) -> Int { Int(order[slot]) }

    /// Vectors at positions `start ..< start + n` of the order, side by side, and their row
    /// stride: straight from the head when they lie in it, else gathered into `scratch` (room
    /// for `n` rows of `items.stride`).
    package func rows(_ start: Int, _ n: Int, scratch: UnsafeMutablePointer<Float>) -> (vectors: UnsafePointer<Float>, stride: Int) {
        if start + n <= head.rows { return (UnsafePointer(head.row(start)), head.stride) }
        let stride = items.stride
        for slot in 0..<n { (scratch + slot * stride).update(from: items.row(Int(order[start + slot])), count: stride) }
        return (UnsafePointer(scratch), stride)
    }
}
