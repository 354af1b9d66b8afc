// The LAPACK routines of a dense symmetric positive-definite inverse (EASE's), declared apart
// from shim.h so that the solver's prototypes and these change independently. Fortran calling
// convention, column-major.

/// The Cholesky factor of a symmetric positive-definite Double matrix, in place.
void dpotrf_(const char *uplo, const int *n, double *a, const int *lda, int *info);

/// The inverse of a symmetric positive-definite matrix from its Cholesky factor (potrf's
/// output), in place; only the `uplo` triangle is written.
void dpotri_(const char *uplo, const int *n, double *a, const int *lda, int *info);
void spotri_(const char *uplo, const int *n, float *a, const int *lda, int *info);
