/* Checks a digest implementation against Python's hashlib on buffers of every length up
 * to 300 bytes (around the block and padding boundaries), fed whole and in pieces of 1,
 * 2, ..., 7 bytes (every split of a 64-byte block). The caller's hex_in_pieces hashes
 * data in pieces of at most piece bytes (piece 0: in one call). */
#ifndef LF_TEST_HASHLIB_CHECK_H
#define LF_TEST_HASHLIB_CHECK_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test.h"

typedef void (*hex_in_pieces_fn)(const unsigned char *data, size_t len, size_t piece, char *hex);

/* Byte i of the test buffers; the Python side computes the same formula. */
static unsigned char hashlib_pattern(size_t i) { return (unsigned char)((i * 131 + 7) ^ (i >> 8)); }

static void check_against_hashlib(const char *algorithm, hex_in_pieces_fn hex_in_pieces) {
    const char *python = getenv("PYTHON") ? getenv("PYTHON") : "python3";
    char cmd[512];
    snprintf(cmd, sizeof cmd,
             "%s -c 'import hashlib\n"
             "for n in range(0, 300):\n"
             "    print(hashlib.%s(bytes(((i * 131 + 7) ^ (i >> 8)) & 255 for i in range(n))).hexdigest())'",
             python, algorithm);
    FILE *p = popen(cmd, "r");
    CHECK_MSG(p != NULL, "cannot run %s", python);
    if (!p) return;
    unsigned char buf[300];
    for (size_t i = 0; i < sizeof buf; i++) buf[i] = hashlib_pattern(i);
    char want[160], hex[160];
    size_t n = 0;
    for (; n < 300 && fgets(want, sizeof want, p); n++) {
        want[strcspn(want, "\n")] = 0;
        hex_in_pieces(buf, n, 0, hex);
        CHECK_MSG(!strcmp(hex, want), "%s, length %zu: %s, hashlib %s", algorithm, n, hex, want);
        for (size_t piece = 1; piece <= 7; piece++) {
            hex_in_pieces(buf, n, piece, hex);
            CHECK_MSG(!strcmp(hex, want), "%s, length %zu in pieces of %zu: %s", algorithm, n, piece, hex);
        }
    }
    CHECK_MSG(pclose(p) == 0 && n == 300, "hashlib gave %zu digests", n);
}

#endif
