// The kernels for CPUs with AVX2 and FMA (x86-64 since 2013): a 64-byte vector is two registers.
#if defined(__x86_64__)
#pragma clang attribute push(__attribute__((target("avx2,fma,bmi,bmi2,popcnt"))), apply_to = function)
#define KERNEL(name) name##AVX2
#define KERNEL_SET_NAME "avx2"
#define KERNEL_FMA 1
#include "KernelBodies.h"
#pragma clang attribute pop
#endif
