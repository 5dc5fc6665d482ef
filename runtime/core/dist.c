/* Data-parallel communication (nn/dist.h): MPI when built with it (NN_WITH_MPI) and launched by
 * mpirun, one rank otherwise. Large vectors go in pieces of at most INT_MAX / 2 elements, since
 * MPI counts are ints. */
#include "nn/dist.h"
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#ifdef NN_WITH_MPI
#include <mpi.h>
#endif

#define PIECE ((size_t)INT_MAX / 2)

static int started, rank, size = 1, local_size = 1;
static double bytes, seconds;

#ifdef NN_WITH_MPI
static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}
#endif

/* Launched by mpirun (Open MPI) or another PMI/PMIx launcher? */
static int launched_by_mpirun(void)
{
    static const char *const vars[] = {"OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_SIZE", NULL};
    for (int i = 0; vars[i]; i++)
        if (getenv(vars[i])) return 1;
    return 0;
}

int nn_dist_init(int *argc, char ***argv, char *err, size_t errlen)
{
#ifdef NN_WITH_MPI
    if (!launched_by_mpirun() || started) return 0;
    int provided = 0;
    if (MPI_Init_thread(argc, argv, MPI_THREAD_FUNNELED, &provided) != MPI_SUCCESS) {
        snprintf(err, errlen, "MPI did not start (MPI_Init_thread failed)");
        return -1;
    }
    started = 1;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    MPI_Comm local;
    MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, rank, MPI_INFO_NULL, &local);
    MPI_Comm_size(local, &local_size);
    MPI_Comm_free(&local);
    return 0;
#else
    (void)argc, (void)argv;
    if (launched_by_mpirun() && getenv("OMPI_COMM_WORLD_SIZE") && atoi(getenv("OMPI_COMM_WORLD_SIZE")) > 1) {
        snprintf(err, errlen, "launched by mpirun on %s ranks, but this nnrun was built without MPI "
                              "(install libopenmpi-dev and rebuild: make clean && make)", getenv("OMPI_COMM_WORLD_SIZE"));
        return -1;
    }
    return 0;
#endif
}

void nn_dist_finalize(void)
{
#ifdef NN_WITH_MPI
    if (started) MPI_Finalize();
#endif
    started = 0;
}

void nn_dist_abort(int code)
{
#ifdef NN_WITH_MPI
    if (started && size > 1) MPI_Abort(MPI_COMM_WORLD, code);
#endif
    exit(code);
}

int nn_dist_rank(void) { return rank; }
int nn_dist_size(void) { return size; }
int nn_dist_local_size(void) { return local_size; }

const char *nn_dist_description(void)
{
    static char text[48];
    if (size == 1) return "one process";
    snprintf(text, sizeof text, "MPI, %d ranks", size);
    return text;
}

double nn_dist_bytes(void) { return bytes; }
double nn_dist_seconds(void) { return seconds; }

#ifdef NN_WITH_MPI
static void sum_in_place(void *v, size_t n, MPI_Datatype type, size_t elem)
{
    double t0 = now();
    for (size_t at = 0; at < n; at += PIECE) {
        size_t k = n - at < PIECE ? n - at : PIECE;
        MPI_Allreduce(MPI_IN_PLACE, (char *)v + at * elem, (int)k, type, MPI_SUM, MPI_COMM_WORLD);
    }
    seconds += now() - t0;
    bytes += (double)n * elem;
}
#endif

void nn_dist_sum_floats(float *v, size_t n)
{
#ifdef NN_WITH_MPI
    if (size > 1) sum_in_place(v, n, MPI_FLOAT, sizeof *v);
#else
    (void)v, (void)n;
#endif
}

void nn_dist_sum_doubles(double *v, size_t n)
{
#ifdef NN_WITH_MPI
    if (size > 1) sum_in_place(v, n, MPI_DOUBLE, sizeof *v);
#else
    (void)v, (void)n;
#endif
}

static long reduce_long(long v, int largest)
{
#ifdef NN_WITH_MPI
    if (size > 1) {
        double t0 = now();
        MPI_Allreduce(MPI_IN_PLACE, &v, 1, MPI_LONG, largest ? MPI_MAX : MPI_MIN, MPI_COMM_WORLD);
        seconds += now() - t0;
        bytes += sizeof v;
    }
#else
    (void)largest;
#endif
    return v;
}

long nn_dist_max_long(long v) { return reduce_long(v, 1); }
long nn_dist_min_long(long v) { return reduce_long(v, 0); }

void nn_dist_broadcast_floats(float *v, size_t n, int root)
{
#ifdef NN_WITH_MPI
    if (size == 1) return;
    double t0 = now();
    for (size_t at = 0; at < n; at += PIECE) {
        size_t k = n - at < PIECE ? n - at : PIECE;
        MPI_Bcast(v + at, (int)k, MPI_FLOAT, root, MPI_COMM_WORLD);
    }
    seconds += now() - t0;
    bytes += (double)n * sizeof *v;
#else
    (void)v, (void)n, (void)root;
#endif
}
