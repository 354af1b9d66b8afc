// Open MPI's C interface (Debian libopenmpi-dev). MPI_COMM_WORLD, the datatypes and the
// reduction operations are macros over addresses of global objects, which Swift cannot import,
// so each is wrapped in an inline function here.
#include <mpi.h>

static inline MPI_Comm encore_mpi_comm_world(void) { return MPI_COMM_WORLD; }
static inline MPI_Datatype encore_mpi_byte(void) { return MPI_BYTE; }
static inline MPI_Datatype encore_mpi_double(void) { return MPI_DOUBLE; }
static inline MPI_Datatype encore_mpi_int64(void) { return MPI_INT64_T; }
static inline MPI_Op encore_mpi_sum(void) { return MPI_SUM; }
static inline MPI_Op encore_mpi_max(void) { return MPI_MAX; }
