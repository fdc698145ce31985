/* The server's request parsing (src/server/http_head.c, http_chunked.c), compiled in
 * here because the server is not part of the library: what a head yields, which heads
 * are refused with which status, keep-alive per version and Connection, and chunked
 * bodies decoded whole and in pieces. */
#include "test.h"

#include "server/http_chunked.c"
#include "server/http_head.c"

static http_head head;

static http_head_result parse(const char *text, int *status, size_t *used) {
    const char *why = NULL;
    *status = 0;
    return http_head_parse(text, strlen(text), &head, used, status, &why);
}

static void expect_status(const char *text, int want) {
    int status;
    size_t used;
    http_head_result r = parse(text, &status, &used);
    CHECK_MSG(r == HTTP_HEAD_BAD && status == want, "%.40s: result %d status %d, want %d", text, r, status, want);
}

static void test_good_heads(void) {
    int status;
    size_t used;
    const char *get = "GET /v1/models?x=1 HTTP/1.1\r\nHost: localhost:8080\r\nAccept:  */*  \r\n\r\nNEXT";
    CHECK(parse(get, &status, &used) == HTTP_HEAD_DONE);
    CHECK(used == strlen(get) - 4);
    CHECK(!strcmp(head.method, "GET") && !strcmp(head.target, "/v1/models?x=1") && head.minor == 1);
    CHECK(!strcmp(http_head_field(&head, "host"), "localhost:8080"));
    CHECK(!strcmp(http_head_field(&head, "ACCEPT"), "*/*")); /* surrounding spaces dropped */
    CHECK(head.keep_alive && !head.has_length && !head.chunked && !head.expect_continue);

    /* LF-only lines and leading empty lines, as RFC 9112 lets a server accept */
    CHECK(parse("\r\n\nPOST /x HTTP/1.0\nContent-Length: 12\nConnection: keep-alive\n\n", &status, &used) ==
          HTTP_HEAD_DONE);
    CHECK(head.minor == 0 && head.has_length && head.content_length == 12 && head.keep_alive);
    CHECK(parse("GET / HTTP/1.0\r\n\r\n", &status, &used) == HTTP_HEAD_DONE && !head.keep_alive);
    CHECK(parse("GET / HTTP/1.1\r\nHost: a\r\nConnection: Keep-Alive, CLOSE\r\n\r\n", &status, &used) ==
              HTTP_HEAD_DONE &&
          !head.keep_alive);
    CHECK(parse("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: Chunked\r\nExpect: 100-Continue\r\n\r\n", &status,
                &used) == HTTP_HEAD_DONE &&
          head.chunked && head.expect_continue);
    CHECK(parse("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\ncontent-length: 5\r\n\r\n", &status, &used) ==
          HTTP_HEAD_DONE); /* the same length twice is one length */
    CHECK(parse("OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n", &status, &used) == HTTP_HEAD_DONE);
    CHECK(parse("GET / HTTP/1.1\r\nHost: a\r\nX-Empty:\r\n\r\n", &status, &used) == HTTP_HEAD_DONE &&
          !strcmp(http_head_field(&head, "X-Empty"), ""));
}

static void test_incomplete_heads(void) {
    int status;
    size_t used;
    const char *partial[] = {"", "G", "GET / HTTP/1.1", "GET / HTTP/1.1\r\n", "GET / HTTP/1.1\r\nHost: a\r\n",
                             "GET / HTTP/1.1\r\nHost: a\r\n\r", "\r"};
    for (size_t i = 0; i < sizeof partial / sizeof *partial; i++)
        CHECK_MSG(parse(partial[i], &status, &used) == HTTP_HEAD_INCOMPLETE, "'%s'", partial[i]);
}

