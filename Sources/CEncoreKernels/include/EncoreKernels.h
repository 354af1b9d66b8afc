// Encore's vector kernels, compiled three times — for AVX-512, for AVX2 with FMA, and for
// baseline x86-64 (or the host's own baseline elsewhere) — and chosen once, at run time, for
// the CPU the process runs on, as OpenBLAS and simdjson choose theirs. One binary therefore runs
// at full speed on any machine without a build flag, and a cluster of mixed CPUs runs one binary.
//
// Swift calls the `encore_*` inline functions below; each is one indirect call through the
// table of the chosen set.
#ifndef ENCORE_KERNELS_H
#define ENCORE_KERNELS_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// The state of one row's conjugate-gradient solve: `steps` CG steps on
/// (G + ridge·I + Σ_p c1[p] y_p y_pᵀ) x = Σ_{values[p] > 0} (1 + c1[p]) y_p, warm-started from x,
/// over the row's `n` vectors y_p packed one after another (`k` values each). `score[p]` holds
/// y_p·x on entry and is kept current as x moves. While it computes, the solve asks memory for
/// the vectors of the row to be solved next (`upcoming`), a slice per block of vectors.
typedef struct EncoreCGRow {
    long k;
    long n;
    long steps;
    /// Room for the row's n vectors, which the residual's pass copies here from `source`
    /// (`columns`) a block at a time, each y·x into `score`, and sums each block into the
    /// residual while it is still in L1 — one pass over the row fewer than packing first.
    /// NULL for a row too long to copy (below).
    float *packed;
    /// c1 of each vector: copied here from `givenC1` by that pass when `givenC1` is there.
    float *c1;
    const float *values;
    float *score;
    /// Scratch space: n values each.
    float *q, *w;
    /// Scratch space: k values each.
    float *r, *d, *ap;
    /// G: k diagonal entries when `gramIsDiagonal`, else k×k row-major.
    const float *gram;
    int gramIsDiagonal;
    float ridge;
    /// The other side's factor matrix (rows `rowBytes` apart, the first `lineBytes` of each
    /// worth fetching) and the next row's columns into it; `upcomingRequested` of them have
    /// been asked for already, and the solve asks for up to `upcomingCount` in all.
    const char *source;
    long rowBytes;
    long lineBytes;
    const uint32_t *upcoming;
    long upcomingCount;
    long upcomingRequested;
    /// When `packed` is NULL (a row too long to copy whole: a hugely popular item's
    /// listeners), the row's columns into `source`: each block of the row is gathered into
    /// `gathered` (PASS_BLOCK × k values) for every pass, with the same arithmetic.
    const uint32_t *columns;
    float *gathered;
    /// The row's confidences minus one as the caller has them, or NULL when `c1` holds them.
    const float *givenC1;
} EncoreCGRow;

/// The Woodbury solve of one short row with G diagonal (Λ): its `n` packed vectors (k values
/// each) and confidences minus one, M⁻¹ = `inverseDiagonal` and its square root, the right-hand
/// side `b`; the answer goes to `solution`. Scratch space: `scratch` (k), `rows` (m×k),
/// `matrix` (m×m), `rhs` and `inverseConfidence` (m), for the m vectors with c1 > 0.
typedef struct EncoreWoodbury {
    long k;
    long n;
    const float *packed;
    const float *c1;
    const double *inverseDiagonal;
    const double *rootInverseDiagonal;
    const double *b;
    double *solution;
    double *scratch;
    double *rows;
    double *matrix;
    double *rhs;
    double *inverseConfidence;
} EncoreWoodbury;

/// One set of kernels, compiled for one instruction set.
typedef struct EncoreKernels {
    /// "avx512", "avx2" or "baseline".
    const char *name;
    float (*dotFloat)(const float *a, const float *b, long n);
    void (*axpyFloat)(float alpha, const float *x, float *y, long n);
    void (*rowDotsFloat)(const float *rows, long count, long length, const float *v, float *q);
    void (*scoreRows)(const float *a, long m, long lda, const float *b, long n, long ldb, long k, float *c, long ldc);
    void (*accumulateRows)(const float *rows, long count, long length, const float *w, float *out);
    void (*residual)(const double *b, const double *d, double ridge, const float *rows, const float *w,
                     long count, long length, const double *x, double *r);
    void (*transformRows)(const float *m, long k, long stride, const float *input, float *output, long count);
    void (*packRows)(const char *source, long rowBytes, long k, const uint32_t *columns, long n, float *packed,
                     const float *x, float *score, const float *confidences, float *packedConfidences);
    void (*conjugateGradient)(EncoreCGRow *row, float *x);
    int (*choleskySolve)(double *a, double *b, long n);
    int (*choleskySolveLanes)(const double *gram, const float *weighted, const double *ridges, double *rhs, long count,
                              double *scratch, long n);
    long (*subspaceGather)(const char *source, long rowBytes, long first, long width, const uint32_t *columns, long n,
                           const float *values, const float *c1, const double *scores, double *residual, float *gathered);
    void (*subspaceApply)(const char *source, long rowBytes, long first, long width, const uint32_t *columns, long n,
                          const double *delta, double *scores);
    long (*rightHandSide)(long k, long n, const float *packed, const float *c1, const float *values, double *b);
    double (*observedObjective)(long n, const float *values, const float *scores, const float *c1, long *positives);
    int (*woodburySolve)(const EncoreWoodbury *woodbury);
} EncoreKernels;

