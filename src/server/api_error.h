/* An error as the OpenAI API reports it: an HTTP status and
 * {"error": {"message", "type", "param", "code"}}. */
#ifndef LF_SERVER_API_ERROR_H
#define LF_SERVER_API_ERROR_H

typedef struct api_error {
    int status;
    const char *param; /* the request field at fault (param_text), or NULL */
    char param_text[128];
    const char *code;  /* machine-readable code, or NULL */
    char message[512];
} api_error;

/* Fills e and returns -1, so that validators can `return api_fail(...)`. param is copied
 * (cut to size, made valid UTF-8): it may name a field of a request that is freed before
 * the error goes out. */
int api_fail(api_error *e, int status, const char *param, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
/* "invalid_request_error", "authentication_error", "server_error", ... for a status. */
const char *api_error_type(int status);

#endif
