// Measures what bounds Encore on this machine: memory bandwidth (sequential read, random
// 256-byte row gathers like ALS does) and OpenBLAS sgemm GFLOP/s on 1 and 2 threads.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cblas.h>
static double now(){struct timespec t;clock_gettime(CLOCK_MONOTONIC,&t);return t.tv_sec+t.tv_nsec*1e-9;}
int main(){
  size_t n=1<<27; float*a=aligned_alloc(64,n*4),*b=aligned_alloc(64,n*4);
  for(size_t i=0;i<n;i++){a[i]=i;b[i]=0;}
  double t=now(); for(int r=0;r<3;r++) memcpy(b,a,n*4); t=now()-t; printf("memcpy_gbs %.2f\n", 3*2.0*n*4/t/1e9);
  float s=0; t=now(); for(int r=0;r<3;r++) for(size_t i=0;i<n;i++) s+=a[i]; t=now()-t; printf("read_gbs %.2f\n", 3.0*n*4/t/1e9); if (s < 0) return 1;
  // random 256-byte row gather, 292385 rows x 64 floats
  size_t rows=292385,k=64; float*y=aligned_alloc(64,rows*k*4); for(size_t i=0;i<rows*k;i++)y[i]=i%7; 
  size_t m=18000000; unsigned*idx=malloc(m*4); unsigned x=1; for(size_t i=0;i<m;i++){x=x*1664525u+1013904223u; idx[i]=x%rows;}
  float acc[64]={0}; t=now(); for(size_t i=0;i<m;i++){float*r=y+idx[i]*k; for(int j=0;j<64;j++)acc[j]+=r[j];} t=now()-t; printf("gather_gbs %.2f\n", m*256.0/t/1e9);
  int N=2048; float*A=malloc(N*N*4),*B=malloc(N*N*4),*C=malloc(N*N*4); for(int i=0;i<N*N;i++){A[i]=1;B[i]=1;}
  openblas_set_num_threads(1); cblas_sgemm(CblasRowMajor,CblasNoTrans,CblasNoTrans,N,N,N,1,A,N,B,N,0,C,N);
  t=now(); cblas_sgemm(CblasRowMajor,CblasNoTrans,CblasNoTrans,N,N,N,1,A,N,B,N,0,C,N); t=now()-t; printf("sgemm1_gflops %.1f\n", 2.0*N*N*N/t/1e9);
  openblas_set_num_threads(2); t=now(); cblas_sgemm(CblasRowMajor,CblasNoTrans,CblasNoTrans,N,N,N,1,A,N,B,N,0,C,N); t=now()-t; printf("sgemm2_gflops %.1f\n", 2.0*N*N*N/t/1e9);
  return (int)acc[3]&1;
}
