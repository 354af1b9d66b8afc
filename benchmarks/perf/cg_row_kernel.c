// The CG row kernel alone (`encore_conjugate_gradient`, the set this CPU runs), one thread, on
// synthetic rows: what a row of n entries costs without the Swift around it, and how that
// changes with the size of the other side's factor matrix (in L1, L2, L3 or memory) and the
// number of CG steps. Rows ask for the next row's vectors as training does (NO_UPCOMING=1: not).
// Prints the best of ten passes over 20,000 rows.
//
//   S=Sources/CEncoreKernels
//   clang -O2 -I$S -I$S/include benchmarks/perf/cg_row_kernel.c $S/Dispatch.c $S/Kernels*.c \
//       $S/Machine.c -o /tmp/cg_row_kernel -lm
//   /tmp/cg_row_kernel OTHER_SIDE_ROWS N STEPS [K]     # e.g. 20000 100 3: 5 MB at k = 64
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include "EncoreKernels.h"

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

static float *floats(long count) { return aligned_alloc(64, ((count * 4 + 63) / 64) * 64); }

int main(int argc, char **argv) {
    if (argc < 4) {
        fprintf(stderr, "usage: cg_row_kernel OTHER_SIDE_ROWS N STEPS [K]\n");
        return 2;
    }
    long sourceRows = atol(argv[1]), n = atol(argv[2]), steps = atol(argv[3]), k = argc > 4 ? atol(argv[4]) : 64;
    long rows = 20000, passes = 10, stride = (k + 15) / 16 * 16;
    int upcoming = getenv("NO_UPCOMING") == 0;
    unsigned s = 1;
    float *source = floats(sourceRows * stride);
    for (long i = 0; i < sourceRows * stride; i++) {
        s = s * 1664525u + 1013904223u;
        source[i] = ((s >> 8) / 16777216.0f - 0.5f) * 0.2f;
    }
    uint32_t *columns = malloc(rows * n * 4);
    float *values = floats(rows * n), *c1 = floats(rows * n);
    for (long i = 0; i < rows * n; i++) {
        s = s * 1664525u + 1013904223u;
        columns[i] = (s >> 4) % sourceRows;
        values[i] = 1 + (s & 7);
        c1[i] = 0.5f + (s & 15) * 0.3f;
    }
    float *packed = floats(n * stride), *packedC1 = floats(n), *score = floats(n), *q = floats(n), *w = floats(n);
    float *r = floats(k), *d = floats(k), *ap = floats(k), *gram = floats(k), *gathered = floats(32 * stride);
    float *x = floats(rows * k);
    for (long i = 0; i < k; i++) gram[i] = 1 + i * 0.1f;
    for (long i = 0; i < rows * k; i++) x[i] = 0.01f * (i % 13);
    double best = 1e30;
    for (long pass = 0; pass < passes; pass++) {
        double start = now();
        for (long row = 0; row < rows; row++) {
            int next = upcoming && row + 1 < rows;
            EncoreCGRow cg = {.k = k, .n = n, .steps = steps, .packed = packed, .c1 = packedC1, .values = values + row * n,
                              .score = score, .q = q, .w = w, .r = r, .d = d, .ap = ap, .gram = gram, .gramIsDiagonal = 1,
                              .ridge = 0.1f, .source = (const char *)source, .rowBytes = stride * 4, .lineBytes = k * 4,
                              .upcoming = next ? columns + (row + 1) * n : 0, .upcomingCount = next ? n : 0,
                              .columns = columns + row * n, .gathered = gathered, .givenC1 = c1 + row * n};
            encore_conjugate_gradient(&cg, x + row * k);
        }
        double seconds = now() - start;
        if (seconds < best) best = seconds;
    }
    printf("kernels %s, k %ld, other side %ld rows (%.1f MB), rows of %ld, %ld steps%s: %.2f ns an entry, %.0f ns a row\n",
           encore_kernels()->name, k, sourceRows, sourceRows * stride * 4 / 1e6, n, steps, upcoming ? "" : ", no upcoming requests",
           best * 1e9 / (rows * n), best * 1e9 / rows);
    return 0;
}
