// Chooses the kernel set once per process, for the CPU it runs on.
#include <stdlib.h>
#include <string.h>
#include "include/EncoreKernels.h"

extern const EncoreKernels encoreKernelsBaseline;
#if defined(__x86_64__)
extern const EncoreKernels encoreKernelsAVX2;
extern const EncoreKernels encoreKernelsAVX512;
#endif

const EncoreKernels *encore_active_kernels = 0;

const EncoreKernels *encore_kernels_named(const char *name) {
    if (!name) return 0;
#if defined(__x86_64__)
    __builtin_cpu_init();
    if (strcmp(name, "avx512") == 0) {
        // __builtin_cpu_supports also checks that the operating system saves the registers.
        int usable = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl")
            && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512dq")
            && __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")
            && __builtin_cpu_supports("bmi") && __builtin_cpu_supports("bmi2") && __builtin_cpu_supports("popcnt");
        return usable ? &encoreKernelsAVX512 : 0;
    }
    if (strcmp(name, "avx2") == 0) {
        int usable = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")
            && __builtin_cpu_supports("bmi") && __builtin_cpu_supports("bmi2") && __builtin_cpu_supports("popcnt");
        return usable ? &encoreKernelsAVX2 : 0;
    }
#endif
    if (strcmp(name, "baseline") == 0) return &encoreKernelsBaseline;
    return 0;
}

const EncoreKernels *encore_choose_kernels(void) {
    // ENCORE_KERNELS names a set to use instead of the best one — for measuring the others and
    // for testing them on one machine; a set this CPU cannot run is ignored.
    const EncoreKernels *chosen = encore_kernels_named(getenv("ENCORE_KERNELS"));
    if (!chosen) chosen = encore_kernels_named("avx512");
    if (!chosen) chosen = encore_kernels_named("avx2");
    if (!chosen) chosen = &encoreKernelsBaseline;
    // Every thread that races here picks the same set, so a plain store is enough.
    __atomic_store_n(&encore_active_kernels, chosen, __ATOMIC_RELEASE);
    return chosen;
}

void encore_use_kernels(const EncoreKernels *kernels) {
    __atomic_store_n(&encore_active_kernels, kernels ? kernels : encore_choose_kernels(), __ATOMIC_RELEASE);
}
