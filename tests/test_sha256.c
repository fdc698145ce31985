/* SHA-256 against the FIPS 180-4 example vectors and against Python's hashlib on
 * buffers of every length around the block and padding boundaries, fed whole and in
 * uneven pieces. */
#include <stdint.h>
#include <stdio.h>

#include "core/sha256.h"
#include "hashlib_check.h"
#include "test.h"

static void hex_of(const void *data, size_t len, char hex[65]) {
    unsigned char d[32];
    lf_sha256_digest(data, len, d);
    lf_sha256_hex(d, hex);
}

static void known_vectors(void) {
    char hex[65];
    hex_of("", 0, hex);
    CHECK(!strcmp(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"));
    hex_of("abc", 3, hex);
    CHECK(!strcmp(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"));
    const char *two_blocks = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    hex_of(two_blocks, strlen(two_blocks), hex);
    CHECK(!strcmp(hex, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"));
    /* one million 'a', fed in pieces of 1000 */
    char a[1000];
    memset(a, 'a', sizeof a);
    lf_sha256_ctx s;
    lf_sha256_init(&s);
    for (int i = 0; i < 1000; i++) lf_sha256_update(&s, a, sizeof a);
    unsigned char d[32];
    lf_sha256_final(&s, d);
    lf_sha256_hex(d, hex);
    CHECK(!strcmp(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"));
}

static void hex_in_pieces(const unsigned char *data, size_t len, size_t piece, char *hex) {
    lf_sha256_ctx s;
    lf_sha256_init(&s);
    for (size_t off = 0; off < len;) {
        size_t take = piece && len - off > piece ? piece : len - off;
        lf_sha256_update(&s, data + off, take);
        off += take;
    }
    unsigned char d[32];
    lf_sha256_final(&s, d);
    lf_sha256_hex(d, hex);
}

int main(void) {
    known_vectors();
    check_against_hashlib("sha256", hex_in_pieces);
    TEST_MAIN_END();
}
