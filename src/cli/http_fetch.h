/* HTTPS downloads with libcurl for `llama-fast download`: small resources into memory
 * (hub API JSON, package index pages) and files into a .part file that resumes with a
 * Range request after an interruption. Redirects are followed here (not by libcurl), so
 * that If-Range goes to the first server only and a bearer token to its host only.
 * Network failures, 5xx and 429 are retried with exponential backoff; SIGINT/SIGTERM
 * stop a transfer cleanly, leaving the .part for the next run. */
#ifndef LF_CLI_HTTP_FETCH_H
#define LF_CLI_HTTP_FETCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum http_status {
    HTTP_OK = 0,
    HTTP_ERR_AUTH = -1,        /* 401/403: a token is missing, wrong, or lacks access */
    HTTP_ERR_NOT_FOUND = -2,   /* 404 */
    HTTP_ERR_STATUS = -3,      /* another HTTP error status */
    HTTP_ERR_NETWORK = -4,     /* unreachable, timed out, connection lost (after retries) */
    HTTP_ERR_INTERRUPTED = -5, /* SIGINT or SIGTERM */
    HTTP_ERR_LOCAL = -6        /* the local file could not be written, out of memory */
} http_status;

typedef struct http_options {
    const char *token; /* sent as "Authorization: Bearer"; NULL = none. Never printed. */
    int retries;       /* extra attempts after a retryable failure */
    const char *label; /* name shown in progress and messages */
} http_options;

/* What the server said about a downloaded file. */
typedef struct http_file_info {
    int64_t size;      /* full size from X-Linked-Size, Content-Range or Content-Length; -1 unknown */
    char sha256[65];   /* from X-Linked-Etag (or the hub's ETag) when it is a sha256; "" otherwise */
    char git_oid[41];  /* the hub's ETag when it is a git blob id (40 hex digits); "" otherwise */
} http_file_info;

/* Calls curl_global_init and installs the SIGINT/SIGTERM handler that stops transfers. */
bool http_init(void);
void http_cleanup(void);
bool http_interrupted(void);

/* GETs url into a malloc'd, NUL-terminated *body of at most max_bytes. On failure,
 * msg says why (and *http_code holds the status when there was one). */
int http_get(const char *url, const http_options *opt, size_t max_bytes, char **body, size_t *len, long *http_code,
             char *msg, size_t msg_cap);

/* Downloads url into part_path. Bytes already there are kept only when validator_path
 * holds the strong ETag they were fetched under and the server shows the object is still
 * that one: the first request (to the hub, before any redirect) carries If-Range with it,
 * a 200 answer means the object changed, and a 206 must carry the same ETag (X-Linked-Etag,
 * the hub's for a file it redirects to a CDN, else the ETag). Otherwise — no validator
 * file, a weak or no ETag, another ETag — the download starts over from byte 0. A fresh
 * start writes its ETag to validator_path before the first byte. trust_etag says the first
 * responder is the model hub, whose ETag is the file's sha256 (LFS) or git blob id. */
int http_download(const char *url, const http_options *opt, bool trust_etag, const char *part_path,
                  const char *validator_path, http_file_info *info, long *http_code, char *msg, size_t msg_cap);

/* Sleeps ms milliseconds, returning early (false) when interrupted. */
bool http_sleep_ms(long ms);

#endif
