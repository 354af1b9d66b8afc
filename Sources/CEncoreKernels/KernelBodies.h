// The kernels, written once over vectors of one 64-byte cache line (sixteen floats, eight
// doubles) and included by one file per instruction set, which defines KERNEL(name) to give
// each function its set's suffix and compiles them all for its target. AVX-512 runs a vector
// as one instruction, AVX2 as two; both fuse multiply-adds, and since each lane's arithmetic and
// every reduction's order are written out here, the AVX2 and AVX-512 sets give the same bits.
// The baseline set (no FMA) rounds each product separately, so its last bits may differ.
//
// Measured reasons for each kernel's shape are in its comment; they were first written as
// Swift SIMD code built with -target-cpu native, and moved here so that one binary serves
// every CPU (the Swift compiler has no per-function target).
//
// Repeated on purpose (what `duplicates` lists here): the row-dot kernels unroll over 8 and
// then 4 rows at a time, and the Double row dots repeat the Float ones' unrolling over their
// own vector types. A macro or a shared generic body would hide the register blocking each
// loop is measured for, and C has no generics over vector widths.

#include <string.h>
#include "include/EncoreKernels.h"

#pragma clang diagnostic ignored "-Wpsabi"
// Only the explicit MADDs fuse: left to itself the compiler fuses `a * b + c` where it can,
// which differs between optimisation levels (a debug build would print other digits than a
// release build) and between instruction sets.
#pragma clang fp contract(off)

typedef float vf16 __attribute__((vector_size(64)));
typedef float vf8 __attribute__((vector_size(32)));
typedef float vf4 __attribute__((vector_size(16)));
typedef double vd8 __attribute__((vector_size(64)));
typedef double vd4 __attribute__((vector_size(32)));
typedef long long vl8 __attribute__((vector_size(64)));

#define INLINE static inline __attribute__((always_inline))

#if KERNEL_FMA
#define MADD(a, b, c) __builtin_elementwise_fma((a), (b), (c))
#else
#define MADD(a, b, c) ((a) * (b) + (c))
#endif

INLINE vf16 load16(const void *p) { vf16 v; memcpy(&v, p, sizeof v); return v; }
INLINE void store16(void *p, vf16 v) { memcpy(p, &v, sizeof v); }
INLINE vd8 loadd8(const void *p) { vd8 v; memcpy(&v, p, sizeof v); return v; }
INLINE void stored8(void *p, vd8 v) { memcpy(p, &v, sizeof v); }
INLINE vf16 splat16(float x) { return (vf16){x, x, x, x, x, x, x, x, x, x, x, x, x, x, x, x}; }
INLINE vd8 splatd8(double x) { return (vd8){x, x, x, x, x, x, x, x}; }

/// The sum of the lanes by halving four times: an add per halving rather than one per lane.
INLINE float sum16(vf16 v) {
    vf8 eight = __builtin_shufflevector(v, v, 0, 1, 2, 3, 4, 5, 6, 7) + __builtin_shufflevector(v, v, 8, 9, 10, 11, 12, 13, 14, 15);
    vf4 four = __builtin_shufflevector(eight, eight, 0, 1, 2, 3) + __builtin_shufflevector(eight, eight, 4, 5, 6, 7);
    return (four[0] + four[2]) + (four[1] + four[3]);
}

INLINE double sumd8(vd8 v) {
    vd4 four = __builtin_shufflevector(v, v, 0, 1, 2, 3) + __builtin_shufflevector(v, v, 4, 5, 6, 7);
    return (four[0] + four[2]) + (four[1] + four[3]);
}

/// [a.low + a.high | b.low + b.high]: each vector's eight half sums.
INLINE vf16 halfSums(vf16 a, vf16 b) {
    vf16 low = __builtin_shufflevector(a, b, 0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23);
    vf16 high = __builtin_shufflevector(a, b, 8, 9, 10, 11, 12, 13, 14, 15, 24, 25, 26, 27, 28, 29, 30, 31);
    return low + high;
}

/// [a8 | b8] → [a4 | b4]: each run of eight summed into four.
INLINE vf8 quarterSums(vf16 x) {
    return __builtin_shufflevector(x, x, 0, 1, 2, 3, 8, 9, 10, 11) + __builtin_shufflevector(x, x, 4, 5, 6, 7, 12, 13, 14, 15);
}

/// [a4 | b4 | c4 | d4] → [a2 | b2 | c2 | d2]: each run of four's first pair plus its second.
INLINE vf8 eighthSums(vf16 x) {
    return __builtin_shufflevector(x, x, 0, 1, 4, 5, 8, 9, 12, 13) + __builtin_shufflevector(x, x, 2, 3, 6, 7, 10, 11, 14, 15);
}

