/* IEEE binary16 and bfloat16 <-> binary32, bit-exact: round-to-nearest-even, subnormals
 * kept, Inf preserved, NaN kept NaN (quieted). Written with integer operations so the
 * result does not depend on the compiler's or CPU's floating-point modes. */
#include "kernels/kernels.h"

#include <string.h>

static float bits_to_f32(uint32_t u) {
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

static uint32_t f32_to_bits(float f) {
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    return u;
}

float lf_f16_to_f32(uint16_t h) {
    uint32_t sign = (uint32_t)(h & 0x8000) << 16;
    uint32_t exp = (h >> 10) & 0x1F;
    uint32_t mant = h & 0x3FF;
    if (exp == 0x1F) return bits_to_f32(sign | 0x7F800000u | (mant << 13));
    if (exp == 0) {
        /* zero or subnormal: mant * 2^-24 is exact in binary32 */
        float v = (float)mant * 0x1p-24f;
        return sign ? -v : v;
    }
    return bits_to_f32(sign | ((exp + 112) << 23) | (mant << 13));
}

/* Shifts m right by s bits, rounding to nearest, ties to even. */
static uint32_t shift_round_even(uint32_t m, unsigned s) {
    uint32_t q = m >> s;
    uint32_t rem = m & ((1u << s) - 1);
    uint32_t half = 1u << (s - 1);
    if (rem > half || (rem == half && (q & 1))) q++;
    return q;
}

uint16_t lf_f32_to_f16(float f) {
    uint32_t x = f32_to_bits(f);
    uint16_t sign = (uint16_t)((x >> 16) & 0x8000);
    uint32_t abs = x & 0x7FFFFFFF;
    if (abs > 0x7F800000u) return (uint16_t)(sign | 0x7E00 | ((abs >> 13) & 0x3FF)); /* NaN */
    if (abs >= 0x477FF000u) return (uint16_t)(sign | 0x7C00); /* >= 65520 rounds to Inf */
    if (abs <= 0x33000000u) return sign;                      /* <= 2^-25 rounds to zero */
    uint32_t exp = abs >> 23;
    uint32_t mant = (abs & 0x7FFFFF) | 0x800000;
    if (exp < 113) /* below 2^-14: subnormal result in units of 2^-24 (may round up to normal) */
        return (uint16_t)(sign | shift_round_even(mant, 126 - exp));
    /* normal: a carry out of the mantissa correctly bumps the exponent */
    return (uint16_t)(sign | (((exp - 112) << 10) + shift_round_even(mant, 13) - 0x400));
}

float lf_bf16_to_f32(uint16_t h) { return bits_to_f32((uint32_t)h << 16); }

uint16_t lf_f32_to_bf16(float f) {
    uint32_t x = f32_to_bits(f);
    if ((x & 0x7FFFFFFF) > 0x7F800000u) return (uint16_t)((x >> 16) | 0x40); /* quiet NaN */
    return (uint16_t)((x + 0x7FFF + ((x >> 16) & 1)) >> 16);
}
