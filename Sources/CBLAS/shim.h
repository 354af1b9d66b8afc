// OpenBLAS's CBLAS header, plus the LAPACK routines Encore calls. OpenBLAS exports LAPACK with
// Fortran linkage but Debian ships no C header for it, so its prototypes are declared here.
#include <cblas.h>

/// Solves A X = B for symmetric positive-definite A (column-major, Fortran calling convention).
void dposv_(const char *uplo, const int *n, const int *nrhs, double *a, const int *lda,
            double *b, const int *ldb, int *info);

/// The Cholesky factor of a symmetric positive-definite Float matrix, in place, and solves
/// with it (column-major, Fortran calling convention).
void spotrf_(const char *uplo, const int *n, float *a, const int *lda, int *info);
void spotrs_(const char *uplo, const int *n, const int *nrhs, const float *a, const int *lda,
             float *b, const int *ldb, int *info);

/// Eigenvalues (ascending, into w) and, with jobz "V", eigenvectors (into the columns of a) of a
/// symmetric matrix (column-major, Fortran calling convention). lwork -1 asks for the work size.
void dsyev_(const char *jobz, const char *uplo, const int *n, double *a, const int *lda, double *w,
            double *work, const int *lwork, int *info);
