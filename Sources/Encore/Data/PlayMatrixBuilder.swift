/// Builds the users × items matrix from coordinate rows with as little beside the result as
/// possible: one counting sort by user straight into the final arrays (the items, then the
/// weights, each row array released as soon as it is scattered), then each user's entries sorted by item and repeated
/// items summed in place. `SparseMatrix(rowCount:…rows:columns:values:)` gives the same matrix
/// but holds an 8-byte permutation and a second copy of the entries beside the input.
enum PlayMatrixBuilder {
    /// The users × items matrix of `interactions`, repeated pairs summed in Double in file order
    /// (as `Interactions.userItemMatrix` sums them); `interactions` is left with no rows.
    static func userItems(taking interactions: inout Interactions, threads: Int = Parallel.defaultThreadCount) -> SparseMatrix {
        let rowCount = interactions.userIDs.count, columnCount = interactions.itemIDs.count
        let n = interactions.count
        var users = interactions.users, items = interactions.items, weights = interactions.weights
        interactions = Interactions(userIDs: interactions.userIDs, itemIDs: interactions.itemIDs, users: [], items: [], weights: [],
                                    itemNames: interactions.itemNames)
        precondition(items.allSatisfy { Int($0) < columnCount }, "item index out of range")
        let placement = RowPlacement(rows: users, rowCount: rowCount, threads: threads)
        var offsets = placement.offsets
        // Columns first, then values, each array let go once scattered: 16 bytes a row at most
        // (users, weights, columns, values), never the rows and the whole matrix at once.
        var columns = [UInt32](repeating: 0, count: n)
        placement.scatter(items, by: users, into: &columns)
        items = []
        var values = [Float](repeating: 0, count: n)
        placement.scatter(weights, by: users, into: &values)
        users = []
        weights = []
        let kept = sortAndSumRows(offsets: offsets, columns: &columns, values: &values, threads: threads)
        compact(offsets: &offsets, kept: kept, columns: &columns, values: &values)
        return SparseMatrix(uncheckedRowCount: rowCount, columnCount: columnCount, offsets: offsets, indices: columns, values: values)
    }

    /// Sorts each row's entries by column (ties keep their order) and sums repeated columns into
    /// the row's first positions; returns how many entries each row keeps.
    static func sortAndSumRows(offsets: [Int], columns: inout [UInt32], values: inout [Float], threads: Int) -> [Int] {
        let rowCount = offsets.count - 1
        var kept = [Int](repeating: 0, count: rowCount)
        offsets.withUnsafeBufferPointer { offsets in
        columns.withUnsafeMutableBufferPointer { columns in
        values.withUnsafeMutableBufferPointer { values in
        kept.withUnsafeMutableBufferPointer { kept in
            Parallel.forEachChunk(count: rowCount, chunkSize: 4096, threads: threads) { rows, _ in
                var keys: [UInt64] = [], scratch: [Float] = []
                for row in rows {
                    let start = offsets[row], length = offsets[row + 1] - start
                    kept[row] = sortAndSum(UnsafeMutableBufferPointer(rebasing: columns[start..<start + length]),
                                           UnsafeMutableBufferPointer(rebasing: values[start..<start + length]), keys: &keys, scratch: &scratch)
                }
            }
        } } } }
        return kept
    }

    /// One row: sorted by (column, position) — a stable sort by column — then runs of one column
    /// summed in Double; returns the number of distinct columns, now at the front.
    private static func sortAndSum(
        _ columns: UnsafeMutableBufferPointer<UInt32>, _ values: UnsafeMutableBufferPointer<Float>, keys: inout [UInt64], scratch: inout [Float]
    ) -> Int {
        let n = columns.count
        var sorted = true
        for p in 1..<max(1, n) where columns[p] <= columns[p - 1] { sorted = false; break }
        if sorted { return n }
        keys.removeAll(keepingCapacity: true)
        for p in 0..<n { keys.append(UInt64(columns[p]) << 32 | UInt64(p)) }
        keys.sort()
        scratch.removeAll(keepingCapacity: true)
        scratch.append(contentsOf: values)
        var write = 0, p = 0
        while p < n {
            let column = UInt32(truncatingIfNeeded: keys[p] >> 32)
            var sum = Double(scratch[Int(keys[p] & 0xFFFF_FFFF)])
            p += 1
            while p < n && UInt32(truncatingIfNeeded: keys[p] >> 32) == column {
                sum += Double(scratch[Int(keys[p] & 0xFFFF_FFFF)])
                p += 1
            }
            columns[write] = column
            values[write] = Float(sum)
            write += 1
        }
        return write
    }

