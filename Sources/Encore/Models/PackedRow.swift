import CEncoreKernels

/// One row's observed vectors, copied one after another out of the other side's factors, with
/// their confidences minus one, so every later pass over them (right-hand side, SYRK, CG's
/// products, the objective) runs from cache. Grows to the longest row it has held; one per
/// thread, reused for every row.
///
/// A row longer than `streamingThreshold` — a hugely popular item's listeners: 5.6 M of them at
/// 10 M listeners, 1.5 GB of copied vectors per thread — is not copied for CG: only its
/// per-entry numbers are (16 bytes an entry), and CG gathers each block of its vectors as it
/// passes over them (`scalars(…)`, the kernel's `blockRows`), with the same arithmetic.
final class PackedRow {
    let k: Int
    /// Entries beyond which CG does not copy a row's vectors (2¹⁸: 68 MiB at k = 64).
    let streamingThreshold: Int
    /// One block of gathered vectors (the kernel's PASS_BLOCK of 32, k values each), for a
    /// streamed row.
    let gathered: UnsafeMutablePointer<Float>
    private static let gatherBlock = 32
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
    private var vectorCapacity = 0

    init(k: Int, streamingThreshold: Int = 1 << 18) {
        self.k = k
        self.streamingThreshold = streamingThreshold
        gathered = .allocateCacheAligned(capacity: PackedRow.gatherBlock * k)
        vectors = .allocateCacheAligned(capacity: 1)
        confidences = .allocateCacheAligned(capacity: 1)
        scores = .allocateCacheAligned(capacity: 1)
        projections = .allocateCacheAligned(capacity: 1)
        weights = .allocateCacheAligned(capacity: 1)
    }

    deinit {
        for pointer in [vectors, confidences, scores, projections, weights, gathered] { pointer.deallocate() }
    }

    /// Room for `n` entries' numbers, and with `vectors` their vectors (growing by doubling, so a
    /// run of longer rows reallocates rarely, but never past the streaming threshold's size).
    private func reserve(_ n: Int, vectors withVectors: Bool = true) {
        if capacity < n {
            for pointer in [confidences, scores, projections, weights] { pointer.deallocate() }
            capacity = max(n, 2 * capacity)
            confidences = .allocateCacheAligned(capacity: capacity)
            scores = .allocateCacheAligned(capacity: capacity)
            projections = .allocateCacheAligned(capacity: capacity)
            weights = .allocateCacheAligned(capacity: capacity)
        }
        if withVectors && vectorCapacity < n {
            vectors.deallocate()
            vectorCapacity = max(n, min(2 * vectorCapacity, streamingThreshold))
            vectors = .allocateCacheAligned(capacity: vectorCapacity * k)
        }
    }

    /// Copies the row's `columns.count` vectors from `source`, and their confidences minus one
    /// (copied from `given` if there, else computed by `equations`), for the exact solve (CG
    /// packs a row itself, `prepareForGather`). Returns the row's count of r > 0.
    func pack(
        columns: UnsafeBufferPointer<UInt32>, values: UnsafeBufferPointer<Float>, confidences given: UnsafePointer<Float>?,
        from source: DenseMatrix, equations: NormalEquations
    ) -> Int {
        let n = columns.count
        reserve(n)
        encore_pack_rows(UnsafeRawPointer(source.row(0)).assumingMemoryBound(to: CChar.self), source.stride * 4, k, columns.baseAddress, n,
                         vectors, nil, nil, given, confidences)
        return positivesAndConfidences(values: values, given: given, equations: equations)
    }

    /// Makes room for a row that CG packs as it takes its first pass (`EncoreCGRow.packed`): the
    /// confidences minus one are computed here when not `given` (else the pass copies them).
    /// Returns the row's count of r > 0.
    func prepareForGather(values: UnsafeBufferPointer<Float>, confidences given: UnsafePointer<Float>?, equations: NormalEquations) -> Int {
        reserve(values.count)
        return positivesAndConfidences(values: values, given: given, equations: equations)
    }

    /// The row's count of r > 0; and, when not `given` (to be copied), its confidences minus
    /// one computed into `confidences`.
    private func positivesAndConfidences(values: UnsafeBufferPointer<Float>, given: UnsafePointer<Float>?, equations: NormalEquations) -> Int {
        let positives = PackedRow.countPositive(values)
        if given == nil {
            for p in 0..<values.count { confidences[p] = equations.confidenceMinusOne(values[p]) }
        }
        return positives
    }

    /// How many of `values` are > 0, eight at a time. As a filtered loop (a compare and a branch
    /// per value, which the compiler left scalar) it held 2% of a CG iteration's samples on a log
    /// of hundred-entry rows; counted this way the iteration took 0.979 of the time (6
    /// alternating pairs, long-row log, k = 64).
    static func countPositive(_ values: UnsafeBufferPointer<Float>) -> Int {
        guard let base = values.baseAddress else { return 0 }
        let n = values.count
        var lanes = SIMD8<Int32>(), p = 0
        while p + 8 <= n {
            let eight = UnsafeRawPointer(base + p).loadUnaligned(as: SIMD8<Float>.self)
            lanes &+= SIMD8<Int32>(repeating: 0).replacing(with: 1, where: eight .> 0)
            p += 8
        }
        var count = Int(lanes.wrappedSum())
        while p < n {
            if base[p] > 0 { count += 1 }
            p += 1
        }
        return count
    }

    /// `pack` for a row CG streams (longer than `streamingThreshold`): the confidences and,
    /// with `scoring`, each vector's dot product with it, gathered a block at a time through
    /// `gathered` by the same kernel, so the numbers are those `pack` gives; the vectors are
    /// not kept.
    func scalars(
        columns: UnsafeBufferPointer<UInt32>, values: UnsafeBufferPointer<Float>, confidences given: UnsafePointer<Float>?,
        from source: DenseMatrix, equations: NormalEquations, scoring x: UnsafePointer<Float>? = nil
    ) -> Int {
        let n = columns.count
        reserve(n, vectors: false)
        let base = UnsafeRawPointer(source.row(0)).assumingMemoryBound(to: CChar.self)
        for start in stride(from: 0, to: n, by: PackedRow.gatherBlock) {
            let count = min(PackedRow.gatherBlock, n - start)
            encore_pack_rows(base, source.stride * 4, k, columns.baseAddress! + start, count, gathered, x, scores + start,
                             given.map { $0 + start }, confidences + start)
        }
        return positivesAndConfidences(values: values, given: given, equations: equations)
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
