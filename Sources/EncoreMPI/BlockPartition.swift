/// Splits the global rows 0..<count of one side (users or items) into `parts` contiguous blocks
/// of near-equal size; process p owns block p. Rows are numbered in order of first appearance in
/// the file, which for real logs is close to random, so contiguous blocks balance well.
package struct BlockPartition: Sendable, Equatable {
    /// Number of global rows.
    package let count: Int
    /// Number of blocks (processes).
    package let parts: Int

    /// A partition of `count` rows into `parts` blocks.
    package init(count: Int, parts: Int) {
        precondition(parts >= 1, "at least one block")
        self.count = count
        self.parts = parts
    }

    /// The first global row of block `part` (`count` for `part == parts`).
    @inline(__always) public func start(_ part: Int) -> Int { part * count / parts }

    /// The global rows of block `part`.
    package func block(_ part: Int) -> Range<Int> { start(part)..<start(part + 1) }

    /// The block that holds global row `row`.
    @inline(__always) public func owner(of row: Int) -> Int {
        var part = count == 0 ? 0 : min(parts - 1, row * parts / count)
        while part > 0 && start(part) > row { part -= 1 }
        while part + 1 < parts && start(part + 1) <= row { part += 1 }
        return part
    }

    /// The size of the largest block.
    package var largestBlock: Int { (0..<parts).map { block($0).count }.max() ?? 0 }
}
