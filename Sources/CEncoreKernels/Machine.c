// The CPU's name and features, and re-selecting a DYNAMIC_ARCH OpenBLAS's kernel set.
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>
#include "include/EncoreMachine.h"
#if defined(__x86_64__)
#include <cpuid.h>
#endif

void encore_cpu_describe(EncoreCPU *cpu) {
    memset(cpu, 0, sizeof *cpu);
#if defined(__x86_64__)
    unsigned eax, ebx, ecx, edx;
    if (__get_cpuid(1, &eax, &ebx, &ecx, &edx)) {
        int family = (eax >> 8) & 0xf, model = (eax >> 4) & 0xf;
        // Intel and AMD both fold the extended model in for family 6 and 15 up, and the extended
        // family in for 15 (so Zen 5 is family 26, Sapphire Rapids family 6 model 143).
        if (family == 0xf) family += (eax >> 20) & 0xff;
        if (family >= 6) model += ((eax >> 16) & 0xf) << 4;
        cpu->family = family;
        cpu->model = model;
    }
    unsigned brand[12] = {0};
    for (unsigned leaf = 0; leaf < 3; leaf++) {
        if (!__get_cpuid(0x80000002 + leaf, &brand[4 * leaf], &brand[4 * leaf + 1], &brand[4 * leaf + 2], &brand[4 * leaf + 3])) break;
    }
    memcpy(cpu->name, brand, 48);
    // Brand strings are padded with spaces at either end; the name is reported as it reads.
    char *start = cpu->name;
    while (*start == ' ') start++;
    memmove(cpu->name, start, strlen(start) + 1);
    for (size_t n = strlen(cpu->name); n > 0 && cpu->name[n - 1] == ' '; n--) cpu->name[n - 1] = 0;
    // __builtin_cpu_supports also checks that the operating system saves the wider registers,
    // as OpenBLAS's own check (XGETBV) does.
    __builtin_cpu_init();
    cpu->avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    cpu->avx512 = cpu->avx2 && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw")
        && __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512cd");
    cpu->avx512bf16 = cpu->avx512 && __builtin_cpu_supports("avx512bf16");
#endif
}

int encore_openblas_load_core(const char *core) {
    // Looked up rather than linked: only a DYNAMIC_ARCH OpenBLAS has them, and Encore must still
    // load against any other build.
    void (*quit)(void) = (void (*)(void))dlsym(RTLD_DEFAULT, "gotoblas_dynamic_quit");
    void (*init)(void) = (void (*)(void))dlsym(RTLD_DEFAULT, "gotoblas_dynamic_init");
    if (!quit || !init || !core) return 0;
    // OpenBLAS's init reads the set's name only from OPENBLAS_CORETYPE. It returns at once while a
    // set is loaded, so quit (which only clears the pointer) comes first; init then points at the
    // named set's static table and fills its blocking sizes. Neither frees or reallocates OpenBLAS's
    // buffers or threads: those are sized for every set alike, and read the table per call.
    const char *previous = getenv("OPENBLAS_CORETYPE");
    char *saved = previous ? strdup(previous) : 0;
    setenv("OPENBLAS_CORETYPE", core, 1);
    quit();
    init();
    // The variable is put back so that child processes (and the report of who chose the set)
    // see what the user set, not Encore's choice.
    if (saved) {
        setenv("OPENBLAS_CORETYPE", saved, 1);
        free(saved);
    } else {
        unsetenv("OPENBLAS_CORETYPE");
    }
    return 1;
}

int encore_openblas_stop_idle_threads(void) {
    // Looked up for the same reason as above: the symbol is OpenBLAS's, not every BLAS's.
    int (*shutdown)(void) = (int (*)(void))dlsym(RTLD_DEFAULT, "blas_thread_shutdown_");
    if (!shutdown) return 0;
    shutdown();
    return 1;
}
