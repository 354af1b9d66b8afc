import Foundation

/// What EASE's input matrix X holds for an observed (user, item) pair.
package enum EASEInput: String, Sendable, CaseIterable {
    /// 1 for every pair played (the paper's input).
    case binary
    /// log(1 + plays): keeps how much a pair was played while damping the heaviest listeners.
    case log
}

/// The arithmetic of EASE's inverse.
package enum EASEPrecision: String, Sendable, CaseIterable {
    /// Float: about half the time and a third of the memory of Double.
    case float
    /// Double: the reference.
    case double
}

/// EASE (Steck, WWW 2019), the closed-form item–item baseline: B = I − P·diag(1/diag P) with
/// P = (XᵀX + λI)⁻¹, so B_ij = −P_ij / P_jj and B_jj = 0; a user's scores are x_u B.
///
/// The default precision is Float: on Last.fm 2K (17,632 items, log input, λ 2000) it gave the
/// same MAP@10 as Double to six digits (0.134362) in 75–91 s against 145–166 s, at 1.3 GB peak
/// resident memory against 3.7 GB (docs/evaluation.md); B is stored in Float either way.
package struct EASERecommender: Recommender, Sendable {
    /// The weighted users × items matrix X (binary or log(1 + plays)).
    package let weighted: SparseMatrix
    /// B, items × items, row-major.
    package let weights: [Float]
    /// Number of users (rows of the score matrix).
    package var userCount: Int { weighted.rowCount }
    /// Number of items (columns of the score matrix).
    package var itemCount: Int { weighted.columnCount }

    /// Builds B from a users × items matrix of raw weights. Throws when λ is not positive or the
    /// items × items matrices would not fit in `memoryLimit` bytes.
    package init(_ userItems: SparseMatrix, regularization: Double, input: EASEInput = .log, precision: EASEPrecision = .float,
                 threads: Int = Parallel.defaultThreadCount, memoryLimit: Int = EASERecommender.availableMemory()) throws {
        guard regularization.isFinite, regularization > 0 else {
            throw EncoreError.invalidParameter(name: "regularization", value: "\(regularization)", requirement: "be a finite number > 0")
        }
        let n = userItems.columnCount
        try EASERecommender.checkSize(items: n, precision: precision, memoryLimit: memoryLimit)
        let weighted = EASERecommender.weight(userItems, input)
        let notDefinite = EncoreError.nonFinite("EASE: XᵀX + λI is not numerically positive definite in \(precision.rawValue); raise regularization")
        var weights: [Float]
        switch precision {
        case .double:
            var p: [Double] = EASERecommender.gram(weighted, regularization: regularization)
            guard p.withUnsafeMutableBufferPointer({ $0.baseAddress.map { DenseInverse.invertPositiveDefinite($0, n: n, threads: threads) } ?? true }) else { throw notDefinite }
            EASERecommender.turnIntoWeights(&p, n: n)
            weights = p.map { Float($0) }
        case .float:
            // Accumulated, inverted and turned into B in one Float matrix: 4 bytes an entry at the peak.
            weights = EASERecommender.gram(weighted, regularization: regularization)
            guard weights.withUnsafeMutableBufferPointer({ $0.baseAddress.map { DenseInverse.invertPositiveDefinite($0, n: n, threads: threads) } ?? true }) else { throw notDefinite }
            EASERecommender.turnIntoWeights(&weights, n: n)
        }
        self.weighted = weighted
        self.weights = weights
    }

    /// Writes the user's score for every item into `scores`: the sum of B's rows of the items
    /// the user played, each times its weight in X (n_u rows of B, never the whole matrix).
    package func scoreItems(forUser user: Int, into scores: UnsafeMutableBufferPointer<Float>) {
        let n = itemCount
        guard let out = scores.baseAddress else { return }
        out.initialize(repeating: 0, count: n)
        weights.withUnsafeBufferPointer { b in
            guard let b = b.baseAddress else { return }
            for p in weighted.range(ofRow: user) {
                VectorKernels.axpy(weighted.values[p], b + Int(weighted.indices[p]) * n, out, n)
            }
        }
    }

    /// Bytes of the items × items matrices at their peak: Float's B is computed in place; Double's
    /// inverse and the Float B narrowed from it live together for a moment.
    package static func bytesNeeded(items: Int, precision: EASEPrecision) -> Int {
        let entries = items.multipliedReportingOverflow(by: items)
        let perEntry = precision == .double ? 12 : 4
        let bytes = entries.partialValue.multipliedReportingOverflow(by: perEntry)
        return entries.overflow || bytes.overflow ? Int.max : bytes.partialValue
    }

    /// Refuses a catalogue whose dense matrices would not fit, saying how large they would be.
    static func checkSize(items: Int, precision: EASEPrecision, memoryLimit: Int) throws {
        let bytes = bytesNeeded(items: items, precision: precision)
        func size(_ b: Int) -> String { b >= 1_000_000_000 ? String(format: "%.1f GB", Double(b) / 1e9) : String(format: "%.1f MB", Double(b) / 1e6) }
        if items > DenseInverse.maximumOrder {
            throw EncoreError.invalidArgument("EASE needs a dense \(items) × \(items) item matrix (\(size(bytes)) in \(precision.rawValue)); "
                + "LAPACK's 32-bit indices allow at most \(DenseInverse.maximumOrder) items: filter the rarest items or use ALS")
        }
        if bytes > memoryLimit {
            throw EncoreError.invalidArgument("EASE needs a dense \(items) × \(items) item matrix: \(size(bytes)) in \(precision.rawValue), "
                + "more than the \(size(memoryLimit)) of memory available; filter the rarest items or use ALS")
        }
    }

    /// The memory the process may use: MemAvailable from /proc/meminfo, else all physical memory.
    package static func availableMemory() -> Int {
        if let text = try? String(contentsOfFile: "/proc/meminfo", encoding: .utf8),
           let line = text.split(separator: "\n").first(where: { $0.hasPrefix("MemAvailable:") }),
           let kilobytes = line.split(separator: " ").dropFirst().first.flatMap({ Int($0) }) {
            return kilobytes * 1024
        }
        return Int(clamping: ProcessInfo.processInfo.physicalMemory)
    }

    /// X: 1 for a played pair, or log(1 + plays); entries with weight ≤ 0 are not played.
    static func weight(_ matrix: SparseMatrix, _ input: EASEInput) -> SparseMatrix {
        let values = matrix.values.map { v -> Float in
            guard v > 0 else { return 0 }
            return input == .binary ? 1 : Float(log1p(Double(v)))
        }
        return SparseMatrix(uncheckedRowCount: matrix.rowCount, columnCount: matrix.columnCount, offsets: matrix.offsets, indices: matrix.indices, values: values)
    }

    /// XᵀX + λI, n×n row-major, upper triangle filled (binary X sums exactly in Float up to 2²⁴). Accumulated from each user's
    /// observed pairs (Σ n_u² work) rather than by SYRK on densified rows (users × n² work:
    /// on Last.fm 2K 4.7 million updates against 5.9 × 10¹¹ multiply-adds).
    static func gram<T: BinaryFloatingPoint>(_ x: SparseMatrix, regularization: Double) -> [T] {
        let n = x.columnCount
        var gram = [T](repeating: 0, count: n * n)
        gram.withUnsafeMutableBufferPointer { g in
            for user in 0..<x.rowCount {
                let row = x.range(ofRow: user)
                for p in row {
                    let i = Int(x.indices[p]), xi = T(x.values[p])
                    for q in row {
                        let j = Int(x.indices[q])
                        if i <= j { g[i * n + j] += xi * T(x.values[q]) }
                    }
                }
            }
            for i in 0..<n { g[i * n + i] += T(regularization) }
        }
        return gram
    }

    /// B from P in place (P's upper triangle read): B_ij = −P_ij / P_jj off the diagonal, 0 on it.
    static func turnIntoWeights<T: BinaryFloatingPoint>(_ p: inout [T], n: Int) {
        let diagonal = (0..<n).map { p[$0 * n + $0] }
        p.withUnsafeMutableBufferPointer { b in
            for i in 0..<n {
                b[i * n + i] = 0
                for j in (i + 1)..<n {
                    let pij = b[i * n + j]
                    b[i * n + j] = -pij / diagonal[j]
                    b[j * n + i] = -pij / diagonal[i]
                }
            }
        }
    }
}
