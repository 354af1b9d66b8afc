// The kernels for any CPU the compiler's default target runs: SSE2 on x86-64, NEON on arm64.
// No fused multiply-add is assumed (x86-64's baseline has none, and emulating one per lane
// would cost more than the arithmetic).
#define KERNEL(name) name##Baseline
#define KERNEL_SET_NAME "baseline"
#if defined(__aarch64__)
#define KERNEL_FMA 1
#else
#define KERNEL_FMA 0
#endif
#include "KernelBodies.h"
