/* The table of tensor element types: name, block geometry, whether it may be a weight. */
#include "kernels/blocks_internal.h"
#include "kernels/kernels.h"

static const lf_type_traits type_table[LF_TYPE_COUNT] = {
    [LF_TYPE_F32] = {"F32", 1, 4, true},
    [LF_TYPE_F16] = {"F16", 1, 2, true},
    [LF_TYPE_BF16] = {"BF16", 1, 2, true},
    [LF_TYPE_Q4_0] = {"Q4_0", QK, sizeof(block_q4_0), true},
    [LF_TYPE_Q4_1] = {"Q4_1", QK, sizeof(block_q4_1), true},
    [LF_TYPE_Q5_0] = {"Q5_0", QK, sizeof(block_q5_0), true},
    [LF_TYPE_Q5_1] = {"Q5_1", QK, sizeof(block_q5_1), true},
    [LF_TYPE_Q8_0] = {"Q8_0", QK, sizeof(block_q8_0), true},
    [LF_TYPE_Q8_1] = {"Q8_1", QK, sizeof(block_q8_1), false},
    [LF_TYPE_Q2_K] = {"Q2_K", QK_K, sizeof(block_q2_K), true},
    [LF_TYPE_Q3_K] = {"Q3_K", QK_K, sizeof(block_q3_K), true},
    [LF_TYPE_Q4_K] = {"Q4_K", QK_K, sizeof(block_q4_K), true},
    [LF_TYPE_Q5_K] = {"Q5_K", QK_K, sizeof(block_q5_K), true},
    [LF_TYPE_Q6_K] = {"Q6_K", QK_K, sizeof(block_q6_K), true},
    [LF_TYPE_Q8_K] = {"Q8_K", QK_K, sizeof(block_q8_K), false},
    [LF_TYPE_IQ4_NL] = {"IQ4_NL", QK, sizeof(block_iq4_nl), true},
};

const lf_type_traits *lf_type_get(uint32_t type) {
    if (type >= LF_TYPE_COUNT || !type_table[type].name) return NULL;
    return &type_table[type];
}

bool lf_type_row_bytes(lf_type type, uint64_t n, uint64_t *bytes) {
    const lf_type_traits *t = lf_type_get((uint32_t)type);
    if (!t || n % (uint64_t)t->block_elems != 0) return false;
    uint64_t blocks = n / (uint64_t)t->block_elems;
    if (blocks > UINT64_MAX / (uint64_t)t->block_bytes) return false;
    *bytes = blocks * (uint64_t)t->block_bytes;
    return true;
}
