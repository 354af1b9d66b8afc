import CEncoreKernels

/// One row's observed vectors, copied one after another out of the other side's factors, with
/// their confidences minus one, so every later pass over them (right-hand side, SYRK, CG's
/// products, the objective) runs from cache. Grows to the longest row it has held; one per
/// thread, reused for every row.
final class PackedRow {
    let k: Int
    /// The vectors, k values each, one after another.
    private(set) var vectors: UnsafeMutablePointer<Float>
    /// c₁ = c − 1 of each vector.
    private(set) var confidences: UnsafeMutablePointer<Float>
    /// y·x for every vector: CG keeps them current as x moves; the objective reads them.
    private(set) var scores: UnsafeMutablePointer<Float>
    /// CG's product scratch (n values each), and where the objective computes y·x after an exact solve.
    private(set) var projections: UnsafeMutablePointer<Float>
    private(set) var weights: UnsafeMutablePointer<Float>
    private var capacity = 0

    init(k: Int) {
        self.k = k
        vectors = .allocateCacheAligned(capacity: 1)
        confidences = .allocateCacheAligned(capacity: 1)
        scores = .allocateCacheAligned(capacity: 1)
        projections = .allocateCacheAligned(capacity: 1)
        weights = .allocateCacheAligned(capacity: 1)
    }

    deinit {
        for pointer in [vectors, confidences, scores, projections, weights] { pointer.deallocate() }
    }

    /// Room for `n` vectors (growing by doubling, so a run of longer rows reallocates rarely).
    private func reserve(_ n: Int) {
        guard capacity < n else { return }
        for pointer in [vectors, confidences, scores, projections, weights] { pointer.deallocate() }
        capacity = max(n, 2 * capacity)
        vectors = .allocateCacheAligned(capacity: capacity * k)
        confidences = .allocateCacheAligned(capacity: capacity)
        scores = .allocateCacheAligned(capacity: capacity)
        projections = .allocateCacheAligned(capacity: capacity)
        weights = .allocateCacheAligned(capacity: capacity)
    }

    /// Copies the row's `columns.count` vectors from `source`, and their confidences minus one
    /// (copied from `given` if there, else computed by `equations`). Returns the row's count of
    /// r > 0. With `scoring`, also writes each vector's dot product with it into `scores`,
    /// computed from the copy in registers while the gather waits on memory.
    func pack(
        columns: UnsafeBufferPointer<UInt32>, values: UnsafeBufferPointer<Float>, confidences given: UnsafePointer<Float>?,
        from source: DenseMatrix, equations: NormalEquations, scoring x: UnsafePointer<Float>? = nil
    ) -> Int {
        let n = columns.count
        reserve(n)
        encore_pack_rows(UnsafeRawPointer(source.row(0)).assumingMemoryBound(to: CChar.self), source.stride * 4, k, columns.baseAddress, n,
                         vectors, x, scores, given, confidences)
        var positives = 0
        for p in 0..<n where values[p] > 0 { positives += 1 }
        if given == nil {
            for p in 0..<n { confidences[p] = equations.confidenceMinusOne(values[p]) }
        }
        return positives
    }

    /// Writes y·x of each of the first `n` vectors into `projections` and returns them.
    func project(count n: Int, _ x: UnsafePointer<Float>) -> UnsafePointer<Float> {
        VectorKernels.rowDots(vectors, count: n, length: k, x, into: projections)
        return UnsafePointer(projections)
    }
}

/// CG's k-long vectors: residual, direction and the product with the row's matrix (which the
/// objective reuses for Gx).
final class ConjugateGradientScratch {
    let residual: UnsafeMutablePointer<Float>
    let direction: UnsafeMutablePointer<Float>
    let product: UnsafeMutablePointer<Float>

    init(k: Int) {
        residual = .allocateCacheAligned(capacity: k)
        direction = .allocateCacheAligned(capacity: k)
        product = .allocateCacheAligned(capacity: k)
    }

    deinit {
        for pointer in [residual, direction, product] { pointer.deallocate() }
    }
}
