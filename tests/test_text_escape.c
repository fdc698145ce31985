/* Escaping text for the terminal: which bytes are escaped and how, valid UTF-8 left alone,
 * idempotence, cuts only between whole units, the escaping vsnprintf against libc's on
 * numbers, and the library's error messages escaping their arguments. */
#include <stdarg.h>
#include <stdint.h>
#include <string.h>

#include "core/error.h"
#include "test.h"

static const char *escape(const char *s, size_t n) {
    static char buf[4096];
    size_t need = lf_escape_text(buf, sizeof buf, s, n);
    CHECK(need == strlen(buf));
    return buf;
}

__attribute__((format(printf, 3, 4))) static int fmt(char *dst, size_t cap, const char *f, ...) {
    va_list ap;
    va_start(ap, f);
    int n = lf_vformat_escaped(dst, cap, f, ap);
    va_end(ap);
    return n;
}

static void escapes(void) {
    static const struct {
        const char *in;
        size_t n;
        const char *out;
    } cases[] = {
#define C(in, out) {in, sizeof in - 1, out}
        C("plain text", "plain text"),
        C("caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\xa6\x99", "caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\xa6\x99"),
        C("a\x1b[31mb", "a\\x1b[31mb"),
        C("\a\b\t\n\v\f\r", "\\x07\\x08\\x09\\x0a\\x0b\\x0c\\x0d"),
        C("x\0y", "x\\x00y"),
        C("\x7f", "\\x7f"),
        C("back\\slash \\x1b", "back\\slash \\x1b"),
        C("\xc2\x9b" "2J", "\\xc2\\x9b2J"),            /* C1 CSI, as UTF-8 */
        C("\xc2\x80\xc2\x9f\xc2\xa0", "\\xc2\\x80\\xc2\\x9f\xc2\xa0"), /* U+00A0 is not C1 */
        C("\x9b" "2J", "\\x9b2J"),                      /* a lone 8-bit CSI */
        C("\xff\xfe", "\\xff\\xfe"),
        C("\xc0\xaf", "\\xc0\\xaf"),                    /* overlong '/' */
        C("\xe0\x80\xaf", "\\xe0\\x80\\xaf"),           /* overlong, 3 bytes */
        C("\xed\xa0\x80", "\\xed\\xa0\\x80"),           /* surrogate */
        C("\xf4\x90\x80\x80", "\\xf4\\x90\\x80\\x80"),  /* above U+10FFFF */
        C("\xf0\x9f\xa6", "\\xf0\\x9f\\xa6"),           /* cut short */
        C("\xe6\x97x", "\\xe6\\x97x"),
        C("\xef\xbf\xbf\xf4\x8f\xbf\xbf", "\xef\xbf\xbf\xf4\x8f\xbf\xbf"), /* U+FFFF, U+10FFFF */
#undef C
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *got = escape(cases[i].in, cases[i].n);
        CHECK_MSG(!strcmp(got, cases[i].out), "case %zu: got \"%s\"", i, got);
    }
}

/* Escaped text has no byte to escape left, and a cut output is a prefix of the whole one
 * ending between units, with the whole length returned whatever the room. */
static void idempotent_and_cut(void) {
    uint32_t state = 12345;
    static const unsigned char pick[] = {0x1b, 0x07, '\n', 0x7f, 0x80, 0x9b, 0xa0, 0xbf, 0xc2, 0xc3,
                                         0xe6, 0xed, 0xf0, 0xf4, 0xff, 'a',  '\\', 'x',  '1',  'b'};
    int bad_idem = 0, bad_cut = 0;
    for (int t = 0; t < 3000; t++) {
        char in[24], once[128], twice[128], cut[128];
        size_t n = (size_t)(t % 24);
        for (size_t i = 0; i < n; i++) {
            state = state * 1103515245u + 12345u;
            in[i] = (char)pick[(state >> 16) % sizeof pick];
        }
        size_t len = lf_escape_text(once, sizeof once, in, n);
        size_t len2 = lf_escape_text(twice, sizeof twice, once, len);
        if (len2 != len || strcmp(once, twice)) bad_idem++;
        for (size_t cap = 0; cap <= len + 1; cap++) {
            memset(cut, 'Z', sizeof cut);
            size_t got = lf_escape_text(cap ? cut : NULL, cap, in, n);
            if (got != len) bad_cut++;
            if (!cap) continue;
            size_t w = strlen(cut);
            if (w >= cap || strncmp(cut, once, w)) bad_cut++;
            char again[128];
            if (lf_escape_text(again, sizeof again, cut, w) != w) bad_cut++;
        }
    }
    CHECK_MSG(bad_idem == 0, "%d inputs changed when escaped twice", bad_idem);
    CHECK_MSG(bad_cut == 0, "%d cuts were wrong", bad_cut);
}