/// The lane sums of eight vectors, reduced together by shuffles that serve two or four vectors
/// at once: at k = 64 eight separate reductions cost as much as the multiply-adds they end.
INLINE vf8 laneSums8(vf16 a0, vf16 a1, vf16 a2, vf16 a3, vf16 a4, vf16 a5, vf16 a6, vf16 a7) {
    vf8 q01 = quarterSums(halfSums(a0, a1)), q23 = quarterSums(halfSums(a2, a3));
    vf8 q45 = quarterSums(halfSums(a4, a5)), q67 = quarterSums(halfSums(a6, a7));
    vf16 fours0 = __builtin_shufflevector(q01, q23, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    vf16 fours1 = __builtin_shufflevector(q45, q67, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    vf8 t0 = eighthSums(fours0), t1 = eighthSums(fours1);
    vf16 twos = __builtin_shufflevector(t0, t1, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    return __builtin_shufflevector(twos, twos, 0, 2, 4, 6, 8, 10, 12, 14) + __builtin_shufflevector(twos, twos, 1, 3, 5, 7, 9, 11, 13, 15);
}

INLINE float KERNEL(dotFloat)(const float *a, const float *b, long n) {
    vf16 acc0 = {0}, acc1 = {0};
    long i = 0;
    for (; i + 32 <= n; i += 32) {
        acc0 = MADD(load16(a + i), load16(b + i), acc0);
        acc1 = MADD(load16(a + i + 16), load16(b + i + 16), acc1);
    }
    if (i + 16 <= n) {
        acc0 = MADD(load16(a + i), load16(b + i), acc0);
        i += 16;
    }
    float sum = sum16(acc0 + acc1);
    for (; i < n; i++) sum += a[i] * b[i];
    return sum;
}

static double KERNEL(dotDouble)(const double *a, const double *b, long n) {
    vd8 acc0 = {0}, acc1 = {0};
    long i = 0;
    for (; i + 16 <= n; i += 16) {
        acc0 = MADD(loadd8(a + i), loadd8(b + i), acc0);
        acc1 = MADD(loadd8(a + i + 8), loadd8(b + i + 8), acc1);
    }
    if (i + 8 <= n) {
        acc0 = MADD(loadd8(a + i), loadd8(b + i), acc0);
        i += 8;
    }
    double sum = sumd8(acc0 + acc1);
    for (; i < n; i++) sum += a[i] * b[i];
    return sum;
}

INLINE void KERNEL(axpyFloat)(float alpha, const float *x, float *y, long n) {
    vf16 a = splat16(alpha);
    long i = 0;
    for (; i + 16 <= n; i += 16) store16(y + i, MADD(a, load16(x + i), load16(y + i)));
    for (; i < n; i++) y[i] += alpha * x[i];
}

static void KERNEL(axpyDouble)(double alpha, const double *x, double *y, long n) {
    vd8 a = splatd8(alpha);
    long i = 0;
    for (; i + 8 <= n; i += 8) stored8(y + i, MADD(a, loadd8(x + i), loadd8(y + i)));
    for (; i < n; i++) y[i] += alpha * x[i];
}

/// q[p] = rows[p]·v for `count` rows of `length` values stored one after another. Eight rows at
/// a time when `length` is a multiple of 16: each slice of v is loaded once for the eight, eight
/// independent chains of multiply-adds keep both FMA pipes busy, and the eight sums are reduced
/// together: less than half the time of four rows with separate reductions at k = 64 with
/// AVX-512 (0.9 against 2.0 ns a row).
INLINE void KERNEL(rowDotsFloat)(const float *rows, long count, long length, const float *v, float *q) {
    long p = 0;
    if (length % 16 == 0) {
        for (; p + 8 <= count; p += 8) {
            vf16 a0 = {0}, a1 = {0}, a2 = {0}, a3 = {0}, a4 = {0}, a5 = {0}, a6 = {0}, a7 = {0};
            const float *base = rows + p * length;
            for (long j = 0; j < length; j += 16) {
                vf16 x = load16(v + j);
                a0 = MADD(load16(base + j), x, a0);
                a1 = MADD(load16(base + length + j), x, a1);
                a2 = MADD(load16(base + 2 * length + j), x, a2);
                a3 = MADD(load16(base + 3 * length + j), x, a3);
                a4 = MADD(load16(base + 4 * length + j), x, a4);
                a5 = MADD(load16(base + 5 * length + j), x, a5);
                a6 = MADD(load16(base + 6 * length + j), x, a6);
                a7 = MADD(load16(base + 7 * length + j), x, a7);
            }
            vf8 sums = laneSums8(a0, a1, a2, a3, a4, a5, a6, a7);
            memcpy(q + p, &sums, sizeof sums);
        }
        for (; p + 4 <= count; p += 4) {
            vf16 a0 = {0}, a1 = {0}, a2 = {0}, a3 = {0};
            const float *base = rows + p * length;
            for (long j = 0; j < length; j += 16) {
                vf16 x = load16(v + j);
                a0 = MADD(load16(base + j), x, a0);
                a1 = MADD(load16(base + length + j), x, a1);
                a2 = MADD(load16(base + 2 * length + j), x, a2);
                a3 = MADD(load16(base + 3 * length + j), x, a3);
            }
            q[p] = sum16(a0);
            q[p + 1] = sum16(a1);
            q[p + 2] = sum16(a2);
            q[p + 3] = sum16(a3);
        }
    }
    for (; p < count; p++) q[p] = KERNEL(dotFloat)(rows + p * length, v, length);
}

/// One score x·y as `scoreRows` computes every score: one chain of multiply-adds over the
/// 16-lane slices in order, the lanes summed as `sum16` does, then the last k mod 16 products one
/// by one. Each score's arithmetic is fixed, whatever block it is computed in.
INLINE float scoreOne(const float *x, const float *y, long k) {
    vf16 acc = {0};
    long j = 0;
    for (; j + 16 <= k; j += 16) acc = MADD(load16(y + j), load16(x + j), acc);
    float sum = sum16(acc);
    for (; j < k; j++) sum += x[j] * y[j];
    return sum;
}

INLINE float scoreTail(float sum, const float *x, const float *y, long k) {
    for (long j = k - k % 16; j < k; j++) sum += x[j] * y[j];
    return sum;
}

/// c[u·ldc + i] = x_u·y_i for m rows x (`lda` apart) and n rows y (`ldb` apart) of k values:
/// what SGEMM with B transposed computes, but every score with the same arithmetic as
/// `scoreOne`, whether it is one user's scores or a block of users' — SGEMM's order of summing
/// depends on the shape of the block and on which kernel OpenBLAS picks for it, so a user scored
/// alone and scored in a batch got different last digits and near-tied items changed places.
/// Two users by four items at a time (eight chains, six loads per eight multiply-adds), reduced
/// together by `laneSums8`, which sums each vector's lanes in `sum16`'s order.
static void KERNEL(scoreRows)(const float *a, long m, long lda, const float *b, long n, long ldb, long k, float *c, long ldc) {
    long u = 0;
    for (; u + 2 <= m; u += 2) {
        const float *x0 = a + u * lda, *x1 = x0 + lda;
        float *c0 = c + u * ldc, *c1 = c0 + ldc;
        long i = 0;
        for (; i + 4 <= n; i += 4) {
            const float *y0 = b + i * ldb, *y1 = y0 + ldb, *y2 = y1 + ldb, *y3 = y2 + ldb;
            vf16 a0 = {0}, a1 = {0}, a2 = {0}, a3 = {0}, a4 = {0}, a5 = {0}, a6 = {0}, a7 = {0};
            for (long j = 0; j + 16 <= k; j += 16) {
                vf16 u0 = load16(x0 + j), u1 = load16(x1 + j);
                vf16 v0 = load16(y0 + j), v1 = load16(y1 + j), v2 = load16(y2 + j), v3 = load16(y3 + j);
                a0 = MADD(v0, u0, a0);
                a1 = MADD(v1, u0, a1);
                a2 = MADD(v2, u0, a2);
                a3 = MADD(v3, u0, a3);
                a4 = MADD(v0, u1, a4);
                a5 = MADD(v1, u1, a5);
                a6 = MADD(v2, u1, a6);
                a7 = MADD(v3, u1, a7);
            }
            vf8 sums = laneSums8(a0, a1, a2, a3, a4, a5, a6, a7);
            c0[i] = scoreTail(sums[0], x0, y0, k);
            c0[i + 1] = scoreTail(sums[1], x0, y1, k);
            c0[i + 2] = scoreTail(sums[2], x0, y2, k);
            c0[i + 3] = scoreTail(sums[3], x0, y3, k);
            c1[i] = scoreTail(sums[4], x1, y0, k);
            c1[i + 1] = scoreTail(sums[5], x1, y1, k);
            c1[i + 2] = scoreTail(sums[6], x1, y2, k);
            c1[i + 3] = scoreTail(sums[7], x1, y3, k);
        }
        for (; i < n; i++) {
            c0[i] = scoreOne(x0, b + i * ldb, k);
            c1[i] = scoreOne(x1, b + i * ldb, k);
        }
    }
    for (; u < m; u++) {
        const float *x = a + u * lda;
        float *cu = c + u * ldc;
        long i = 0;
        for (; i + 8 <= n; i += 8) {
            const float *y = b + i * ldb;
            vf16 a0 = {0}, a1 = {0}, a2 = {0}, a3 = {0}, a4 = {0}, a5 = {0}, a6 = {0}, a7 = {0};
            for (long j = 0; j + 16 <= k; j += 16) {
                vf16 x16 = load16(x + j);
                a0 = MADD(load16(y + j), x16, a0);
                a1 = MADD(load16(y + ldb + j), x16, a1);
                a2 = MADD(load16(y + 2 * ldb + j), x16, a2);
                a3 = MADD(load16(y + 3 * ldb + j), x16, a3);
                a4 = MADD(load16(y + 4 * ldb + j), x16, a4);
                a5 = MADD(load16(y + 5 * ldb + j), x16, a5);
                a6 = MADD(load16(y + 6 * ldb + j), x16, a6);
                a7 = MADD(load16(y + 7 * ldb + j), x16, a7);
            }
            vf8 sums = laneSums8(a0, a1, a2, a3, a4, a5, a6, a7);
            for (long p = 0; p < 8; p++) cu[i + p] = scoreTail(sums[p], x, y + p * ldb, k);
        }
        for (; i < n; i++) cu[i] = scoreOne(x, b + i * ldb, k);
    }
}

/// The same for Double rows, four at a time when `length` is a multiple of 8.
static void KERNEL(rowDotsDouble)(const double *rows, long count, long length, const double *v, double *q) {
    long p = 0;
    if (length % 8 == 0) {
        for (; p + 4 <= count; p += 4) {
            vd8 a0 = {0}, a1 = {0}, a2 = {0}, a3 = {0};
            const double *base = rows + p * length;
            for (long j = 0; j < length; j += 8) {
                vd8 x = loadd8(v + j);
                a0 = MADD(loadd8(base + j), x, a0);
                a1 = MADD(loadd8(base + length + j), x, a1);
                a2 = MADD(loadd8(base + 2 * length + j), x, a2);
                a3 = MADD(loadd8(base + 3 * length + j), x, a3);
            }
            q[p] = sumd8(a0);
            q[p + 1] = sumd8(a1);
            q[p + 2] = sumd8(a2);
            q[p + 3] = sumd8(a3);
        }
    }
    for (; p < count; p++) q[p] = KERNEL(dotDouble)(rows + p * length, v, length);
}

/// out += Σ_p w[p]·rows[p] for `count` rows of `length` values stored one after another.
/// Sixty-four (else sixteen) columns at a time, with accumulators held in registers across all
/// rows, so `out` is loaded and stored once per block of columns rather than once per row (a
/// chain of store-to-load waits in a row-by-row axpy); for sixty-four columns, even and odd
/// rows have a set each, so that one row's multiply-adds need not wait on the last's. One
/// broadcast of a row's weight serves four vectors (k = 128 ran 5–8% faster than with one per
/// sixteen columns).
INLINE void KERNEL(accumulateRows)(const float *rows, long count, long length, const float *w, float *out) {
    long c = 0;
    for (; c + 64 <= length; c += 64) {
        vf16 a0 = {0}, a1 = {0}, a2 = {0}, a3 = {0}, b0 = {0}, b1 = {0}, b2 = {0}, b3 = {0};
        const float *row = rows + c;
        long p = 0;
        for (; p + 2 <= count; p += 2, row += 2 * length) {
            vf16 weight = splat16(w[p]), next = splat16(w[p + 1]);
            a0 = MADD(weight, load16(row), a0);
            a1 = MADD(weight, load16(row + 16), a1);
            a2 = MADD(weight, load16(row + 32), a2);
            a3 = MADD(weight, load16(row + 48), a3);
            b0 = MADD(next, load16(row + length), b0);
            b1 = MADD(next, load16(row + length + 16), b1);
            b2 = MADD(next, load16(row + length + 32), b2);
            b3 = MADD(next, load16(row + length + 48), b3);
        }
        if (p < count) {
            vf16 weight = splat16(w[p]);
            a0 = MADD(weight, load16(row), a0);
            a1 = MADD(weight, load16(row + 16), a1);
            a2 = MADD(weight, load16(row + 32), a2);
            a3 = MADD(weight, load16(row + 48), a3);
        }
        store16(out + c, load16(out + c) + (a0 + b0));
        store16(out + c + 16, load16(out + c + 16) + (a1 + b1));
        store16(out + c + 32, load16(out + c + 32) + (a2 + b2));
        store16(out + c + 48, load16(out + c + 48) + (a3 + b3));
    }
    for (; c + 16 <= length; c += 16) {
        vf16 a0 = {0}, a1 = {0}, a2 = {0}, a3 = {0};
        const float *row = rows + c;
        long p = 0;
        for (; p + 4 <= count; p += 4, row += 4 * length) {
            a0 = MADD(splat16(w[p]), load16(row), a0);
            a1 = MADD(splat16(w[p + 1]), load16(row + length), a1);
            a2 = MADD(splat16(w[p + 2]), load16(row + 2 * length), a2);
            a3 = MADD(splat16(w[p + 3]), load16(row + 3 * length), a3);
        }
        for (; p < count; p++, row += length) a0 = MADD(splat16(w[p]), load16(row), a0);
        store16(out + c, load16(out + c) + ((a0 + a1) + (a2 + a3)));
    }
    for (; c < length; c++) {
        float sum = 0;
        for (long p = 0; p < count; p++) sum += w[p] * rows[p * length + c];
        out[c] += sum;
    }
}

/// The dot products with `v` of the first `length` values of four Double rows `stride` apart,
/// sharing each load of v (the column step of a left-looking Cholesky).
INLINE void KERNEL(prefixDots4)(const double *rows, long stride, const double *v, long length, double *sums) {
    vd8 a0 = {0}, a1 = {0}, a2 = {0}, a3 = {0};
    long p = 0;
    for (; p + 8 <= length; p += 8) {
        vd8 x = loadd8(v + p);
        a0 = MADD(loadd8(rows + p), x, a0);
        a1 = MADD(loadd8(rows + stride + p), x, a1);
        a2 = MADD(loadd8(rows + 2 * stride + p), x, a2);
        a3 = MADD(loadd8(rows + 3 * stride + p), x, a3);
    }
    double s0 = sumd8(a0), s1 = sumd8(a1), s2 = sumd8(a2), s3 = sumd8(a3);
    for (; p < length; p++) {
        s0 += rows[p] * v[p];
        s1 += rows[stride + p] * v[p];
        s2 += rows[2 * stride + p] * v[p];
        s3 += rows[3 * stride + p] * v[p];
    }
    sums[0] = s0;
    sums[1] = s1;
    sums[2] = s2;
    sums[3] = s3;
}

/// r = b − (d + ridge)∘x − Σ_p w_p (y_p·x) y_p over `count` Float rows y_p of `length` values,
/// every product and sum in Double: the residual of a row's normal equations (G diagonal as d)
/// for a solution found in Float.
static void KERNEL(residual)(const double *b, const double *d, double ridge, const float *rows, const float *w,
                             long count, long length, const double *x, double *r) {
    for (long j = 0; j < length; j++) r[j] = b[j] - (d[j] + ridge) * x[j];
    long vectorized = length / 8 * 8;
    for (long p = 0; p < count; p++) {
        if (w[p] == 0) continue;
        const float *y = rows + p * length;
        vd8 acc = {0};
        long j = 0;
        for (; j < vectorized; j += 8) {
            vf8 yf;
            memcpy(&yf, y + j, sizeof yf);
            acc = MADD(__builtin_convertvector(yf, vd8), loadd8(x + j), acc);
        }
        double score = sumd8(acc);
        for (; j < length; j++) score += (double)y[j] * x[j];
        double scale = -(double)w[p] * score;
        vd8 weight = splatd8(scale);
        for (j = 0; j < vectorized; j += 8) {
            vf8 yf;
            memcpy(&yf, y + j, sizeof yf);
            stored8(r + j, MADD(weight, __builtin_convertvector(yf, vd8), loadd8(r + j)));
        }
        for (; j < length; j++) r[j] += scale * (double)y[j];
    }
}

/// Solves A x = b in place for a symmetric positive-definite n×n row-major A (only its lower
/// triangle is read; overwritten by its Cholesky factor) and b (overwritten by x). Returns 0 if
/// A is not positive definite. Left-looking, so every inner product runs along contiguous row
/// prefixes; each column below the diagonal four rows at a time, sharing the loads of row j.
/// For the small systems of NNLS and the Woodbury solve, where a LAPACK call costs more than the
/// work.
static int KERNEL(choleskySolve)(double *a, double *b, long n) {
    for (long j = 0; j < n; j++) {
        double *rowJ = a + j * n;
        double diagonal = rowJ[j] - KERNEL(dotDouble)(rowJ, rowJ, j);
        if (!(diagonal > 0) || diagonal > __DBL_MAX__) return 0;
        double pivot = __builtin_sqrt(diagonal), inverse = 1 / pivot;
        rowJ[j] = pivot;
        long i = j + 1;
        for (; i + 4 <= n; i += 4) {
            double dots[4];
            KERNEL(prefixDots4)(a + i * n, n, rowJ, j, dots);
            // Multiplying by 1/pivot: a division's latency on every entry was the cost here.
            for (long lane = 0; lane < 4; lane++) a[(i + lane) * n + j] = (a[(i + lane) * n + j] - dots[lane]) * inverse;
        }
        for (; i < n; i++) a[i * n + j] = (a[i * n + j] - KERNEL(dotDouble)(a + i * n, rowJ, j)) * inverse;
    }
    for (long i = 0; i < n; i++) b[i] = (b[i] - KERNEL(dotDouble)(a + i * n, b, i)) / a[i * n + i];
    // Lᵀ x = y, taking each solved x_i out of the rows above it along row i of L.
    for (long i = n - 1; i >= 0; i--) {
        b[i] /= a[i * n + i];
        KERNEL(axpyDouble)(-b[i], a + i * n, b, i);
    }
    return 1;
}

/// Solves eight independent symmetric positive-definite n×n systems at once, one per lane, in
/// `scratch` (n·n·8 + n·8 doubles) where element (i, j) of lane l sits at [(i·n + j)·8 + l]. Only
/// i ≥ j is read or written. Returns a bit per lane whose system is not numerically positive
/// definite (its solution is then not to be used).
INLINE int KERNEL(choleskyLanes)(double *a, double *b, long n) {
    int failed = 0;
    for (long j = 0; j < n; j++) {
        double *rowJ = a + j * n * 8;
        vd8 diagonal = loadd8(rowJ + j * 8);
        for (long p = 0; p < j; p++) {
            vd8 l = loadd8(rowJ + p * 8);
            diagonal = MADD(-l, l, diagonal);
        }
        // A lane that fails goes on with a pivot of 1, so the others are not held up by NaNs.
        vl8 good = (diagonal > splatd8(0)) & (diagonal <= splatd8(__DBL_MAX__));
        for (int lane = 0; lane < 8; lane++) if (!good[lane]) failed |= 1 << lane;
        diagonal = (vd8)(((vl8)diagonal & good) | ((vl8)splatd8(1) & ~good));
        diagonal = __builtin_elementwise_sqrt(diagonal);
        vd8 inverse = splatd8(1) / diagonal;
        stored8(rowJ + j * 8, diagonal);
        // Four rows at a time: four independent chains of multiply-adds, sharing row j's loads.
        long i = j + 1;
        for (; i + 4 <= n; i += 4) {
            double *r0 = a + i * n * 8, *r1 = r0 + n * 8, *r2 = r1 + n * 8, *r3 = r2 + n * 8;
            vd8 s0 = loadd8(r0 + j * 8), s1 = loadd8(r1 + j * 8), s2 = loadd8(r2 + j * 8), s3 = loadd8(r3 + j * 8);
            for (long p = 0; p < j; p++) {
                vd8 l = loadd8(rowJ + p * 8);
                s0 = MADD(-loadd8(r0 + p * 8), l, s0);
                s1 = MADD(-loadd8(r1 + p * 8), l, s1);
                s2 = MADD(-loadd8(r2 + p * 8), l, s2);
                s3 = MADD(-loadd8(r3 + p * 8), l, s3);
            }
            stored8(r0 + j * 8, s0 * inverse);
            stored8(r1 + j * 8, s1 * inverse);
            stored8(r2 + j * 8, s2 * inverse);
            stored8(r3 + j * 8, s3 * inverse);
        }
        for (; i < n; i++) {
            double *rowI = a + i * n * 8;
            vd8 sum = loadd8(rowI + j * 8);
            for (long p = 0; p < j; p++) sum = MADD(-loadd8(rowI + p * 8), loadd8(rowJ + p * 8), sum);
            stored8(rowI + j * 8, sum * inverse);
        }
    }
    // L y = b, then Lᵀ x = y.
    for (long i = 0; i < n; i++) {
        const double *rowI = a + i * n * 8;
        vd8 sum = loadd8(b + i * 8);
        for (long p = 0; p < i; p++) sum = MADD(-loadd8(rowI + p * 8), loadd8(b + p * 8), sum);
        stored8(b + i * 8, sum / loadd8(rowI + i * 8));
    }
    for (long i = n - 1; i >= 0; i--) {
        const double *rowI = a + i * n * 8;
        vd8 x = loadd8(b + i * 8) / loadd8(rowI + i * 8);
        stored8(b + i * 8, x);
        for (long p = 0; p < i; p++) stored8(b + p * 8, MADD(-x, loadd8(rowI + p * 8), loadd8(b + p * 8)));
    }
    return failed;
}

/// The subspace solver's block systems, eight rows at a time: lane l (l < count) solves
/// (G + W_l + ridges[l]·I) x = rhs_l, where G = `gram` (n×n Double, lower triangle read),
/// W_l = `weighted` + l·n·n (n×n Float, its upper triangle read) and rhs_l = `rhs` + l·n, which
/// the solution replaces. Returns a bit per lane that failed (see choleskyLanes). The systems
/// are small (16 to 128) and one alone is a chain of dependent square roots, divisions and short
/// dot products: eight side by side keep the vector units busy where one leaves them waiting.
static int KERNEL(choleskySolveLanes)(const double *gram, const float *weighted, const double *ridges, double *rhs, long count,
                                      double *scratch, long n) {
    double *a = scratch, *b = scratch + n * n * 8;
    vd8 ridge = splatd8(0), live = splatd8(0);
    for (long lane = 0; lane < 8; lane++) {
        ridge[lane] = lane < count ? ridges[lane] : 1;
        live[lane] = lane < count ? 1 : 0;
    }
    for (long i = 0; i < n; i++) {
        for (long j = 0; j <= i; j++) {
            vd8 w = splatd8(0);
            for (long lane = 0; lane < count; lane++) w[lane] = (double)weighted[lane * n * n + j * n + i];
            // A lane past `count` solves I x = 0.
            vd8 v = splatd8(gram[i * n + j]) * live + w;
            if (i == j) v += ridge;
            stored8(a + (i * n + j) * 8, v);
        }
        vd8 r = splatd8(0);
        for (long lane = 0; lane < count; lane++) r[lane] = rhs[lane * n + i];
        stored8(b + i * 8, r);
    }
    int failed = KERNEL(choleskyLanes)(a, b, n);
    for (long i = 0; i < n; i++) {
        vd8 x = loadd8(b + i * 8);
        for (long lane = 0; lane < count; lane++) rhs[lane * n + i] = x[lane];
    }
    return failed;
}

/// The subspace solver's gather for one row and one block of `width` dimensions starting at
/// `first`: adds Σ_p (c_p·pref_p − c1_p·score_p) y_p,B to `residual` (Double) — c = 1 + c1,
/// pref = [value > 0] — and writes √c1_p·y_p,B of each vector with c1 > 0 to `gathered` (Float,
/// `width` apart). The vectors are rows `columns` of `source` (`rowBytes` apart), requested a
/// few ahead. Returns how many were gathered.
static long KERNEL(subspaceGather)(const char *source, long rowBytes, long first, long width, const uint32_t *columns, long n,
                                   const float *values, const float *c1, const double *scores, double *residual, float *gathered) {
    long weighted = 0;
    for (long p = 0; p < n; p++) {
        if (p + 6 < n) __builtin_prefetch(source + (long)columns[p + 6] * rowBytes + first * 4, 0, 2);
        const float *y = (const float *)(source + (long)columns[p] * rowBytes) + first;
        double confidence = c1[p], preference = values[p] > 0 ? 1 : 0;
        double coefficient = (1 + confidence) * preference - confidence * scores[p];
        vd8 weight = splatd8(coefficient);
        long i = 0;
        for (; i + 8 <= width; i += 8) {
            vf8 yf;
            memcpy(&yf, y + i, sizeof yf);
            stored8(residual + i, MADD(weight, __builtin_convertvector(yf, vd8), loadd8(residual + i)));
        }
        for (; i < width; i++) residual[i] += coefficient * (double)y[i];
        if (!(confidence > 0)) continue;
        float root = (float)__builtin_sqrt(confidence);
        float *out = gathered + weighted * width;
        for (i = 0; i < width; i++) out[i] = root * y[i];
        weighted++;
    }
    return weighted;
}

/// The subspace solver's update after a block step δ (`width` Double values from `first`):
/// score_p += y_p,B·δ for each of the row's `n` vectors (rows `columns` of `source`).
static void KERNEL(subspaceApply)(const char *source, long rowBytes, long first, long width, const uint32_t *columns, long n,
                                  const double *delta, double *scores) {
    for (long p = 0; p < n; p++) {
        const float *y = (const float *)(source + (long)columns[p] * rowBytes) + first;
        vd8 acc = splatd8(0);
        long i = 0;
        for (; i + 8 <= width; i += 8) {
            vf8 yf;
            memcpy(&yf, y + i, sizeof yf);
            acc = MADD(__builtin_convertvector(yf, vd8), loadd8(delta + i), acc);
        }
        double change = sumd8(acc);
        for (; i < width; i++) change += (double)y[i] * delta[i];
        scores[p] += change;
    }
}

/// b = Σ_{values[p] > 0} (1 + c1[p]) y_p in Double over a row's `n` packed vectors (k values
/// each): the right-hand side of its normal equations. Returns how many have c1 > 0.
static long KERNEL(rightHandSide)(long k, long n, const float *packed, const float *c1, const float *values, double *b) {
    long weighted = 0;
    for (long j = 0; j < k; j++) b[j] = 0;
    for (long p = 0; p < n; p++) {
        if (c1[p] > 0) weighted++;
        if (!(values[p] > 0)) continue;
        double weight = 1 + (double)c1[p];
        const float *y = packed + p * k;
        for (long j = 0; j < k; j++) b[j] += weight * (double)y[j];
    }
    return weighted;
}

/// Σ_p [(1 + c1[p]) (t_p − s_p)² − s_p²] over a row's `n` observations, s_p = scores[p] and
/// t_p = 1 where values[p] > 0, else 0: the observed part of its objective (see
/// NormalEquations.objectiveTerm), in Double; `*positives` is how many values are > 0. Eight
/// lanes, summed as `sumd8` does, then the last n mod 8 one by one; no fused multiply-adds, so
/// every set gives the same bits. As a Swift loop it was one chain of Double adds, 4% of a
/// half-step over rows of a hundred vectors.
static double KERNEL(observedObjective)(long n, const float *values, const float *scores, const float *c1, long *positives) {
    typedef int vi8 __attribute__((vector_size(32)));
    vd8 sum = splatd8(0);
    vi8 counts = {0};
    long p = 0;
    for (; p + 8 <= n; p += 8) {
        vf8 r, s, c;
        memcpy(&r, values + p, sizeof r);
        memcpy(&s, scores + p, sizeof s);
        memcpy(&c, c1 + p, sizeof c);
        vi8 positive = -(r > 0);
        vd8 score = __builtin_convertvector(s, vd8), confidence = __builtin_convertvector(c, vd8) + 1;
        vd8 miss = __builtin_convertvector(positive, vd8) - score;
        sum += confidence * miss * miss - score * score;
        counts += positive;
    }
    double total = sumd8(sum);
    long count = 0;
    for (int lane = 0; lane < 8; lane++) count += counts[lane];
    for (; p < n; p++) {
        double score = scores[p], confidence = 1 + (double)c1[p], miss = (values[p] > 0 ? 1 : 0) - score;
        if (values[p] > 0) count++;
        total += confidence * miss * miss - score * score;
    }
    *positives = count;
    return total;
}

/// The Woodbury solve of a short row (see EncoreWoodbury) into `solution`:
/// (M + Vᵀ C V)⁻¹ b = z − D Vᵀ (C⁻¹ + V D Vᵀ)⁻¹ V z with M = Λ + λs I, D = M⁻¹, z = D b — an m×m
/// Cholesky over the row's m vectors with c1 > 0. Returns 0 when the m×m system is not
/// numerically positive definite. By hand rather than by BLAS: at m < k these are a few thousand
/// multiply-adds each, and a library call's fixed cost (packing, and a lock the threads contend
/// for) is as large.
static int KERNEL(woodburySolve)(const EncoreWoodbury *w) {
    long k = w->k, m = 0;
    const double *rootD = w->rootInverseDiagonal;
    // W = V D^½, so that V D Vᵀ = W Wᵀ.
    for (long p = 0; p < w->n; p++) {
        if (!(w->c1[p] > 0)) continue;
        const float *y = w->packed + p * k;
        double *row = w->rows + m * k;
        for (long j = 0; j < k; j++) row[j] = (double)y[j] * rootD[j];
        w->inverseConfidence[m] = 1 / (double)w->c1[p];
        m++;
    }
    // z = D b into the solution; V z = W (D^½ b) into the m-vector.
    for (long j = 0; j < k; j++) {
        w->solution[j] = w->inverseDiagonal[j] * w->b[j];
        w->scratch[j] = rootD[j] * w->b[j];
    }
    for (long i = 0; i < m; i++) w->rhs[i] = KERNEL(dotDouble)(w->rows + i * k, w->scratch, k);
    // The lower triangle of W Wᵀ + C⁻¹, row by row.
    for (long i = 0; i < m; i++) {
        KERNEL(rowDotsDouble)(w->rows, i + 1, k, w->rows + i * k, w->matrix + i * m);
        w->matrix[i * m + i] += w->inverseConfidence[i];
    }
    if (!KERNEL(choleskySolve)(w->matrix, w->rhs, m)) return 0;
    for (long j = 0; j < k; j++) w->scratch[j] = 0;
    for (long i = 0; i < m; i++) KERNEL(axpyDouble)(w->rhs[i], w->rows + i * k, w->scratch, k);
    for (long j = 0; j < k; j++) w->solution[j] -= rootD[j] * w->scratch[j];
    return 1;
}

/// Up to 64 columns (16, 32, 48 or 64: `width`) of output rows, in four registers each.
typedef struct { vf16 v0, v1, v2, v3; } Accumulator;

INLINE void accumulate(Accumulator *a, float weight, const float *m, long width) {
    vf16 w = splat16(weight);
    a->v0 = MADD(w, load16(m), a->v0);
    if (width > 16) a->v1 = MADD(w, load16(m + 16), a->v1);
    if (width > 32) a->v2 = MADD(w, load16(m + 32), a->v2);
    if (width > 48) a->v3 = MADD(w, load16(m + 48), a->v3);
}

INLINE void storeAccumulator(const Accumulator *a, float *out, long width) {
    store16(out, a->v0);
    if (width > 16) store16(out + 16, a->v1);
    if (width > 32) store16(out + 32, a->v2);
    if (width > 48) store16(out + 48, a->v3);
}

/// output row r = input row r · M for `count` rows of `stride` floats; M is k rows of `stride`
/// floats, zero past column k. Four rows at a time share each loaded row of M, and their sixteen
/// accumulators (64 columns each) stay in registers for the whole sum: for 359,000 rows × 64
/// times 64 × 64 on one core of an AVX-512 machine, 14 ms against 32–36 ms for OpenBLAS's SGEMM
/// in blocks of 1,024 rows. With AVX2, where the accumulators do not fit in registers, it runs
/// about as fast as SGEMM.
static void KERNEL(transformRows)(const float *m, long k, long stride, const float *input, float *output, long count) {
    for (long column = 0; column < stride; column += 64) {
        long width = stride - column < 64 ? stride - column : 64;
        long r = 0;
        for (; r + 4 <= count; r += 4) {
            Accumulator a = {{0}}, b = {{0}}, c = {{0}}, d = {{0}};
            const float *row = input + r * stride;
            for (long p = 0; p < k; p++) {
                const float *mp = m + p * stride + column;
                accumulate(&a, row[p], mp, width);
                accumulate(&b, row[stride + p], mp, width);
                accumulate(&c, row[2 * stride + p], mp, width);
                accumulate(&d, row[3 * stride + p], mp, width);
            }
            float *out = output + r * stride + column;
            storeAccumulator(&a, out, width);
            storeAccumulator(&b, out + stride, width);
            storeAccumulator(&c, out + 2 * stride, width);
            storeAccumulator(&d, out + 3 * stride, width);
        }
        for (; r < count; r++) {
            Accumulator a = {{0}};
            const float *row = input + r * stride;
            for (long p = 0; p < k; p++) accumulate(&a, row[p], m + p * stride + column, width);
            storeAccumulator(&a, output + r * stride + column, width);
        }
    }
}

/// How many rows ahead a gather asks for the row it will copy.
enum { PREFETCH_DISTANCE = 8 };

INLINE void prefetchRow(const char *row, long bytes) {
    for (long offset = 0; offset < bytes; offset += 64) __builtin_prefetch(row + offset, 0, 3);
}

/// Copies one row of k floats (k a multiple of 16) from `from` to `to` and returns its products
/// with x as sixteen lanes, summed as `dotFloat` sums them before its lane sum: two chains, the
/// odd slices and the even, then added.
INLINE vf16 copyAndMultiply(const float *from, float *to, const float *x, long k) {
    vf16 acc0 = {0}, acc1 = {0};
    long i = 0;
    for (; i + 32 <= k; i += 32) {
        vf16 a = load16(from + i), b = load16(from + i + 16);
        store16(to + i, a);
        store16(to + i + 16, b);
        acc0 = MADD(a, load16(x + i), acc0);
        acc1 = MADD(b, load16(x + i + 16), acc1);
    }
    if (i + 16 <= k) {
        vf16 a = load16(from + i);
        store16(to + i, a);
        acc0 = MADD(a, load16(x + i), acc0);
    }
    return acc0 + acc1;
}

/// Copies rows `columns[first..<end]` (k floats each, `rowBytes` apart in `source`) one after
/// another into `packed` (row p at packed + p·k), asking for each row a few rows ahead, since
/// the order is random to the hardware prefetcher; the asking runs on up to row `total`, so a
/// row copied block by block keeps its requests going across the blocks. With `x`, also writes
/// each row's dot product with x into `score[p]`, computed from the registers the copy passes
/// through while the gather waits on memory. With `confidences`, copies them to
/// `packedConfidences` on the way (a separate memmove per row cost 2% of a CG iteration in calls
/// alone).
INLINE void packRange(const char *source, long rowBytes, long k, const uint32_t *columns, long first, long end, long total,
                      float *packed, const float *x, float *score, const float *confidences, float *packedConfidences) {
    long bytes = k * 4;
    if (first == 0) {
        for (long p = 0; p < total && p < PREFETCH_DISTANCE; p++) prefetchRow(source + columns[p] * rowBytes, bytes);
    }
    long p = first;
    if (x && k % 16 == 0) {
        // Eight rows' lane sums reduced together (`laneSums8`, which sums in `sum16`'s order: the
        // same bits). One reduction per row is a chain of five dependent shuffles and adds; in a
        // profile of this pass, half its samples sat on them. A CG iteration at k = 64 took 0.973
        // (long rows) and 0.955 (reference workload) of the time with one reduction per row.
        for (; p + 8 <= end; p += 8) {
            vf16 lanes[8];
            for (int r = 0; r < 8; r++) {
                if (p + r + PREFETCH_DISTANCE < total) prefetchRow(source + columns[p + r + PREFETCH_DISTANCE] * rowBytes, bytes);
                if (confidences) packedConfidences[p + r] = confidences[p + r];
                lanes[r] = copyAndMultiply((const float *)(source + columns[p + r] * rowBytes), packed + (p + r) * k, x, k);
            }
            vf8 sums = laneSums8(lanes[0], lanes[1], lanes[2], lanes[3], lanes[4], lanes[5], lanes[6], lanes[7]);
            memcpy(score + p, &sums, sizeof sums);
        }
    }
    for (; p < end; p++) {
        if (p + PREFETCH_DISTANCE < total) prefetchRow(source + columns[p + PREFETCH_DISTANCE] * rowBytes, bytes);
        const float *from = (const float *)(source + columns[p] * rowBytes);
        float *to = packed + p * k;
        if (confidences) packedConfidences[p] = confidences[p];
        long i = 0;
        if (x) {
            long whole = k / 16 * 16;
            float sum = sum16(copyAndMultiply(from, to, x, whole));
            for (i = whole; i < k; i++) {
                to[i] = from[i];
                sum += from[i] * x[i];
            }
            score[p] = sum;
        } else {
            for (; i + 16 <= k; i += 16) store16(to + i, load16(from + i));
            for (; i < k; i++) to[i] = from[i];
        }
    }
}

/// `packRange` over the whole of `columns` (n rows).
static void KERNEL(packRows)(const char *source, long rowBytes, long k, const uint32_t *columns, long n, float *packed,
                             const float *x, float *score, const float *confidences, float *packedConfidences) {
    packRange(source, rowBytes, k, columns, 0, n, n, packed, x, score, confidences, packedConfidences);
}

/// Packed vectors per block of a CG product: a block (8 KiB at k = 64) stays in L1 between a
/// product's two passes, and the next row's vectors are requested a slice per block, spread over
/// the arithmetic. 32 ran 3% faster than 16 at k = 64; 64 was no better than 16.
enum { PASS_BLOCK = 32 };

/// Asks for up to `count` more of the next row's vectors, into L2 so as not to push the current
/// row's out of L1.
INLINE void requestUpcoming(EncoreCGRow *row, long count) {
    long end = row->upcomingRequested + count;
    if (end > row->upcomingCount) end = row->upcomingCount;
    for (long p = row->upcomingRequested; p < end; p++) {
        const char *start = row->source + row->upcoming[p] * row->rowBytes;
        for (long offset = 0; offset < row->lineBytes; offset += 64) __builtin_prefetch(start + offset, 0, 2);
    }
    if (end > row->upcomingRequested) row->upcomingRequested = end;
}

/// out = (G + ridge·I) v. The diagonal case sixteen lanes at a time by hand: left to the
/// compiler it stayed a scalar loop (it cannot rule out `out` overlapping G), 5% of a CG
/// half-step over rows of a hundred vectors.
INLINE void gramMultiply(const EncoreCGRow *row, const float *v, float *out, long k) {
    if (row->gramIsDiagonal) {
        const float *gram = row->gram;
        float ridge = row->ridge;
        vf16 ridges = splat16(ridge);
        long i = 0;
        for (; i + 16 <= k; i += 16) store16(out + i, (load16(gram + i) + ridges) * load16(v + i));
        for (; i < k; i++) out[i] = (gram[i] + ridge) * v[i];
    } else {
        for (long i = 0; i < k; i++) out[i] = row->ridge * v[i];
        KERNEL(accumulateRows)(row->gram, k, k, v, out);
    }
}

/// The vectors of entries start..<start + count of a CG row: in the packed row, or gathered
/// from the source into the row's block buffer when the row was not packed.
INLINE const float *blockRows(const EncoreCGRow *row, long start, long count, long k) {
    if (row->packed) return row->packed + start * k;
    KERNEL(packRows)(row->source, row->rowBytes, k, row->columns + start, count, row->gathered, 0, 0, 0, 0);
    return row->gathered;
}

/// `steps` CG steps on one row's system (see EncoreCGRow), products taken with the packed
/// vectors. Each product is two passes — every vector's dot product, then one weighted sum of the
/// vectors — so no vector waits on the one before it; in blocks that stay in L1 between the two,
/// so a long row (a popular item's listeners) is streamed from memory once per product, not
/// twice. The last step needs A d only for dᵀA d = dᵀ(G + λs I)d + Σ c1 (y·d)², so its pass
/// summing the weighted vectors is skipped. The residual's pass also packs the row (when it is
/// not streamed), a block at a time, and sums each block into r while it is still in L1 (one pass
/// over the row fewer; the arithmetic is the same as packing first). That took 5% off a CG
/// iteration at k = 128, on the reference workload and on a log of long rows alike, and made no
/// difference at k = 64 (alternating runs).
INLINE void conjugateGradientSteps(EncoreCGRow *row, float *x, long k) {
    long n = row->n, steps = row->steps;
    const float *c1 = row->c1, *values = row->values;
    float *scores = row->score, *q = row->q, *w = row->w, *r = row->r, *d = row->d, *ap = row->ap;
    // A row packed by the first pass has its own vectors to fetch there: the next row's wait.
    int packing = row->packed != 0;
    long blocks = (n + PASS_BLOCK - 1) / PASS_BLOCK, passes = blocks * (packing ? steps : steps + 1);
    long slice = passes > 0 ? (row->upcomingCount - row->upcomingRequested + passes - 1) / passes : 0;
    // r = b − A x = Σ_{r>0} c y − (G + λs I) x − Σ c1 (y·x) y, the dot products from the gather.
    gramMultiply(row, x, r, k);
    for (long i = 0; i < k; i++) r[i] = -r[i];
    for (long start = 0; start < n; start += PASS_BLOCK) {
        long count = n - start < PASS_BLOCK ? n - start : PASS_BLOCK;
        if (packing) {
            packRange(row->source, row->rowBytes, k, row->columns, start, start + count, n, row->packed, x, scores,
                      row->givenC1, row->c1);
        }
        for (long p = start; p < start + count; p++) {
            float target = values[p] > 0 ? 1 + c1[p] : 0;
            w[p] = target - c1[p] * scores[p];
        }
        KERNEL(accumulateRows)(blockRows(row, start, count, k), count, k, w + start, r);
        if (!packing) requestUpcoming(row, slice);
    }
    for (long i = 0; i < k; i++) d[i] = r[i];
    float rsOld = KERNEL(dotFloat)(r, r, k);
    if (rsOld < 1e-20f) return;
    for (long iteration = 0; iteration < steps; iteration++) {
        int last = iteration == steps - 1;
        gramMultiply(row, d, ap, k);
        float curvature = last ? KERNEL(dotFloat)(d, ap, k) : 0;
        for (long start = 0; start < n; start += PASS_BLOCK) {
            long count = n - start < PASS_BLOCK ? n - start : PASS_BLOCK;
            const float *rows = blockRows(row, start, count, k);
            KERNEL(rowDotsFloat)(rows, count, k, d, q + start);
            if (last) {
                for (long p = start; p < start + count; p++) curvature += c1[p] * q[p] * q[p];
            } else {
                for (long p = start; p < start + count; p++) w[p] = c1[p] * q[p];
                KERNEL(accumulateRows)(rows, count, k, w + start, ap);
            }
            requestUpcoming(row, slice);
        }
        if (!last) curvature = KERNEL(dotFloat)(d, ap, k);
        if (!(curvature > 0)) break;
        float step = rsOld / curvature;
        KERNEL(axpyFloat)(step, d, x, k);
        KERNEL(axpyFloat)(step, q, scores, n);
        if (last) break;
        KERNEL(axpyFloat)(-step, ap, r, k);
        float rsNew = KERNEL(dotFloat)(r, r, k);
        if (rsNew < 1e-20f) break;
        float beta = rsNew / rsOld;
        for (long i = 0; i < k; i++) d[i] = r[i] + beta * d[i];
        rsOld = rsNew;
    }
}

/// The CG steps, then whatever of the next row's vectors is still to be asked for. The steps are
/// compiled for k = 64 and k = 128 as constants, and for any k: with k known, every loop over k
/// in them (the row dots, weighted sums and updates, all inlined) unrolls. Same arithmetic;
/// with the hand-vectorised Gram product and the objective kernel, 0.90 and 0.87 of the time
/// of a CG iteration at k = 64 on the long-row log and the reference workload.
static void KERNEL(conjugateGradient)(EncoreCGRow *row, float *x) {
    switch (row->k) {
    case 64: conjugateGradientSteps(row, x, 64); break;
    case 128: conjugateGradientSteps(row, x, 128); break;
    default: conjugateGradientSteps(row, x, row->k);
    }
    requestUpcoming(row, row->upcomingCount);
}

const EncoreKernels KERNEL(encoreKernels) = {
    .name = KERNEL_SET_NAME,
    .dotFloat = KERNEL(dotFloat),
    .axpyFloat = KERNEL(axpyFloat),
    .rowDotsFloat = KERNEL(rowDotsFloat),
    .scoreRows = KERNEL(scoreRows),
    .accumulateRows = KERNEL(accumulateRows),
    .residual = KERNEL(residual),
    .transformRows = KERNEL(transformRows),
    .packRows = KERNEL(packRows),
    .choleskySolve = KERNEL(choleskySolve),
    .choleskySolveLanes = KERNEL(choleskySolveLanes),
    .subspaceGather = KERNEL(subspaceGather),
    .subspaceApply = KERNEL(subspaceApply),
    .rightHandSide = KERNEL(rightHandSide),
    .observedObjective = KERNEL(observedObjective),
    .woodburySolve = KERNEL(woodburySolve),
    .conjugateGradient = KERNEL(conjugateGradient),
};
