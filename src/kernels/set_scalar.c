/* The scalar set: the reference kernels, and gemv / gemm as the generic drivers with no
 * micro-kernels (every row and activation through the reference dot). Runs anywhere and
 * is what every other set is tested against. */
#include "kernels/drivers_internal.h"

static const lf_micro_kernels none;

LF_GEMV_ENTRY(gemv, none)
LF_BATCH_ENTRY(gemm, none)

void lf_kernels_fill_scalar(lf_kernel_table *t) {
    lf_kernels_fill_scalar_dot(t);
    lf_kernels_fill_scalar_act(t);
    lf_kernels_fill_scalar_float(t);
    lf_table_set_drivers(t, gemv, gemm);
    t->attn = lf_attn_kernels_scalar();
}
