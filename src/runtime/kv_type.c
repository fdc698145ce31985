/* The public KV cache types (lf_kv_type) and the kernel row types that store them. */
#include <string.h>

#include "runtime/context.h"

static const struct {
    const char *name;
    lf_type row_type;
} kv_types[] = {
    [LF_KV_F16] = {"f16", LF_TYPE_F16},
    [LF_KV_F32] = {"f32", LF_TYPE_F32},
    [LF_KV_Q8_0] = {"q8_0", LF_TYPE_Q8_0},
};

#define N_KV_TYPES (sizeof kv_types / sizeof kv_types[0])

const char *lf_kv_type_name(lf_kv_type type) {
    return (unsigned)type < N_KV_TYPES ? kv_types[type].name : NULL;
}

bool lf_kv_type_from_name(const char *name, lf_kv_type *out) {
    for (size_t i = 0; name && i < N_KV_TYPES; i++)
        if (!strcmp(name, kv_types[i].name)) {
            *out = (lf_kv_type)i;
            return true;
        }
    return false;
}

lf_type lf_kv_row_type(lf_kv_type type) { return kv_types[type].row_type; }