static void test_refused_heads(void) {
    /* refused as soon as the bytes cannot start a request line, before any line ends */
    expect_status("GARB\x01", 400);
    expect_status("\x16\x03\x01", 400);
    expect_status("GET /\x7f", 400);
    expect_status("GARBAGE\r\n\r\n", 400);
    expect_status("GET\r\n\r\n", 400);
    expect_status("GET  / HTTP/1.1\r\nHost: a\r\n\r\n", 400);
    expect_status("GET / HTTP/1.1 \r\nHost: a\r\n\r\n", 400);
    expect_status("G(T / HTTP/1.1\r\nHost: a\r\n\r\n", 400);
    expect_status("GET x HTTP/1.1\r\nHost: a\r\n\r\n", 400);
    expect_status("GET / HTTX/1.1\r\nHost: a\r\n\r\n", 400);
    expect_status("GET / HTTP/1.10\r\nHost: a\r\n\r\n", 400);
    expect_status("GET / HTTP/2.0\r\nHost: a\r\n\r\n", 505);
    expect_status("GET / HTTP/0.9\r\nHost: a\r\n\r\n", 505);
    expect_status("GET / HTTP/1.1\r\n\r\n", 400);                                  /* no Host */
    expect_status("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400);
    expect_status("GET / HTTP/1.1\r\nHost: a\r\n folded\r\n\r\n", 400);
    expect_status("GET / HTTP/1.1\r\nHost : a\r\n\r\n", 400);
    expect_status("GET / HTTP/1.1\r\nHost: a\r\nNoColon\r\n\r\n", 400);
    expect_status("GET / HTTP/1.1\r\nHost: a\r\nX: a\rb\r\n\r\n", 400);
    expect_status("GET / HTTP/1.1\r\nHost: a\r\nX: a\x01\r\n\r\n", 400);
    expect_status("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1x\r\n\r\n", 400);
    expect_status("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: +1\r\n\r\n", 400);
    expect_status("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1234567890123456789\r\n\r\n", 400);
    expect_status("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", 400);
    expect_status("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n", 400);
    expect_status("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 501);
    expect_status("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", 400);
    expect_status("POST / HTTP/1.1\r\nHost: a\r\nExpect: magic\r\n\r\n", 417);
    char big[HTTP_HEAD_MAX + 64];
    snprintf(big, sizeof big, "GET /%0*d", HTTP_HEAD_MAX, 0);
    expect_status(big, 414); /* a request line that never ends within the limit */
    snprintf(big, sizeof big, "GET / HTTP/1.1\r\nHost: a\r\nX: %0*d", HTTP_HEAD_MAX, 0);
    expect_status(big, 431);
    char many[4096] = "GET / HTTP/1.1\r\nHost: a\r\n";
    for (int i = 0; i < HTTP_MAX_FIELDS; i++) strcat(many, "X: y\r\n");
    strcat(many, "\r\n");
    expect_status(many, 431);
    /* a NUL inside the head */
    const char nul[] = "GET / HTTP/1.1\r\nHost: a\0b\r\n\r\n";
    int status = 0;
    size_t used;
    const char *why;
    CHECK(http_head_parse(nul, sizeof nul - 1, &head, &used, &status, &why) == HTTP_HEAD_BAD && status == 400);
}

/* Decodes text whole and in pieces of every size; both must give want (NULL: refused)
 * and agree on the bytes. */
static void expect_chunked(const char *text, const char *want, size_t max) {
    size_t n = strlen(text);
    for (size_t step = 1; step <= n; step++) {
        char *buf = malloc(n + 1);
        memcpy(buf, text, n + 1);
        chunked_decoder d = {0};
        chunked_result r = CHUNKED_MORE;
        for (size_t have = 0; r == CHUNKED_MORE && have < n;) {
            have = have + step < n ? have + step : n;
            r = chunked_decode(&d, buf, have, max);
        }
        if (want)
            CHECK_MSG(r == CHUNKED_DONE && d.out == strlen(want) && !memcmp(buf, want, d.out),
                      "step %zu: '%s' -> %d '%.*s'", step, text, r, (int)d.out, buf);
        else CHECK_MSG(r == CHUNKED_BAD || r == CHUNKED_TOO_LARGE, "step %zu: '%s' -> %d", step, text, r);
        free(buf);
    }
}

static void test_chunked(void) {
    expect_chunked("0\r\n\r\n", "", 100);
    expect_chunked("5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n", "hello world", 100);
    expect_chunked("5;name=value\r\nhello\r\nA\r\n0123456789\r\n0\r\nTrailer: x\r\n\r\nNEXT REQUEST", "hello0123456789",
                   100);
    expect_chunked("5\nhello\n0\n\n", "hello", 100);
    expect_chunked("5\r\nhello\r\n0\r\n\r\n", NULL, 4);   /* over max */
    expect_chunked("x\r\nhello\r\n0\r\n\r\n", NULL, 100); /* not hex */
    expect_chunked("5\r\nhelloXX0\r\n\r\n", NULL, 100);   /* data longer than its size */
    expect_chunked("ffffffffffffffffff\r\n", NULL, 100);  /* overflow */
    expect_chunked("-5\r\nhello\r\n0\r\n\r\n", NULL, 100);
    char done[] = "3\r\nabc\r\n0\r\n\r\nGET";
    chunked_decoder d = {0};
    CHECK(chunked_decode(&d, done, strlen(done), 100) == CHUNKED_DONE && d.raw == strlen(done) - 3 && d.out == 3);
    CHECK(chunked_decode(&d, done, strlen(done), 100) == CHUNKED_DONE); /* done stays done */
}

int main(void) {
    test_good_heads();
    test_incomplete_heads();
    test_refused_heads();
    test_chunked();
    TEST_MAIN_END();
}
