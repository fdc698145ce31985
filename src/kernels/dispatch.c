/* Runtime choice of the kernel set. The CPU's features are probed once (pthread_once)
 * as bits; every set in the dispatch list below names the bits it requires and the set
 * it extends, and its table starts as a copy of that parent's and is overridden by the
 * set's fill function, so every entry is always valid. The library is built for baseline
 * x86-64 (no -mavx2): SIMD functions carry target attributes and run only when the
 * probe allows.
 *
 * Environment: LLAMA_FAST_SIMD=<set name> caps the set chosen at init: the named set if
 * the CPU has it, else its nearest supported ancestor (it never raises the choice). */
#include "kernels/kernels_internal.h"

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#include <immintrin.h>
#include <x86intrin.h>
#endif
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

/* One fill function per set (set_<name>.c): overrides what the set implements in a copy
 * of its parent's table. */
void lf_kernels_fill_scalar(lf_kernel_table *t);
void lf_kernels_fill_avx2(lf_kernel_table *t);
void lf_kernels_fill_avx512(lf_kernel_table *t);
void lf_kernels_fill_avx512_bf16(lf_kernel_table *t);

/* The dispatch list: parents come before their children. To add a set (a new ISA, or a
 * finer one such as AMX on top of avx512), declare its fill function above and add one
 * line here; see README.md. */
static const struct {
    lf_kernel_set_info info;
    void (*fill)(lf_kernel_table *t);
} sets[] = {
    {{"scalar", 0, -1}, lf_kernels_fill_scalar},
#if defined(__x86_64__) || defined(__i386__)
    {{"avx2", LF_ISA_AVX2, LF_SIMD_SCALAR}, lf_kernels_fill_avx2},
    {{"avx512", LF_ISA_AVX2 | LF_ISA_AVX512 | LF_ISA_AVX512_VNNI, LF_SIMD_AVX2}, lf_kernels_fill_avx512},
    {{"avx512-bf16", LF_ISA_AVX2 | LF_ISA_AVX512 | LF_ISA_AVX512_VNNI | LF_ISA_AVX512_BF16 | LF_ISA_BF16_FAST,
      LF_SIMD_AVX512},
     lf_kernels_fill_avx512_bf16},
#endif
};
enum { N_SETS = sizeof sets / sizeof sets[0] };

static const char *const isa_names[LF_ISA_COUNT] = {"avx2",     "avx512",   "avx512-vnni", "avx-vnni", "avx512-bf16",
                                                    "amx-int8", "amx-bf16", "bf16-fast"};

static lf_kernel_table tables[N_SETS];
static lf_kernel_set_info infos[N_SETS];
static uint32_t detected_isa;
static _Atomic(const lf_kernel_table *) current;
static _Atomic int current_level;
static pthread_once_t init_once = PTHREAD_ONCE_INIT;

#if defined(__x86_64__) || defined(__i386__)
/* Ticks of 512 rounds of eight independent chains of one instruction on zeroed registers
 * (no denormals). In assembly, so every compiler and optimization level times the same
 * instructions (compiled C at -O1 would time its spills). */
#define TIME_CHAINS(INSN)                                                                        \
    uint64_t t0 = __rdtsc();                                                                     \
    __asm__ volatile("vpxord %%zmm0, %%zmm0, %%zmm0\n\tvmovaps %%zmm0, %%zmm1\n\t"                \
                     "vmovaps %%zmm0, %%zmm2\n\tvmovaps %%zmm0, %%zmm3\n\tvmovaps %%zmm0, %%zmm4\n\t"   \
                     "vmovaps %%zmm0, %%zmm5\n\tvmovaps %%zmm0, %%zmm6\n\tvmovaps %%zmm0, %%zmm7\n\t"   \
                     "vmovaps %%zmm0, %%zmm8\n\tmov $512, %%ecx\n"                                 \
                     "1:\n\t" INSN(0) INSN(1) INSN(2) INSN(3) INSN(4) INSN(5) INSN(6) INSN(7)        \
                     "dec %%ecx\n\tjnz 1b"                                                          \
                     :                                                                           \
                     :                                                                           \
                     : "ecx", "cc", "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7",  \
                       "xmm8");                                                                  \
    return __rdtsc() - t0
#define DPBF16(i) "vdpbf16ps %%zmm8, %%zmm8, %%zmm" #i "\n\t"
#define FMA512(i) "vfmadd231ps %%zmm8, %%zmm8, %%zmm" #i "\n\t"

__attribute__((target("avx512f,avx512bf16"))) static uint64_t time_dpbf16(void) { TIME_CHAINS(DPBF16); }

__attribute__((target("avx512f"))) static uint64_t time_fma512(void) { TIME_CHAINS(FMA512); }

/* Whether vdpbf16ps (64 FLOP) takes less than twice the time of vfmadd231ps (32 FLOP):
 * the best of five alternated timings of each (after one of each to warm up), so an
 * interruption does not decide. Takes some 50 microseconds. */
static bool bf16_dot_fast(void) {
    uint64_t dp = UINT64_MAX, fma = UINT64_MAX;
    for (int r = 0; r < 6; r++) {
        uint64_t a = time_dpbf16(), b = time_fma512();
        if (r > 0 && a < dp) dp = a;
        if (r > 0 && b < fma) fma = b;
    }
    return dp < 2 * fma;
}

