// The raw-syscall floor for one secrets volume, the same per-volume work the driver does and
// nothing else: publish = mkdir target, mount tmpfs (nosuid,nodev,noexec,mode=0755), mkdir the
// timestamped payload dir, write N files (open/write/close, mode 0644), one symlink per top-level
// name, symlink ..data_tmp -> payload dir, rename it over ..data (kubelet's atomic swap);
// unpublish = umount2 + rmdir (the kernel drops the tmpfs content with the mount).
// Usage: floor DIR FILES FILE_BYTES CYCLES THREADS   -> one JSON object on stdout.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static const char *base;
static int nfiles, fbytes, cycles, threads;
static char *payload;
static double *pub_us, *unpub_us;

static double now_us(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e6 + t.tv_nsec / 1e3;
}

static void die(const char *what, const char *path) {
  fprintf(stderr, "floor: %s %s: %s\n", what, path, strerror(errno));
  exit(1);
}

static void publish(const char *target) {
  char p[512], q[512];
  if (mkdir(target, 0750) != 0) die("mkdir", target);
  if (mount("tmpfs", target, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=0755") != 0) die("mount", target);
  snprintf(p, sizeof p, "%s/..2026_01_01_00_00_00.abc123", target);
  if (mkdir(p, 0755) != 0) die("mkdir", p);
  for (int i = 0; i < nfiles; i++) {
    snprintf(p, sizeof p, "%s/..2026_01_01_00_00_00.abc123/secret-%02d", target, i);
    int fd = open(p, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0) die("open", p);
    if (write(fd, payload, fbytes) != fbytes) die("write", p);
    close(fd);
    snprintf(p, sizeof p, "%s/secret-%02d", target, i);
    snprintf(q, sizeof q, "..data/secret-%02d", i);
    if (symlink(q, p) != 0) die("symlink", p);
  }
  snprintf(p, sizeof p, "%s/..data_tmp", target);
  if (symlink("..2026_01_01_00_00_00.abc123", p) != 0) die("symlink", p);
  snprintf(q, sizeof q, "%s/..data", target);
  if (rename(p, q) != 0) die("rename", p);
}

static void unpublish(const char *target) {
  if (umount2(target, UMOUNT_NOFOLLOW) != 0) die("umount2", target);
  if (rmdir(target) != 0) die("rmdir", target);
}

static void *worker(void *arg) {
  long w = (long) arg;
  char target[256];
  for (int c = 0; c < cycles; c++) {
    snprintf(target, sizeof target, "%s/w%ld-v%d", base, w, c);
    double t0 = now_us();
    publish(target);
    double t1 = now_us();
    unpublish(target);
    double t2 = now_us();
    pub_us[w * cycles + c] = t1 - t0;
    unpub_us[w * cycles + c] = t2 - t1;
  }
  return NULL;
}

static int cmp(const void *a, const void *b) {
  double x = *(const double *) a, y = *(const double *) b;
  return x < y ? -1 : x > y;
}

static double pct(double *v, int n, double p) {
  int i = (int) (p * n + 0.5) - 1;
  if (i < 0) i = 0;
  if (i >= n) i = n - 1;
  return v[i];
}

int main(int argc, char **argv) {
  if (argc != 6) {
    fprintf(stderr, "usage: floor DIR FILES FILE_BYTES CYCLES THREADS\n");
    return 2;
  }
  base = argv[1];
  nfiles = atoi(argv[2]);
  fbytes = atoi(argv[3]);
  cycles = atoi(argv[4]);
  threads = atoi(argv[5]);
  payload = malloc(fbytes + 1);
  memset(payload, 'x', fbytes);
  int n = cycles * threads;
  pub_us = calloc(n, sizeof(double));
  unpub_us = calloc(n, sizeof(double));
  pthread_t *t = calloc(threads, sizeof(pthread_t));
  double start = now_us();
  for (long i = 0; i < threads; i++) pthread_create(&t[i], NULL, worker, (void *) i);
  for (int i = 0; i < threads; i++) pthread_join(t[i], NULL);
  double secs = (now_us() - start) / 1e6;
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  double cpu_us = ru.ru_utime.tv_sec * 1e6 + ru.ru_utime.tv_usec + ru.ru_stime.tv_sec * 1e6 + ru.ru_stime.tv_usec;
  double cyc[n];
  for (int i = 0; i < n; i++) cyc[i] = pub_us[i] + unpub_us[i];
  qsort(pub_us, n, sizeof(double), cmp);
  qsort(unpub_us, n, sizeof(double), cmp);
  qsort(cyc, n, sizeof(double), cmp);
  printf("{\"files\":%d,\"fileBytes\":%d,\"concurrency\":%d,\"cycles\":%d,"
         "\"publishUs\":{\"p50\":%.1f,\"p99\":%.1f,\"max\":%.1f},"
         "\"unpublishUs\":{\"p50\":%.1f,\"p99\":%.1f,\"max\":%.1f},"
         "\"cycleUs\":{\"p50\":%.1f,\"p99\":%.1f,\"max\":%.1f},\"cyclesPerSec\":%.1f,\"cpuUsPerCycle\":%.1f}\n",
         nfiles, fbytes, threads, n, pct(pub_us, n, .5), pct(pub_us, n, .99), pub_us[n - 1],
         pct(unpub_us, n, .5), pct(unpub_us, n, .99), unpub_us[n - 1],
         pct(cyc, n, .5), pct(cyc, n, .99), cyc[n - 1], n / secs, cpu_us / n);
  return 0;
}