static void format_escapes_arguments_only(void) {
    char buf[256];
    int n = fmt(buf, sizeof buf, "error: %s: %s\n", "/tmp/x\x1b[31mbad.gguf", "line\nbreak");
    CHECK(!strcmp(buf, "error: /tmp/x\\x1b[31mbad.gguf: line\\x0abreak\n"));
    CHECK(n == (int)strlen(buf));
    fmt(buf, sizeof buf, "[%-6s|%6s|%c|%c|%%]", "ab", "\x1b", 'q', '\r');
    CHECK_MSG(!strcmp(buf, "[ab    |     \\x1b|q|\\x0d|%]"), "%s", buf);
    const char *none = getenv("LF_TEST_UNSET_VARIABLE");
    fmt(buf, sizeof buf, "%.*s|%.3s|%s", 4, "\x07" "abcdef", "\xc2\x9b" "xyz", none);
    CHECK_MSG(!strcmp(buf, "\\x07abc|\\xc2\\x9bx|(null)"), "%s", buf);
    fmt(buf, sizeof buf, "%s \xc3\x97 %d", "caf\xc3\xa9", 3);
    CHECK(!strcmp(buf, "caf\xc3\xa9 \xc3\x97 3"));
    const char *unsupported = "%d%n";
    int sink = 0;
    CHECK(fmt(buf, sizeof buf, unsupported, 1, &sink) == -1);
    CHECK(fmt(buf, sizeof buf, "%ls", (const wchar_t *)L"x") == -1);
}

/* Numbers go through libc: the output must be libc's, whatever the length modifier. */
static void numbers_match_libc(void) {
    char a[128], b[128];
#define SAME(...)                                                    \
    do {                                                             \
        int na = fmt(a, sizeof a, __VA_ARGS__);                      \
        int nb = snprintf(b, sizeof b, __VA_ARGS__);                 \
        CHECK_MSG(na == nb && !strcmp(a, b), "\"%s\" vs \"%s\"", a, b); \
    } while (0)
    SAME("%d %i %5d %-5d| %+d %05d", -42, 7, 3, 3, 9, -12);
    SAME("%u %x %X %#o %#x %8.3x", 4000000000u, 255u, 255u, 8u, 0u, 17u);
    SAME("%hhd %hd %hhu %hu", (signed char)-5, (short)-30000, (unsigned char)200, (unsigned short)60000);
    SAME("%ld %lu %lld %llu", -1L, (unsigned long)-1, (long long)INT64_MIN, (unsigned long long)UINT64_MAX);
    SAME("%zu %zd %td %jd %ju", (size_t)-1, (size_t)5, (ptrdiff_t)-3, (intmax_t)-9, (uintmax_t)9);
    SAME("%f %.2f %10.3e %g %G %a %Lf", 3.14159, 2.005, 12345.678, 1e-10, 1e300, 1.0, (long double)0.5);
    SAME("%*d|%-*d|%*d|%.*f|%.*d", 6, 1, 6, 2, -6, 3, 3, 2.5, -1, 7);
    SAME("%.1f MiB, %3d%%", 135.0 / 1.5, 50);
    int x;
    SAME("%p %p", (void *)&x, (void *)NULL);
#undef SAME
}

static void library_messages_escape(void) {
    lf_error err;
    int rc = lf_fail(&err, LF_ERR_FORMAT, "%s: tensor '%s' is bad", "m\x1b]0;title\x07.gguf", "blk\r.0");
    CHECK(rc == LF_ERR_FORMAT && err.code == LF_ERR_FORMAT);
    CHECK_MSG(!strcmp(err.message, "m\\x1b]0;title\\x07.gguf: tensor 'blk\\x0d.0' is bad"), "%s", err.message);
    char longname[2000];
    memset(longname, 0x1b, sizeof longname - 1);
    longname[sizeof longname - 1] = '\0';
    lf_fail(&err, LF_ERR_IO, "%s", longname);
    size_t n = strlen(err.message);
    CHECK(n < sizeof err.message && n % 4 == 0 && n > 400);
    CHECK(!strncmp(err.message + n - 4, "\\x1b", 4));
}

int main(void) {
    escapes();
    idempotent_and_cut();
    format_escapes_arguments_only();
    numbers_match_libc();
    library_messages_escape();
    TEST_MAIN_END();
}