    /// Moves each row's kept entries down to close the gaps summing left, and fixes `offsets`.
    /// When much was summed away the arrays are copied to their new size (the copy costs less
    /// than keeping the slack for a whole training run).
    private static func compact(offsets: inout [Int], kept: [Int], columns: inout [UInt32], values: inout [Float]) {
        var write = 0
        for row in 0..<kept.count {
            let start = offsets[row]
            offsets[row] = write
            if write != start {
                for q in 0..<kept[row] {
                    columns[write + q] = columns[start + q]
                    values[write + q] = values[start + q]
                }
            }
            write += kept[row]
        }
        offsets[kept.count] = write
        guard write < columns.count else { return }
        if write < columns.count - columns.count / 16 {
            columns = Array(columns[..<write])
            values = Array(values[..<write])
        } else {
            columns.removeSubrange(write...)
            values.removeSubrange(write...)
        }
    }
}

/// Where each coordinate row goes in a row-major matrix, for scattering the rows' arrays on
/// several threads at once (`PlayMatrixBuilder`): the rows are cut into consecutive slices, and
/// within each matrix row slice s's entries follow slice s − 1's, so every row keeps the rows'
/// order whatever the number of threads. One thread scattering 18 M rows twice was a tenth of
/// reading the reference log; the per-slice places cost 8 bytes a matrix row a slice, so there
/// is one slice unless rows average 4 entries a thread or more (as `SparseMatrix.transposed`).
private struct RowPlacement {
    /// Where each matrix row starts (rowCount + 1 entries).
    let offsets: [Int]
    /// Bounds of the slices of coordinate rows.
    private let bounds: [Int]
    /// places[s·rowCount + r]: where slice s writes its first entry of matrix row r; empty for
    /// one slice, whose places are `offsets`.
    private let places: [Int]
    private let rowCount: Int

    init(rows: [UInt32], rowCount: Int, threads: Int) {
        let n = rows.count
        let slices = (rowCount + 1) * 4 * max(1, threads) <= n ? max(1, threads) : 1
        let bounds = (0...slices).map { n * $0 / slices }
        var places = [Int](repeating: 0, count: slices * rowCount)
        var offsets: [Int] = []
        rows.withUnsafeBufferPointer { rows in
        places.withUnsafeMutableBufferPointer { places in
            Parallel.forEachChunk(count: slices, chunkSize: 1, threads: slices) { chunk, _ in
                for slice in chunk {
                    let counts = places.baseAddress! + slice * rowCount
                    for p in bounds[slice]..<bounds[slice + 1] { counts[Int(rows[p])] += 1 }
                }
            }
            offsets = SparseMatrix.placeSlices(places, slices: slices, buckets: rowCount)
        } }
        self.offsets = offsets
        self.bounds = bounds
        self.places = slices == 1 ? [] : places
        self.rowCount = rowCount
    }

    /// `source[p]` to the next free place of matrix row `rows[p]` in `target`.
    func scatter<T>(_ source: [T], by rows: [UInt32], into target: inout [T]) {
        var cursors = places.isEmpty ? offsets : places
        let rowCount = rowCount, bounds = bounds
        source.withUnsafeBufferPointer { source in
        rows.withUnsafeBufferPointer { rows in
        target.withUnsafeMutableBufferPointer { target in
        cursors.withUnsafeMutableBufferPointer { cursors in
            Parallel.forEachChunk(count: bounds.count - 1, chunkSize: 1, threads: bounds.count - 1) { chunk, _ in
                for slice in chunk {
                    let cursor = cursors.baseAddress! + slice * rowCount
                    for p in bounds[slice]..<bounds[slice + 1] {
                        let row = Int(rows[p])
                        target[cursor[row]] = source[p]
                        cursor[row] += 1
                    }
                }
            }
        } } } }
    }
}
