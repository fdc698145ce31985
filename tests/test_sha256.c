/* SHA-256 against the FIPS 180-4 example vectors and against Python's hashlib on
 * buffers of every length around the block and padding boundaries, fed whole and in
 * uneven pieces. */
#include <stdint.h>
#include <stdio.h>

#include "core/sha256.h"
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

/* Byte i of the test buffers; the Python side computes the same formula. */
static unsigned char pattern(size_t i) { return (unsigned char)((i * 131 + 7) ^ (i >> 8)); }

static void against_hashlib(void) {
    const char *python = getenv("PYTHON") ? getenv("PYTHON") : "python3";
    char cmd[512];
    snprintf(cmd, sizeof cmd,
             "%s -c 'import hashlib\n"
             "for n in range(0, 300):\n"
             "    print(hashlib.sha256(bytes(((i * 131 + 7) ^ (i >> 8)) & 255 for i in range(n))).hexdigest())'",
             python);
    FILE *p = popen(cmd, "r");
    CHECK_MSG(p != NULL, "cannot run %s", python);
    if (!p) return;
    unsigned char buf[300];
    for (size_t i = 0; i < sizeof buf; i++) buf[i] = pattern(i);
    char want[128];
    size_t n = 0;
    for (; n < 300 && fgets(want, sizeof want, p); n++) {
        want[strcspn(want, "\n")] = 0;
        char hex[65];
        hex_of(buf, n, hex);
        CHECK_MSG(!strcmp(hex, want), "length %zu: %s, hashlib %s", n, hex, want);
        /* the same bytes in pieces of 1, 2, ..., 7 bytes (every split of the 64-byte block) */
        lf_sha256_ctx s;
        lf_sha256_init(&s);
        size_t off = 0;
        for (size_t piece = 1; off < n; piece = piece % 7 + 1) {
            size_t take = n - off < piece ? n - off : piece;
            lf_sha256_update(&s, buf + off, take);
            off += take;
        }
        unsigned char d[32];
        lf_sha256_final(&s, d);
        lf_sha256_hex(d, hex);
        CHECK_MSG(!strcmp(hex, want), "length %zu in pieces: %s", n, hex);
    }
    CHECK_MSG(pclose(p) == 0 && n == 300, "hashlib gave %zu digests", n);
}

int main(void) {
    known_vectors();
    against_hashlib();
    TEST_MAIN_END();
}
