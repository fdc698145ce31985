/* GPT-2's byte <-> code point mapping: printable Latin-1 bytes ('!'..'~', '¡'..'¬',
 * '®'..'ÿ') stand for themselves; the other 68 bytes, in increasing order, become
 * U+0100..U+0143, so a space is written 'Ġ' (U+0120) and a newline 'Ċ' (U+010A). */
#include "tokenizer/tokenizer_internal.h"

static bool is_printable_self(uint32_t b) {
    return (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
}

/* The remapped bytes are 0x00-0x20 (33), 0x7F-0xA0 (34) and 0xAD (1). */
uint32_t byte_to_codepoint(uint8_t b) {
    if (is_printable_self(b)) return b;
    if (b <= 0x20) return 0x100 + b;
    if (b <= 0xA0) return 0x100 + 33 + (b - 0x7F);
    return 0x100 + 67; /* 0xAD, the soft hyphen */
}

int codepoint_to_byte(uint32_t cp) {
    if (cp <= 0xFF) return is_printable_self(cp) ? (int)cp : -1;
    if (cp < 0x100 + 33) return (int)(cp - 0x100);
    if (cp < 0x100 + 67) return (int)(cp - 0x100 - 33 + 0x7F);
    if (cp == 0x100 + 67) return 0xAD;
    return -1;
}
