// The kernels for CPUs with AVX-512 (F, VL, BW, DQ): a 64-byte vector is one register.
#if defined(__x86_64__)
#pragma clang attribute push(__attribute__((target("avx512f,avx512vl,avx512bw,avx512dq,avx2,fma,bmi,bmi2,popcnt"))), apply_to = function)
#define KERNEL(name) name##AVX512
#define KERNEL_SET_NAME "avx512"
#define KERNEL_FMA 1
#include "KernelBodies.h"
#pragma clang attribute pop
#endif
