// What the process runs on, for choosing OpenBLAS's kernel set and for reporting it: the CPU's
// name and vector features, and a way to make a DYNAMIC_ARCH OpenBLAS load another kernel set.
#ifndef ENCORE_MACHINE_H
#define ENCORE_MACHINE_H

#ifdef __cplusplus
extern "C" {
#endif

/// The CPU as CPUID reports it; zeros and an empty name where there is no CPUID (not x86-64).
typedef struct EncoreCPU {
    /// The brand string, e.g. "AMD EPYC 9575F 64-Core Processor", trimmed.
    char name[49];
    /// Display family and model (the extended fields folded in, as the vendors document).
    int family;
    int model;
    /// AVX2 and FMA, usable (the operating system saves the YMM registers).
    int avx2;
    /// AVX-512 F, BW, VL, DQ and CD, usable (the operating system saves the ZMM registers):
    /// the instructions OpenBLAS's SkylakeX kernels use.
    int avx512;
    /// AVX-512 BF16 as well: the CPUs OpenBLAS gives its Cooperlake set (Cooper Lake, Sapphire
    /// Rapids, Zen 4 and 5).
    int avx512bf16;
} EncoreCPU;

/// Fills `cpu` for the processor this runs on.
void encore_cpu_describe(EncoreCPU *cpu);

/// Makes a DYNAMIC_ARCH OpenBLAS drop its kernel set and load the one named `core` (one of
/// OpenBLAS's core names, e.g. "SkylakeX"). Must not run while any BLAS call is in progress.
/// Returns 0 when the loaded OpenBLAS cannot change its set (not DYNAMIC_ARCH, or not OpenBLAS).
int encore_openblas_load_core(const char *core);

/// Ends OpenBLAS's pool of worker threads (its `blas_thread_shutdown_`, which it also calls
/// before a fork); a later multi-threaded call starts the pool again. Returns 0 when this BLAS
/// has no such call.
int encore_openblas_stop_idle_threads(void);

#ifdef __cplusplus
}
#endif

#endif
