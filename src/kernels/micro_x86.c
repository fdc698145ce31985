/* The per-type micro-kernel lists of the x86 sets (see LF_X86_MICRO). */
#if defined(__x86_64__) || defined(__i386__)
#include "kernels/micro_x86_internal.h"

const lf_micro_kernels avx2_micro[LF_TYPE_COUNT] = LF_X86_MICRO(avx2_);
const lf_micro_kernels vnni_micro[LF_TYPE_COUNT] = LF_X86_MICRO(vnni_);
#endif
