/* SHA-1 against the FIPS 180 example vectors, git's blob ids, and Python's hashlib on
 * buffers of every length around the block and padding boundaries, whole and in pieces. */
#include <stdint.h>
#include <stdio.h>

#include "core/sha1.h"
#include "hashlib_check.h"
#include "test.h"

static void hex_of(const void *data, size_t len, char hex[41]) {
    unsigned char d[20];
    lf_sha1_digest(data, len, d);
    lf_sha1_hex(d, hex);
}

static void known_vectors(void) {
    char hex[41];
    hex_of("", 0, hex);
    CHECK(!strcmp(hex, "da39a3ee5e6b4b0d3255bfef95601890afd80709"));
    hex_of("abc", 3, hex);
    CHECK(!strcmp(hex, "a9993e364706816aba3e25717850c26c9cd0d89d"));
    const char *two_blocks = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    hex_of(two_blocks, strlen(two_blocks), hex);
    CHECK(!strcmp(hex, "84983e441c3bd26ebaae4aa1f95129e5e54670f1"));
    /* one million 'a', fed in pieces of 1000 */
    char a[1000];
    memset(a, 'a', sizeof a);
    lf_sha1_ctx s;
    lf_sha1_init(&s);
    for (int i = 0; i < 1000; i++) lf_sha1_update(&s, a, sizeof a);
    unsigned char d[20];
    lf_sha1_final(&s, d);
    lf_sha1_hex(d, hex);
    CHECK(!strcmp(hex, "34aa973cd4c4daa4f61eeb2bdbad27316534016f"));
}

static void git_blob_id(const char *content, const char *want) {
    lf_sha1_ctx s;
    lf_sha1_init_git_blob(&s, strlen(content));
    lf_sha1_update(&s, content, strlen(content));
    unsigned char d[20];
    char hex[41];
    lf_sha1_final(&s, d);
    lf_sha1_hex(d, hex);
    CHECK_MSG(!strcmp(hex, want), "git blob id of '%s': %s, git says %s", content, hex, want);
}

static void hex_in_pieces(const unsigned char *data, size_t len, size_t piece, char *hex) {
    lf_sha1_ctx s;
    lf_sha1_init(&s);
    for (size_t off = 0; off < len;) {
        size_t take = piece && len - off > piece ? piece : len - off;
        lf_sha1_update(&s, data + off, take);
        off += take;
    }
    unsigned char d[20];
    lf_sha1_final(&s, d);
    lf_sha1_hex(d, hex);
}

int main(void) {
    known_vectors();
    /* `git hash-object` of the empty file and of "test content\n" */
    git_blob_id("", "e69de29bb2d1d6434b8b29ae775ad8c2e48c5391");
    git_blob_id("test content\n", "d670460b4b4aece5915caf5c68d12f560a9fe3e4");
    check_against_hashlib("sha1", hex_in_pieces);
    TEST_MAIN_END();
}
