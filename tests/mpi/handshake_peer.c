/* A C program that speaks ComIn's MPI handshake as written in the protocol's description
 * (docs/guide/mpi.rst, "The handshake protocol"), not through comin: it stands in for
 * upstream ComIn's external processes and hosts beside comin's (MPMD).
 *
 *   handshake_peer external NAME [VERSION]   like upstream's mpi_communicator_test_external:
 *       stage 1 on MPI_COMM_WORLD {"comin"}, stage 2 on that communicator
 *       {NAME, "external_NAME", "all_external"}; rank 0 of "external_NAME" prints
 *       "plugin(NAME) size: %d", "this external size: %d", "all external size: %d".
 *       VERSION (default 1) is the protocol version this process claims.
 *   handshake_peer host NAME                 like upstream's hosts (the replay tool):
 *       stage 1 {"replay", "comin"}, stage 2 {NAME, "comin_host_atmo"}; each rank prints
 *       "host rank %d: host size %d plugin(NAME) size %d".
 *   handshake_peer idle                      MPI_Init and MPI_Finalize, no handshake.
 *
 * Errors are one line "PEER ERROR: ..." on stderr and MPI_Abort, as upstream's code does.
 */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void fail(MPI_Comm comm, const char *what) {
  int rank;
  MPI_Comm_rank(comm, &rank);
  fprintf(stderr, "%3d: PEER ERROR: %s\n", rank, what);
  fflush(stderr);
  MPI_Abort(comm, 1);
}

static int int_min(MPI_Comm comm, int value) {
  MPI_Allreduce(MPI_IN_PLACE, &value, 1, MPI_INT, MPI_MIN, comm);
  return value;
}

/* The protocol: one MIN-reduction of the version; rounds of (MIN-reduction of the lowest
 * rank with a pending name, or the size; broadcast of the length as one MPI_INT; of the
 * bytes without terminator as MPI_CHAR; split with color 0 / MPI_UNDEFINED, key = rank). */
static void handshake(MPI_Comm comm, int version, const char **names, MPI_Comm *comms, int n) {
  int rank, size, flag;
  MPI_Comm_test_inter(comm, &flag);
  if (flag) fail(comm, "inter-communicators are not supported");
  MPI_Comm_rank(comm, &rank);
  MPI_Comm_size(comm, &size);
  if (int_min(comm, version) != version) fail(comm, "version mismatch");
  for (int i = 0; i < n; i++) comms[i] = MPI_COMM_NULL;
  for (;;) {
    int pending = -1;
    for (int i = 0; i < n && pending < 0; i++)
      if (comms[i] == MPI_COMM_NULL) pending = i;
    int root = int_min(comm, pending >= 0 ? rank : size);
    if (root < 0 || root > size) fail(comm, "broadcasting rank out of range");
    if (root == size) break;
    int len = rank == root ? (int)strlen(names[pending]) : 0;
    MPI_Bcast(&len, 1, MPI_INT, root, comm);
    char *buf = malloc((size_t)len + 1);
    if (rank == root) memcpy(buf, names[pending], (size_t)len);
    MPI_Bcast(buf, len, MPI_CHAR, root, comm);
    buf[len] = '\0';
    int match = -1;
    for (int i = 0; i < n && match < 0; i++)
      if (strcmp(buf, names[i]) == 0) match = i;
    free(buf);
    if (match >= 0 && comms[match] != MPI_COMM_NULL) fail(comm, "group broadcast again");
    MPI_Comm newcomm;
    MPI_Comm_split(comm, match >= 0 ? 0 : MPI_UNDEFINED, rank, &newcomm);
    if (match >= 0) comms[match] = newcomm;
  }
}

static int comm_size(MPI_Comm comm) {
  int size;
  MPI_Comm_size(comm, &size);
  return size;
}

int main(int argc, char **argv) {
  MPI_Init(&argc, &argv);
  if (argc >= 2 && strcmp(argv[1], "idle") == 0) {
    MPI_Finalize();
    return 0;
  }
  if (argc < 3) fail(MPI_COMM_WORLD, "usage: handshake_peer external NAME [VERSION] | host NAME | idle");
  const char *name = argv[2];
  int version = argc > 3 ? atoi(argv[3]) : 1;
  MPI_Comm world_comms[2], comms[3];
  char ext[300];
  if (strcmp(argv[1], "external") == 0) {
    const char *stage1[] = {"comin"};
    handshake(MPI_COMM_WORLD, version, stage1, world_comms, 1);
    snprintf(ext, sizeof ext, "external_%s", name);
    const char *stage2[] = {name, ext, "all_external"};
    handshake(world_comms[0], 1, stage2, comms, 3);
    int n_all = comm_size(comms[2]);
    int rank;
    MPI_Comm_rank(comms[1], &rank);
    if (rank == 0) {
      printf("plugin(%s) size: %d\nthis external size: %d\nall external size: %d\n", name,
             comm_size(comms[0]), comm_size(comms[1]), n_all);
      fflush(stdout);
    }
    MPI_Comm_free(&comms[0]);
    MPI_Comm_free(&comms[1]);
    MPI_Comm_free(&comms[2]);
    MPI_Comm_free(&world_comms[0]);
  } else if (strcmp(argv[1], "host") == 0) {
    const char *stage1[] = {"replay", "comin"};
    handshake(MPI_COMM_WORLD, version, stage1, world_comms, 2);
    const char *stage2[] = {name, "comin_host_atmo"};
    handshake(world_comms[1], 1, stage2, comms, 2);
    int rank;
    MPI_Comm_rank(comms[1], &rank);
    printf("host rank %d: host size %d plugin(%s) size %d\n", rank, comm_size(comms[1]), name,
           comm_size(comms[0]));
    fflush(stdout);
  } else {
    fail(MPI_COMM_WORLD, "the first argument must be external, host or idle");
  }
  MPI_Finalize();
  return 0;
}
