import CEncoreKernels
import Foundation

/// The exact solve of a short row in the Gram eigenbasis (G = Λ) through the Woodbury identity,
/// and its scratch space: (M + Vᵀ C V)⁻¹ b = z − D Vᵀ (C⁻¹ + V D Vᵀ)⁻¹ V z with M = Λ + λs I,
/// D = M⁻¹, z = D b — an m×m Cholesky (CEncoreKernels' `woodburySolve`) instead of k×k.
final class WoodburySolve {
    let k: Int
    /// Rows with fewer weighted observations than k are solved here (m²k/2 + m³/6 multiply-adds
    /// against mk²/2 + k³/6 for the k×k system), up to this many, beyond which the m×m scratch
    /// space would grow too large for very high ranks.
    static let rowLimit = 256
    private let inverseDiagonal: UnsafeMutablePointer<Double>
    private let rootInverseDiagonal: UnsafeMutablePointer<Double>
    // The m×m system: the scaled vectors, its matrix, right-hand side and inverse confidences;
    // grown on demand up to `rowLimit` rows.
    private var rows: UnsafeMutablePointer<Double>
    private var matrix: UnsafeMutablePointer<Double>
    private var rhs: UnsafeMutablePointer<Double>
    private var inverseConfidence: UnsafeMutablePointer<Double>
    private var capacity = 0

    init(k: Int) {
        self.k = k
        inverseDiagonal = .allocateCacheAligned(capacity: k)
        rootInverseDiagonal = .allocateCacheAligned(capacity: k)
        rows = .allocateCacheAligned(capacity: 1)
        matrix = .allocateCacheAligned(capacity: 1)
        rhs = .allocateCacheAligned(capacity: 1)
        inverseConfidence = .allocateCacheAligned(capacity: 1)
    }

    deinit {
        for pointer in [inverseDiagonal, rootInverseDiagonal, rows, matrix, rhs, inverseConfidence] { pointer.deallocate() }
    }

    /// Whether a row with `weighted` vectors of c₁ > 0 is short enough for this solve.
    func accepts(weighted: Int) -> Bool { !WoodburySolve.turnedOff && weighted < min(k, WoodburySolve.rowLimit) }

    /// For benchmarks only (benchmarks/quality/solvers.sh, which documents it): with
    /// ENCORE_BENCHMARK_TEXTBOOK_EXACT set, no row takes this path, so every exact solve is a
    /// k×k factorisation — the textbook cost the subspace solver is measured against. Not an
    /// option: the results are the same either way, only slower.
    private static let turnedOff = getenv("ENCORE_BENCHMARK_TEXTBOOK_EXACT") != nil

    private func reserve(_ m: Int) {
        guard capacity < m else { return }
        for pointer in [rows, matrix, rhs, inverseConfidence] { pointer.deallocate() }
        capacity = max(m, min(2 * capacity, WoodburySolve.rowLimit))
        rows = .allocateCacheAligned(capacity: capacity * k)
        matrix = .allocateCacheAligned(capacity: capacity * capacity)
        rhs = .allocateCacheAligned(capacity: capacity)
        inverseConfidence = .allocateCacheAligned(capacity: capacity)
    }

    /// Solves the `count` packed vectors of `row` (`weighted` of them with c₁ > 0) against
    /// `system.b` into `system.solution`, with G = `diagonal`. Returns false (leaving the row
    /// to the k×k solve) when M is too close to singular to divide by, or the m×m system is
    /// not numerically positive definite.
    func solve(_ row: PackedRow, count n: Int, weighted m: Int, diagonal: UnsafePointer<Double>, ridge: Double, system: DoubleSystem) -> Bool {
        let k = self.k
        var smallest = Double.infinity, largest = 0.0
        for j in 0..<k {
            smallest = min(smallest, diagonal[j] + ridge)
            largest = max(largest, diagonal[j] + ridge)
        }
        guard smallest > 1e-8 * largest else { return false }
        reserve(m)
        for j in 0..<k {
            inverseDiagonal[j] = 1 / (diagonal[j] + ridge)
            rootInverseDiagonal[j] = inverseDiagonal[j].squareRoot()
        }
        var woodbury = EncoreWoodbury(
            k: k, n: n, packed: row.vectors, c1: row.confidences, inverseDiagonal: inverseDiagonal, rootInverseDiagonal: rootInverseDiagonal,
            b: system.b, solution: system.solution, scratch: system.scratch, rows: rows, matrix: matrix, rhs: rhs,
            inverseConfidence: inverseConfidence)
        return encore_woodbury_solve(&woodbury) != 0
    }
}