/// The kernels in use; null until the first call of `encore_kernels`.
extern const EncoreKernels *encore_active_kernels;

/// Chooses the best set this CPU runs (or the one named by ENCORE_KERNELS, if this CPU runs it),
/// makes it the one in use, and returns it.
const EncoreKernels *encore_choose_kernels(void);

/// The set of this name if this CPU can run it, else null.
const EncoreKernels *encore_kernels_named(const char *name);

/// Makes `kernels` the set in use (for tests that compare the sets).
void encore_use_kernels(const EncoreKernels *kernels);

static inline const EncoreKernels *encore_kernels(void) {
    const EncoreKernels *kernels = encore_active_kernels;
    return __builtin_expect(kernels != 0, 1) ? kernels : encore_choose_kernels();
}

static inline float encore_dot_float(const float *a, const float *b, long n) { return encore_kernels()->dotFloat(a, b, n); }
static inline void encore_axpy_float(float alpha, const float *x, float *y, long n) { encore_kernels()->axpyFloat(alpha, x, y, n); }
static inline void encore_row_dots_float(const float *rows, long count, long length, const float *v, float *q) {
    encore_kernels()->rowDotsFloat(rows, count, length, v, q);
}
/// c[u·ldc + i] = a_u·b_i (m rows of a, n rows of b, k values each), every score summed in the
/// same order whatever m and n: a user's scores do not depend on who else is in the block.
static inline void encore_score_rows(const float *a, long m, long lda, const float *b, long n, long ldb, long k, float *c, long ldc) {
    encore_kernels()->scoreRows(a, m, lda, b, n, ldb, k, c, ldc);
}
static inline void encore_accumulate_rows(const float *rows, long count, long length, const float *w, float *out) {
    encore_kernels()->accumulateRows(rows, count, length, w, out);
}
static inline void encore_residual(const double *b, const double *d, double ridge, const float *rows, const float *w,
                                   long count, long length, const double *x, double *r) {
    encore_kernels()->residual(b, d, ridge, rows, w, count, length, x, r);
}
static inline void encore_transform_rows(const float *m, long k, long stride, const float *input, float *output, long count) {
    encore_kernels()->transformRows(m, k, stride, input, output, count);
}
static inline void encore_pack_rows(const char *source, long rowBytes, long k, const uint32_t *columns, long n, float *packed,
                                    const float *x, float *score, const float *confidences, float *packedConfidences) {
    encore_kernels()->packRows(source, rowBytes, k, columns, n, packed, x, score, confidences, packedConfidences);
}
static inline void encore_conjugate_gradient(EncoreCGRow *row, float *x) { encore_kernels()->conjugateGradient(row, x); }
static inline int encore_cholesky_solve(double *a, double *b, long n) { return encore_kernels()->choleskySolve(a, b, n); }
/// Up to eight of the subspace solver's n×n block systems solved side by side (see the kernel);
/// returns a bit per lane that failed. `scratch` holds n·n·8 + n·8 doubles.
static inline int encore_cholesky_solve_lanes(const double *gram, const float *weighted, const double *ridges, double *rhs, long count,
                                              double *scratch, long n) {
    return encore_kernels()->choleskySolveLanes(gram, weighted, ridges, rhs, count, scratch, n);
}
/// The subspace solver's gather of one row's block (see the kernel); returns how many vectors have c1 > 0.
static inline long encore_subspace_gather(const char *source, long rowBytes, long first, long width, const uint32_t *columns, long n,
                                          const float *values, const float *c1, const double *scores, double *residual, float *gathered) {
    return encore_kernels()->subspaceGather(source, rowBytes, first, width, columns, n, values, c1, scores, residual, gathered);
}
/// score_p += y_p,B·δ over one row's vectors (see the kernel).
static inline void encore_subspace_apply(const char *source, long rowBytes, long first, long width, const uint32_t *columns, long n,
                                         const double *delta, double *scores) {
    encore_kernels()->subspaceApply(source, rowBytes, first, width, columns, n, delta, scores);
}
static inline long encore_right_hand_side(long k, long n, const float *packed, const float *c1, const float *values, double *b) {
    return encore_kernels()->rightHandSide(k, n, packed, c1, values, b);
}
/// A row's observed share of the objective (see the kernel); `*positives` counts values > 0.
static inline double encore_observed_objective(long n, const float *values, const float *scores, const float *c1, long *positives) {
    return encore_kernels()->observedObjective(n, values, scores, c1, positives);
}
static inline int encore_woodbury_solve(const EncoreWoodbury *woodbury) { return encore_kernels()->woodburySolve(woodbury); }

/// Starts loading the cache line at `address` ahead of use: the row gathers of ALS touch factor
/// rows in random order, which the hardware prefetcher cannot predict and Swift has no
/// intrinsic for.
static inline void encore_prefetch(const void *address) { __builtin_prefetch(address, 0, 3); }

/// The same into L2 only: for data wanted a little later (the next row's vectors), so that it
/// does not push what is being worked on out of L1.
static inline void encore_prefetch_l2(const void *address) { __builtin_prefetch(address, 0, 2); }

#ifdef __cplusplus
}
#endif

#endif
