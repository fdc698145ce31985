/* libFuzzer target for the server's request validation (src/server/request.c, request_logprobs.c): any body
 * must give a request within the documented ranges, or a 400/500 with a message -- for
 * chat and plain completions alike. The server objects are not part of the library that
 * fuzz/run-smoke.sh links, so the two sources are compiled in here. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "server/api_error.c"
#include "server/request.c"
#include "server/request_logprobs.c"
#include "server/utf8_text.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_request(const completion_request *r) {
    int n_prompts = r->chat ? 1 : r->n_prompts;
    if (r->chat ? r->n_messages == 0 : r->n_prompts == 0) abort();
    if (r->n < 1 || n_prompts * r->n > REQUEST_MAX_CHOICES) abort();
    if (!(r->temperature >= 0 && r->temperature <= 2) || !(r->top_p >= 0 && r->top_p <= 1)) abort();
    if (r->max_tokens < 0 || r->n_stops < 0 || r->n_stops > REQUEST_MAX_STOPS) abort();
    for (size_t i = 0; i < r->n_messages; i++)
        if (!r->messages[i].role[0] || strlen(r->messages[i].content) > SIZE_MAX / 2) abort();
    for (int i = 0; i < r->n_prompts; i++) (void)strlen(r->prompts[i]);
    if (r->logprobs < -1 || r->logprobs > (r->chat ? LOGPROBS_MAX_TOP : 5) || (r->chat && r->echo)) abort();
    for (int i = 0; i < r->n_stops; i++)
        if (!r->stops[i][0]) abort(); /* empty stop strings are dropped */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    for (int chat = 0; chat < 2; chat++) {
        completion_request r;
        api_error e = {0};
        if (request_parse((const char *)data, size, chat, &r, &e) == 0) {
            check_request(&r);
        } else if ((e.status != 400 && e.status != 500) || !e.message[0] || strlen(e.message) >= sizeof e.message) {
            abort();
        }
        request_free(&r);
    }
    return 0;
}