static uint64_t xgetbv0(void) {
    uint32_t lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    return (uint64_t)hi << 32 | lo;
}

static uint32_t probe_cpu(void) {
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d) || !(c & bit_OSXSAVE)) return 0;
    bool fma = c & bit_FMA, f16c = c & bit_F16C, avx = c & bit_AVX;
    uint64_t xcr0 = xgetbv0();
    bool ymm_os = (xcr0 & 0x6) == 0x6;                /* SSE + AVX state */
    bool zmm_os = ymm_os && (xcr0 & 0xE0) == 0xE0;    /* opmask, ZMM0-15 upper, ZMM16-31 */
    bool amx_os = (xcr0 & 0x60000) == 0x60000;        /* XTILECFG + XTILEDATA */
    if (__get_cpuid_max(0, NULL) < 7) return 0;
    unsigned b7, c7, d7, a71 = 0, b71, c71, d71;
    __cpuid_count(7, 0, a, b7, c7, d7);
    if (a >= 1) __cpuid_count(7, 1, a71, b71, c71, d71); /* a: the highest subleaf */
    uint32_t f = 0;
    if (ymm_os && avx && fma && f16c && (b7 & bit_AVX2)) f |= LF_ISA_AVX2;
    if (zmm_os && (b7 & bit_AVX512F) && (b7 & bit_AVX512BW) && (b7 & bit_AVX512VL)) f |= LF_ISA_AVX512;
    if ((f & LF_ISA_AVX512) && (c7 & (1u << 11))) f |= LF_ISA_AVX512_VNNI;
    if ((f & LF_ISA_AVX2) && (a71 & (1u << 4))) f |= LF_ISA_AVX_VNNI;
    if ((f & LF_ISA_AVX512) && (a71 & (1u << 5))) f |= LF_ISA_AVX512_BF16;
    if ((f & LF_ISA_AVX512_BF16) && bf16_dot_fast()) f |= LF_ISA_BF16_FAST;
    if (amx_os && (d7 & (1u << 24)) && (d7 & (1u << 25))) f |= LF_ISA_AMX_INT8;
    if (amx_os && (d7 & (1u << 24)) && (d7 & (1u << 22))) f |= LF_ISA_AMX_BF16;
    return f;
}
#else
static uint32_t probe_cpu(void) { return 0; }
#endif

static bool supported(int level) {
    return level >= 0 && level < N_SETS && (sets[level].info.required & ~detected_isa) == 0;
}

/* The set itself if the CPU has it, else its nearest supported ancestor (scalar at worst). */
static int clamp(int level) {
    if (level < 0 || level >= N_SETS) level = N_SETS - 1;
    while (!supported(level)) level = sets[level].info.parent;
    return level;
}

static void use_level(int level) {
    level = clamp(level);
    atomic_store(&current_level, level);
    atomic_store(&current, &tables[level]);
}

static int best_level(void) {
    int best = 0;
    for (int i = 0; i < N_SETS; i++)
        if (supported(i)) best = i;
    return best;
}

static void init_tables(void) {
    detected_isa = probe_cpu();
    for (int i = 0; i < N_SETS; i++) {
        infos[i] = sets[i].info;
        if (sets[i].info.parent >= 0) tables[i] = tables[sets[i].info.parent];
        sets[i].fill(&tables[i]);
    }
    const char *cap = getenv("LLAMA_FAST_SIMD");
    int capped = cap ? lf_simd_level_by_name(cap) : -1;
    use_level(capped >= 0 ? capped : best_level()); /* unset or unknown: no cap (model loading warns) */
}

void lf_kernels_init(void) { pthread_once(&init_once, init_tables); }

int lf_kernel_sets(const lf_kernel_set_info **out) {
    lf_kernels_init();
    *out = infos;
    return N_SETS;
}

uint32_t lf_isa_detected(void) {
    lf_kernels_init();
    return detected_isa;
}

const char *lf_isa_name(uint32_t bit) {
    for (int i = 0; i < LF_ISA_COUNT; i++)
        if (bit == 1u << i) return isa_names[i];
    return NULL;
}

bool lf_kernels_supported(lf_simd_level level) {
    lf_kernels_init();
    return supported((int)level);
}

lf_simd_level lf_kernels_detected_level(void) {
    lf_kernels_init();
    return (lf_simd_level)best_level();
}

lf_simd_level lf_kernels_level(void) {
    lf_kernels_init();
    return (lf_simd_level)atomic_load(&current_level);
}

void lf_kernels_set_level(lf_simd_level level) {
    lf_kernels_init();
    use_level((int)level);
}

const lf_kernel_table *lf_kernels_table(void) {
    lf_kernels_init();
    return atomic_load_explicit(&current, memory_order_acquire);
}

const char *lf_simd_level_name(lf_simd_level level) {
    return (int)level >= 0 && (int)level < N_SETS ? sets[level].info.name : "unknown";
}

int lf_simd_level_by_name(const char *name) {
    for (int i = 0; i < N_SETS; i++)
        if (strcmp(sets[i].info.name, name) == 0) return i;
    return -1;
}
