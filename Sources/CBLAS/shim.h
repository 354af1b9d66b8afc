// OpenBLAS's CBLAS header, plus the LAPACK routines Encore calls. OpenBLAS exports LAPACK with
// Fortran linkage but Debian ships no C header for it, so the two prototypes are declared here.
#include <cblas.h>

/// Solves A X = B for symmetric positive-definite A (column-major, Fortran calling convention).
void dposv_(const char *uplo, const int *n, const int *nrhs, double *a, const int *lda,
            double *b, const int *ldb, int *info);
