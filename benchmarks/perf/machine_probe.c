// Measures what bounds Encore on this machine: memory bandwidth (sequential read, random row
// gathers like ALS does) and OpenBLAS sgemm GFLOP/s on 1 and 2 threads.
//
// Gathers: 18 M random rows of a 358,868-row Float32 matrix (the reference workload's user
// factors, larger than L3), summed. `gather_gbs` is one thread with no prefetching (a plain
// loop); `gather2_k64_gbs` and `gather2_k128_gbs` are two threads each asking for the row 8
// ahead, as Encore's gathers do — the ceiling its half-steps can approach. Each gather is timed
// three times over the same rows and the fastest kept: the floor is what the machine can do,
// and one timing on a shared machine swung by a quarter between runs (33.8–42.1 GB/s at k = 128).
// The matrix is offered huge pages, as Encore's factor matrices are (since 2026-12-02; on the
// AMD EPYC that moved the two-thread gathers by no more than the runs' noise).
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <pthread.h>
#include <sys/mman.h>
#include <cblas.h>
static double now(){struct timespec t;clock_gettime(CLOCK_MONOTONIC,&t);return t.tv_sec+t.tv_nsec*1e-9;}

typedef struct { const float *y; const unsigned *idx; size_t k, lo, hi; int prefetch; float sum; } gather_job;
static void *gather(void *argument) {
  gather_job *job = argument; float acc[128] = {0};
  for (size_t i = job->lo; i < job->hi; i++) {
    if (job->prefetch && i + 8 < job->hi) {
      const char *ahead = (const char *)(job->y + (size_t)job->idx[i + 8] * job->k);
      for (size_t o = 0; o < job->k * 4; o += 64) __builtin_prefetch(ahead + o, 0, 3);
    }
    const float *r = job->y + (size_t)job->idx[i] * job->k;
    for (size_t c = 0; c < job->k; c++) acc[c] += r[c];
  }
  for (size_t c = 0; c < job->k; c++) job->sum += acc[c];
  return 0;
}
static double gather_gbs(size_t k, int threads, int prefetch) {
  size_t rows = 358868, m = 18000000;
  // Huge pages where the kernel gives them, as Encore asks for its factor matrices (LargePages).
  size_t bytes = (rows * k * 4 + (2 << 20) - 1) / (2 << 20) * (2 << 20);
  float *y = aligned_alloc(2 << 20, bytes);
  madvise(y, bytes, MADV_HUGEPAGE);
  for (size_t i = 0; i < rows * k; i++) y[i] = i % 7;
  unsigned *idx = malloc(m * 4); unsigned x = 1; for (size_t i = 0; i < m; i++) { x = x * 1664525u + 1013904223u; idx[i] = x % rows; }
  pthread_t th[2]; gather_job jobs[2];
  double best = 0;
  for (int round = 0; round < 3; round++) {
    double t = now();
    for (int i = 0; i < threads; i++) {
      jobs[i] = (gather_job){y, idx, k, m * i / threads, m * (i + 1) / threads, prefetch, 0};
      pthread_create(&th[i], 0, gather, &jobs[i]);
    }
    for (int i = 0; i < threads; i++) pthread_join(th[i], 0);
    t = now() - t;
    if (jobs[0].sum >= 0 && m * k * 4.0 / t / 1e9 > best) best = m * k * 4.0 / t / 1e9;
  }
  free(y); free(idx);
  return best;
}

int main(){
  size_t n=1<<27; float*a=aligned_alloc(64,n*4),*b=aligned_alloc(64,n*4);
  for(size_t i=0;i<n;i++){a[i]=i;b[i]=0;}
  double t=now(); for(int r=0;r<3;r++) memcpy(b,a,n*4); t=now()-t; printf("memcpy_gbs %.2f\n", 3*2.0*n*4/t/1e9);
  float s=0; t=now(); for(int r=0;r<3;r++) for(size_t i=0;i<n;i++) s+=a[i]; t=now()-t; printf("read_gbs %.2f\n", 3.0*n*4/t/1e9); if (s < 0) return 1;
  printf("gather_gbs %.2f\n", gather_gbs(64, 1, 0));
  printf("gather2_k64_gbs %.2f\n", gather_gbs(64, 2, 1));
  printf("gather2_k128_gbs %.2f\n", gather_gbs(128, 2, 1));
  int N=2048; float*A=malloc(N*N*4),*B=malloc(N*N*4),*C=malloc(N*N*4); for(int i=0;i<N*N;i++){A[i]=1;B[i]=1;}
  openblas_set_num_threads(1); cblas_sgemm(CblasRowMajor,CblasNoTrans,CblasNoTrans,N,N,N,1,A,N,B,N,0,C,N);
  t=now(); cblas_sgemm(CblasRowMajor,CblasNoTrans,CblasNoTrans,N,N,N,1,A,N,B,N,0,C,N); t=now()-t; printf("sgemm1_gflops %.1f\n", 2.0*N*N*N/t/1e9);
  openblas_set_num_threads(2); t=now(); cblas_sgemm(CblasRowMajor,CblasNoTrans,CblasNoTrans,N,N,N,1,A,N,B,N,0,C,N); t=now()-t; printf("sgemm2_gflops %.1f\n", 2.0*N*N*N/t/1e9);
  return 0;
}
