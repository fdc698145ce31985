/* Overflow-checked size arithmetic for parsers of untrusted files. */
#ifndef LF_CORE_CHECKED_MATH_H
#define LF_CORE_CHECKED_MATH_H

#include <stdbool.h>
#include <stdint.h>

/* Each returns false on overflow, leaving *out unspecified. */
static inline bool lf_mul_u64(uint64_t a, uint64_t b, uint64_t *out) {
    return !__builtin_mul_overflow(a, b, out);
}
static inline bool lf_add_u64(uint64_t a, uint64_t b, uint64_t *out) {
    return !__builtin_add_overflow(a, b, out);
}

#endif
