/// One side's observations as a half-step reads them: which rows of the other side each row
/// observed (a CSR pattern) and each observation's confidence c₁ = α·g(r) (`EntryConfidences`,
/// coded or Float). The weights themselves are kept only when the confidences cannot stand for
/// them: the solvers read a weight only to ask whether it is positive, and c₁ > 0 exactly where
/// r > 0 unless a positive weight's confidence underflows to 0.
package struct TrainingRows: Sendable {
    /// Number of rows.
    package let rowCount: Int
    /// Number of rows of the other side.
    package let columnCount: Int
    /// Row r's entries are at positions offsets[r] ..< offsets[r + 1].
    package let offsets: MappableArray<Int>
    /// The other side's row of each entry.
    package let indices: MappableArray<UInt32>
    /// Each entry's c₁.
    package let confidences: EntryConfidences
    /// The weights, when the confidences cannot stand for them; nil when they can.
    package let weights: MappableArray<Float>?

    /// `ratings`' pattern with `confidences` (one per entry); `weightsNeeded` keeps its weights
    /// beside them (when a positive weight has a confidence of 0).
    package init(_ ratings: SparseMatrix, confidences: EntryConfidences, weightsNeeded: Bool) {
        precondition(confidences.count == ratings.nonZeroCount, "one confidence per entry of the ratings")
        rowCount = ratings.rowCount
        columnCount = ratings.columnCount
        offsets = ratings.offsets
        indices = ratings.indices
        self.confidences = confidences
        weights = weightsNeeded ? ratings.values : nil
    }

    /// Rows from their parts (`weights` nil when the confidences stand for them).
    init(rowCount: Int, columnCount: Int, offsets: MappableArray<Int>, indices: MappableArray<UInt32>, confidences: EntryConfidences,
         weights: MappableArray<Float>?) {
        precondition(confidences.count == indices.count && (weights == nil || weights!.count == indices.count), "one confidence per entry")
        self.rowCount = rowCount
        self.columnCount = columnCount
        self.offsets = offsets
        self.indices = indices
        self.confidences = confidences
        self.weights = weights
    }

    /// Positions of row r's entries.
    @inline(__always) package func range(ofRow r: Int) -> Range<Int> { offsets[r]..<offsets[r + 1] }

    /// How many of row r's weights are positive (the n of its regularization weight).
    package func positives(ofRow r: Int) -> Int {
        guard let weights else { return confidences.positives(in: range(ofRow: r)) }
        return range(ofRow: r).reduce(0) { $0 + (weights[$1] > 0 ? 1 : 0) }
    }

    /// Calls `body` with the rows held still behind raw pointers.
    func withUnsafeRows<Result>(_ body: (UnsafeTrainingRows) throws -> Result) rethrows -> Result {
        try offsets.withUnsafeBufferPointer { offsets in
            try indices.withUnsafeBufferPointer { indices in
                try (weights ?? MappableArray([])).withUnsafeBufferPointer { weights in
                    try confidences.withUnsafeEntries { confidences in
                        try body(UnsafeTrainingRows(offsets: offsets, indices: indices, weights: self.weights == nil ? nil : weights,
                                                    confidences: confidences))
                    }
                }
            }
        }
    }
}

/// `TrainingRows` through raw pointers, for the solvers' row loop (valid only inside
/// `TrainingRows.withUnsafeRows`).
struct UnsafeTrainingRows {
    let offsets: UnsafeBufferPointer<Int>
    let indices: UnsafeBufferPointer<UInt32>
    /// nil when the confidences stand for the weights.
    let weights: UnsafeBufferPointer<Float>?
    let confidences: UnsafeEntryConfidences

    @inline(__always) func columns(ofRow row: Int) -> UnsafeBufferPointer<UInt32> {
        UnsafeBufferPointer(rebasing: indices[offsets[row]..<offsets[row + 1]])
    }

    /// Row `row`'s weights (or the confidences standing for them: only their sign is read) and
    /// confidences, the solvers' `values` and `confidences`; a coded row is decoded into
    /// `scratch`, so both are valid until its next use.
    @inline(__always) func entries(ofRow row: Int, scratch: ConfidenceScratch) -> (values: UnsafeBufferPointer<Float>, confidences: UnsafePointer<Float>?) {
        let range = offsets[row]..<offsets[row + 1]
        let confidences = self.confidences.row(range, scratch: scratch)
        let values = weights.map { UnsafeBufferPointer(rebasing: $0[range]) } ?? confidences
        return (values, confidences.baseAddress)
    }
}
