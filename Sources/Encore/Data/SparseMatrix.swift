/// A compressed-sparse-row matrix of Float32 values with UInt32 column indices and Int row
/// offsets (so more than 2³¹ non-zeros work). Columns within a row are sorted and distinct.
/// The three arrays are Swift arrays, or runs of a mapped model file (`MappableArray`).
package struct SparseMatrix: Sendable, Equatable {
    /// Number of rows.
    package let rowCount: Int
    /// Number of columns.
    package let columnCount: Int
    /// Row r's entries are at positions offsets[r] ..< offsets[r + 1].
    package let offsets: MappableArray<Int>
    /// Column of each stored entry.
    package let indices: MappableArray<UInt32>
    /// Value of each stored entry.
    package let values: MappableArray<Float>

    /// A matrix from validated CSR arrays: Swift arrays, or arrays wherever they live (a model
    /// file's mapping, another matrix), in any mix.
    /// With `checkingColumns` false, only the row offsets are checked now, and each row's
    /// columns when `checkColumns(ofRow:)` is called before the row is used (a model file's
    /// training matrix, when a one-shot command reads one row of it).
    package init(
        rowCount: Int, columnCount: Int, offsets: some MappableArrayConvertible<Int>,
        indices: some MappableArrayConvertible<UInt32>, values: some MappableArrayConvertible<Float>, checkingColumns: Bool = true
    ) throws {
        let (offsets, indices, values) = (offsets.asMappableArray, indices.asMappableArray, values.asMappableArray)
        // `count - 1`, not `rowCount + 1`: a row count read from a file may be Int.max.
        guard offsets.count - 1 == rowCount, offsets.first == 0, offsets.last == indices.count, indices.count == values.count else {
            throw EncoreError.invalidArgument("CSR arrays are inconsistent: \(rowCount) rows, \(offsets.count) offsets, \(indices.count) indices, \(values.count) values")
        }
        try offsets.withUnsafeBufferPointer { offsets in
            try indices.withUnsafeBufferPointer { indices in
                try SparseMatrix.checkRows(offsets: offsets, indices: indices, columnCount: columnCount, checkingColumns: checkingColumns)
            }
        }
        self.init(uncheckedRowCount: rowCount, columnCount: columnCount, offsets: offsets, indices: indices, values: values)
    }

    /// Throws unless every row's offsets are in order and within the entries, and its columns
    /// sorted, distinct and below `columnCount`. A loaded model's training matrix (18 M entries
    /// on the reference workload) is checked on every load, so the order is checked in one
    /// branch-free pass over all the entries (which the compiler vectorizes): the places where a
    /// column does not rise must all be row starts. Only a failing matrix is walked row by row,
    /// to name the row.
    private static func checkRows(offsets: UnsafeBufferPointer<Int>, indices: UnsafeBufferPointer<UInt32>, columnCount: Int, checkingColumns: Bool) throws {
        for r in 0..<(offsets.count - 1) {
            // Each row's end is checked against the entries before the row is used: the last
            // offset being right says nothing about the ones before it (fuzzing found [0, 100, 5]).
            guard offsets[r] <= offsets[r + 1], offsets[r + 1] <= indices.count else {
                throw EncoreError.invalidArgument("CSR row offsets decrease or run past the entries at row \(r)")
            }
        }
        guard checkingColumns else { return }
        var notRising = 0
        if indices.count > 1, let base = indices.baseAddress {
            // Raw pointer, wrapping arithmetic: no check left in the loop to stop vectorizing.
            var p = 1
            while p < indices.count {
                notRising &+= base[p] > base[p &- 1] ? 0 : 1
                p &+= 1
            }
        }
        var rowStartsNotRising = 0, lastColumnsInRange = true
        for r in 0..<(offsets.count - 1) where offsets[r] < offsets[r + 1] {
            let start = offsets[r]
            if start > 0 && indices[start] <= indices[start - 1] { rowStartsNotRising += 1 }
            lastColumnsInRange = lastColumnsInRange && Int(indices[offsets[r + 1] - 1]) < columnCount
        }
        guard notRising != rowStartsNotRising || !lastColumnsInRange else { return }
        for r in 0..<(offsets.count - 1) { try checkColumns(ofRow: r, offsets: offsets, indices: indices, columnCount: columnCount) }
        preconditionFailure("a matrix that failed the check passed it row by row")
    }

    private static func checkColumns(ofRow r: Int, offsets: UnsafeBufferPointer<Int>, indices: UnsafeBufferPointer<UInt32>, columnCount: Int) throws {
        var previous = -1
        for p in offsets[r]..<offsets[r + 1] {
            let c = Int(indices[p])
            guard c > previous, c < columnCount else {
                throw EncoreError.invalidArgument("CSR row \(r) has an unsorted, repeated or out-of-range column \(c)")
            }
            previous = c
        }
    }

    /// Throws unless row `r`'s columns are sorted, distinct and below `columnCount`: what a
    /// matrix made with `checkingColumns: false` checks of a row before it is used.
    package func checkColumns(ofRow r: Int) throws {
        try offsets.withUnsafeBufferPointer { offsets in
            try indices.withUnsafeBufferPointer { indices in
                try SparseMatrix.checkColumns(ofRow: r, offsets: offsets, indices: indices, columnCount: columnCount)
            }
        }
    }

    /// Builds the matrix from coordinate triples, summing the values of repeated (row, column)
    /// pairs. Two stable counting sorts (by column, then by row) give sorted rows in O(nnz).
    /// The scatter loops run over unsafe buffers: their random writes are most of the build's
    /// time, and an array's bounds check on each added a fifth to it (indices are in range by
    /// construction: every start counts what is written after it).
    package init(rowCount: Int, columnCount: Int, rows: [UInt32], columns: [UInt32], values: [Float]) {
        precondition(rows.count == columns.count && columns.count == values.count, "coordinate arrays differ in length")
        precondition(rows.allSatisfy { Int($0) < rowCount } && columns.allSatisfy { Int($0) < columnCount }, "coordinates out of range")
        let n = rows.count
        var columnStarts = [Int](repeating: 0, count: columnCount + 1)
        var byColumn = [Int](repeating: 0, count: n)
        var rowStarts = [Int](repeating: 0, count: rowCount + 1)
        var sortedIndices = [UInt32](repeating: 0, count: n)
        var sortedValues = [Float](repeating: 0, count: n)
        var offsets = [Int](repeating: 0, count: rowCount + 1)
        var write = 0
        rows.withUnsafeBufferPointer { rows in
        columns.withUnsafeBufferPointer { columns in
        values.withUnsafeBufferPointer { values in
        columnStarts.withUnsafeMutableBufferPointer { columnStarts in
        byColumn.withUnsafeMutableBufferPointer { byColumn in
        rowStarts.withUnsafeMutableBufferPointer { rowStarts in
        sortedIndices.withUnsafeMutableBufferPointer { sortedIndices in
        sortedValues.withUnsafeMutableBufferPointer { sortedValues in
        offsets.withUnsafeMutableBufferPointer { offsets in
            for c in columns { columnStarts[Int(c) + 1] += 1 }
            for c in 0..<columnCount { columnStarts[c + 1] += columnStarts[c] }
            for p in 0..<n {
                let c = Int(columns[p])
                byColumn[columnStarts[c]] = p
                columnStarts[c] += 1
            }
            for r in rows { rowStarts[Int(r) + 1] += 1 }
            for r in 0..<rowCount { rowStarts[r + 1] += rowStarts[r] }
            var cursor = Array(rowStarts)
            cursor.withUnsafeMutableBufferPointer { cursor in
                for p in byColumn {
                    let r = Int(rows[p])
                    sortedIndices[cursor[r]] = columns[p]
                    sortedValues[cursor[r]] = values[p]
                    cursor[r] += 1
                }
            }
            // Merge repeated columns within each row, summing in Double so counts stay exact.
            for r in 0..<rowCount {
                var p = rowStarts[r]
                let end = rowStarts[r + 1]
                while p < end {
                    let column = sortedIndices[p]
                    var sum = Double(sortedValues[p])
                    p += 1
                    while p < end && sortedIndices[p] == column {
                        sum += Double(sortedValues[p])
                        p += 1
                    }
                    sortedIndices[write] = column
                    sortedValues[write] = Float(sum)
                    write += 1
                }
                offsets[r + 1] = write
            }
        } } } } } } } } }
        sortedIndices.removeSubrange(write...)
        sortedValues.removeSubrange(write...)
        self.init(uncheckedRowCount: rowCount, columnCount: columnCount, offsets: offsets, indices: sortedIndices, values: sortedValues)
    }

    /// Number of stored entries.
    package var nonZeroCount: Int { indices.count }

    /// Positions of row r's entries in `indices` and `values`.
    @inline(__always) package func range(ofRow r: Int) -> Range<Int> { offsets[r]..<offsets[r + 1] }

    /// The columns stored in row r.
    package func columns(ofRow r: Int) -> Slice<MappableArray<UInt32>> { indices[range(ofRow: r)] }

    /// The value at (row, column), or 0 when it is not stored.
    package func value(row: Int, column: Int) -> Float {
        guard let column = UInt32(exactly: column) else { return 0 }
        let range = range(ofRow: row)
        return indices.withUnsafeBufferPointer { indices in
            SparseMatrix.position(of: column, in: range, indices).map { values[$0] } ?? 0
        }
    }

    /// Every row's stored value in `column`, as (row, value) in row order: one binary search per
    /// row (no transpose is kept), through the arrays' buffers — element by element through a
    /// mapped file's arrays, the 358,868 rows of the reference workload took 0.22–0.25 s.
    package func entries(inColumn column: Int) -> [(row: Int, value: Float)] {
        guard let column = UInt32(exactly: column) else { return [] }
        var found: [(row: Int, value: Float)] = []
        offsets.withUnsafeBufferPointer { offsets in
            indices.withUnsafeBufferPointer { indices in
                values.withUnsafeBufferPointer { values in
                    for row in 0..<rowCount {
                        if let position = SparseMatrix.position(of: column, in: offsets[row]..<offsets[row + 1], indices) {
                            found.append((row, values[position]))
                        }
                    }
                }
            }
        }
        return found
    }

    /// Where `column` is among `indices[range]` (one row's sorted columns), or nil.
    @inline(__always) private static func position(of column: UInt32, in range: Range<Int>, _ indices: UnsafeBufferPointer<UInt32>) -> Int? {
        var low = range.lowerBound, high = range.upperBound
        while low < high {
            let middle = (low + high) / 2
            if indices[middle] < column { low = middle + 1 } else { high = middle }
        }
        return low < range.upperBound && indices[low] == column ? low : nil
    }

    /// The transpose, with sorted rows: the same arrays on any number of threads. The rows are
    /// cut into one slice per thread, each counting its entries per column and then writing them
    /// where its counts say, so no two threads write one place. One thread alone when the
    /// slices' counts (a column count each) would rival the entries. Part of reading a play log:
    /// written with a subscript on each captured array, which Swift checked for uniqueness at
    /// every write, it was 10% of `encore import` on the reference workload, on one thread.
    package func transposed(threads: Int = Parallel.defaultThreadCount) -> SparseMatrix {
        let slices = (columnCount + 1) * 4 * max(1, threads) <= nonZeroCount ? max(1, min(threads, rowCount)) : 1
        let rowBounds = (0...slices).map { rowCount * $0 / slices }
        // places[s·columnCount + c]: entries of column c in slice s; then where slice s writes its next one.
        var places = [Int](repeating: 0, count: slices * columnCount)
        var counts: [Int] = []
        var newIndices = [UInt32](repeating: 0, count: nonZeroCount)
        var newValues = [Float](repeating: 0, count: nonZeroCount)
        let columns = columnCount
        // Over buffers: the arrays may be a mapped file's, whose subscript checks its storage.
        offsets.withUnsafeBufferPointer { offsets in
        indices.withUnsafeBufferPointer { indices in
        values.withUnsafeBufferPointer { values in
        places.withUnsafeMutableBufferPointer { places in
        newIndices.withUnsafeMutableBufferPointer { newIndices in
        newValues.withUnsafeMutableBufferPointer { newValues in
            Parallel.forEachChunk(count: slices, chunkSize: 1, threads: slices) { chunk, _ in
                for slice in chunk {
                    let own = places.baseAddress! + slice * columns
                    for p in offsets[rowBounds[slice]]..<offsets[rowBounds[slice + 1]] { own[Int(indices[p])] += 1 }
                }
            }
            counts = SparseMatrix.placeSlices(places, slices: slices, buckets: columns)
            Parallel.forEachChunk(count: slices, chunkSize: 1, threads: slices) { chunk, _ in
                for slice in chunk {
                    let cursor = places.baseAddress! + slice * columns
                    for r in rowBounds[slice]..<rowBounds[slice + 1] {
                        for p in offsets[r]..<offsets[r + 1] {
                            let c = Int(indices[p]), place = cursor[c]
                            newIndices[place] = UInt32(truncatingIfNeeded: r)
                            newValues[place] = values[p]
                            cursor[c] = place + 1
                        }
                    }
                }
            }
        } } } } } }
        return SparseMatrix(uncheckedRowCount: columnCount, columnCount: rowCount, offsets: counts, indices: newIndices, values: newValues)
    }

    /// A counting sort cut into slices, each counted and then scattered on its own thread: turns
    /// the slices' counts (`places[s·buckets + b]`: slice s's entries of bucket b) into where
    /// slice s writes its first entry of bucket b — buckets in order, and within a bucket slice
    /// s after slice s − 1, so every bucket keeps the entries' order — and returns where each
    /// bucket starts (buckets + 1 values). Shared by `transposed` and the play matrix builder.
    static func placeSlices(_ places: UnsafeMutableBufferPointer<Int>, slices: Int, buckets: Int) -> [Int] {
        var starts = [Int](repeating: 0, count: buckets + 1)
        for bucket in 0..<buckets {
            var next = starts[bucket]
            for slice in 0..<slices {
                let entries = places[slice * buckets + bucket]
                places[slice * buckets + bucket] = next
                next += entries
            }
            starts[bucket + 1] = next
        }
        return starts
    }

    /// A matrix from arrays already known to be valid, wherever they live.
    init(
        uncheckedRowCount rowCount: Int, columnCount: Int, offsets: some MappableArrayConvertible<Int>,
        indices: some MappableArrayConvertible<UInt32>, values: some MappableArrayConvertible<Float>
    ) {
        self.rowCount = rowCount
        self.columnCount = columnCount
        self.offsets = offsets.asMappableArray
        self.indices = indices.asMappableArray
        self.values = values.asMappableArray
    }
}
