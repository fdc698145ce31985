/* Runtime choice of the SIMD level. The CPU is probed once (pthread_once); each level's
 * kernel table starts as a copy of the level below and overrides what it implements, so
 * every entry is always valid. The library is built for baseline x86-64 (no -mavx2):
 * SIMD functions carry target attributes and run only when the probe allows.
 *
 * Environment: LLAMA_FAST_SIMD=scalar|avx2|avx512 caps the level chosen at init (it
 * can lower, never raise, what the CPU supports). */
#include "kernels/kernels_internal.h"

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

static lf_kernel_table tables[LF_SIMD_AVX512 + 1];
static lf_simd_level detected = LF_SIMD_SCALAR;
static _Atomic(const lf_kernel_table *) current;
static _Atomic int current_level;
static pthread_once_t init_once = PTHREAD_ONCE_INIT;

#if defined(__x86_64__) || defined(__i386__)
/* Not every compiler's __builtin_cpu_supports knows "f16c"; CPUID leaf 1 tells directly. */
static bool cpu_has_f16c(void) {
    unsigned eax, ebx, ecx, edx;
    return __get_cpuid(1, &eax, &ebx, &ecx, &edx) && (ecx & bit_F16C);
}
#endif

static lf_simd_level probe_cpu(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_cpu_init();
    if (!(__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && cpu_has_f16c()))
        return LF_SIMD_SCALAR;
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
        __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512vnni"))
        return LF_SIMD_AVX512;
    return LF_SIMD_AVX2;
#else
    return LF_SIMD_SCALAR;
#endif
}

static lf_simd_level env_cap(void) {
    const char *v = getenv("LLAMA_FAST_SIMD");
    if (v && strcmp(v, "scalar") == 0) return LF_SIMD_SCALAR;
    if (v && strcmp(v, "avx2") == 0) return LF_SIMD_AVX2;
    return LF_SIMD_AVX512; /* unset or unknown: no cap */
}

static void use_level(lf_simd_level level) {
    if (level > detected) level = detected;
    if (level < LF_SIMD_SCALAR) level = LF_SIMD_SCALAR;
    atomic_store(&current_level, (int)level);
    atomic_store(&current, &tables[level]);
}

static void init_tables(void) {
    lf_kernels_fill_scalar(&tables[LF_SIMD_SCALAR]);
    lf_kernels_fill_scalar_act(&tables[LF_SIMD_SCALAR]);
    lf_kernels_fill_scalar_float(&tables[LF_SIMD_SCALAR]);
    tables[LF_SIMD_AVX2] = tables[LF_SIMD_SCALAR];
    tables[LF_SIMD_AVX512] = tables[LF_SIMD_SCALAR];
    detected = probe_cpu();
#if defined(__x86_64__) || defined(__i386__)
    lf_kernels_fill_avx2(&tables[LF_SIMD_AVX2]);
    lf_kernels_fill_avx2_dot2(&tables[LF_SIMD_AVX2]);
    lf_kernels_fill_avx2_act(&tables[LF_SIMD_AVX2]);
    lf_kernels_fill_avx2_float(&tables[LF_SIMD_AVX2]);
    lf_kernels_fill_avx2_gemm(&tables[LF_SIMD_AVX2]);
    tables[LF_SIMD_AVX512] = tables[LF_SIMD_AVX2];
    lf_kernels_fill_avx512(&tables[LF_SIMD_AVX512]);
    lf_kernels_fill_vnni_rows(&tables[LF_SIMD_AVX512]);
    lf_kernels_fill_vnni_dot2_rows(&tables[LF_SIMD_AVX512]);
    lf_kernels_fill_avx512_gemm(&tables[LF_SIMD_AVX512]);
#endif
    use_level(env_cap());
}

void lf_kernels_init(void) { pthread_once(&init_once, init_tables); }

lf_simd_level lf_kernels_detected_level(void) {
    lf_kernels_init();
    return detected;
}

lf_simd_level lf_kernels_level(void) {
    lf_kernels_init();
    return (lf_simd_level)atomic_load(&current_level);
}

void lf_kernels_set_level(lf_simd_level level) {
    lf_kernels_init();
    use_level(level);
}

const lf_kernel_table *lf_kernels_table(void) {
    lf_kernels_init();
    return atomic_load_explicit(&current, memory_order_acquire);
}

const char *lf_simd_level_name(lf_simd_level level) {
    switch (level) {
    case LF_SIMD_SCALAR: return "scalar";
    case LF_SIMD_AVX2: return "avx2";
    case LF_SIMD_AVX512: return "avx512";
    }
    return "unknown";
}
