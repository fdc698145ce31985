/* Base64 decoding: the RFC 4648 test vectors with and without padding, both alphabets,
 * every byte value, and the inputs that must be refused. */
#include <string.h>

#include "core/base64.h"
#include "test.h"

static void rfc4648_vectors(void) {
    static const char *const vectors[][2] = {{"", ""},         {"f", "Zg=="},         {"fo", "Zm8="},
                                             {"foo", "Zm9v"},  {"foob", "Zm9vYg=="},  {"fooba", "Zm9vYmE="},
                                             {"foobar", "Zm9vYmFy"}};
    for (size_t i = 0; i < sizeof vectors / sizeof vectors[0]; i++) {
        const char *plain = vectors[i][0], *enc = vectors[i][1];
        unsigned char out[16];
        size_t n = strlen(enc), unpadded = n;
        while (unpadded && enc[unpadded - 1] == '=') unpadded--;
        for (int pass = 0; pass < 2; pass++) {
            long len = lf_base64_decode(enc, pass ? unpadded : n, LF_BASE64_STANDARD, out, sizeof out);
            CHECK_MSG(len == (long)strlen(plain) && !memcmp(out, plain, strlen(plain)), "%s (%s): %ld", enc,
                      pass ? "unpadded" : "padded", len);
        }
    }
}

/* 0x00..0xFF then 0xFB 0xFF: encoded by hand into both alphabets, decoded back. */
static void every_byte(void) {
    static const char std[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    unsigned char plain[258], out[258];
    for (int i = 0; i < 256; i++) plain[i] = (unsigned char)i;
    plain[256] = 0xFB, plain[257] = 0xFF;
    for (int urlsafe = 0; urlsafe < 2; urlsafe++) {
        char enc[400];
        size_t n = 0;
        for (size_t i = 0; i < sizeof plain; i += 3) {
            unsigned v = (unsigned)plain[i] << 16 | (i + 1 < sizeof plain ? (unsigned)plain[i + 1] << 8 : 0) |
                         (i + 2 < sizeof plain ? plain[i + 2] : 0);
            size_t chars = i + 2 < sizeof plain ? 4 : i + 1 < sizeof plain ? 3 : 2;
            for (size_t k = 0; k < chars; k++) {
                char c = std[(v >> (18 - 6 * k)) & 63];
                enc[n++] = urlsafe && c == '+' ? '-' : urlsafe && c == '/' ? '_' : c;
            }
        }
        long len = lf_base64_decode(enc, n, urlsafe ? LF_BASE64_URLSAFE : LF_BASE64_STANDARD, out, sizeof out);
        CHECK_MSG(len == (long)sizeof plain && !memcmp(out, plain, sizeof plain), "alphabet %d: %ld", urlsafe, len);
        /* the other alphabet's characters are not this one's */
        CHECK(lf_base64_decode(enc, n, urlsafe ? LF_BASE64_STANDARD : LF_BASE64_URLSAFE, out, sizeof out) == -1);
        CHECK(lf_base64_decode(enc, n, urlsafe ? LF_BASE64_URLSAFE : LF_BASE64_STANDARD, out, sizeof out - 1) == -1);
    }
}

static void refused(void) {
    static const char *const bad[] = {"A", "AAAAA", "A===", "AB=C", "=AAA", "AB=", "*AAA", "AA\nA", "Zm9v YmFy"};
    unsigned char out[16];
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        CHECK_MSG(lf_base64_decode(bad[i], strlen(bad[i]), LF_BASE64_STANDARD, out, sizeof out) == -1, "'%s'", bad[i]);
    CHECK(lf_base64_value('+', LF_BASE64_STANDARD) == 62 && lf_base64_value('-', LF_BASE64_URLSAFE) == 62);
    CHECK(lf_base64_value('_', LF_BASE64_STANDARD) == -1 && lf_base64_value('=', LF_BASE64_URLSAFE) == -1);
}

int main(void) {
    rfc4648_vectors();
    every_byte();
    refused();
    TEST_MAIN_END();
}
