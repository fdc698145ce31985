/* libFuzzer target for the server's request validation (src/server/request.c, request_logprobs.c): any body
 * must give a request within the documented ranges, or a 400/500 with a message -- for
 * chat and plain completions alike. The server objects are not part of the library that
 * fuzz/run-smoke.sh links, so their sources are compiled in here. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "server/api_error.c"
#include "server/request.c"
#include "server/request_fields.c"
#include "server/request_grammar.c"
#include "server/tool_request.c"
#include "server/request_logprobs.c"
#include "server/utf8_text.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_request(const completion_request *r) {
    int n_prompts = r->chat ? 1 : r->n_prompts;
    if (r->chat ? r->n_messages == 0 : r->n_prompts == 0) abort();
    if (r->n < 1 || n_prompts * r->n > REQUEST_MAX_CHOICES) abort();
    const lf_sampler_params *p = &r->sampling;
    if (!(p->temperature >= 0 && p->temperature <= 2) || !(p->top_p >= 0 && p->top_p <= 1) || p->top_k < 0 ||
        !(p->min_p >= 0 && p->min_p <= 1) || !(p->typical_p >= 0 && p->typical_p <= 1) || !(p->repeat_penalty > 0) ||
        p->repeat_last_n < -1 || p->n_logit_bias < 0)
        abort();
    for (int i = 0; i < p->n_logit_bias; i++)
        if (p->logit_bias[i].token < 0 || !(p->logit_bias[i].bias <= 100)) abort();
    if (r->max_tokens < 0 || r->n_stops < 0 || r->n_stops > REQUEST_MAX_STOPS) abort();
    for (size_t i = 0; i < r->n_messages; i++)
        if (!r->messages[i].role[0] || strlen(r->messages[i].content) > SIZE_MAX / 2) abort();
    for (int i = 0; i < r->n_prompts; i++) (void)strlen(r->prompts[i]);
    /* tools are kept parsed and as the JSON text of the same array, and a forced call has a schema */
    json_t *tools = r->tools.tools_json ? json_loads(r->tools.tools_json, 0, NULL) : NULL;
    if (r->tools.tools_json && !json_is_array(tools)) abort();
    if (r->tools.tools_json ? !json_equal(tools, r->tools.tools) : r->tools.tools != NULL) abort();
    json_decref(tools);
    char *schema = tool_call_schema(&r->tools, false);
    if (r->tools.tools_json && (r->tools.choice == TOOL_CHOICE_REQUIRED || r->tools.choice == TOOL_CHOICE_NAMED) && !schema)
        abort();
    free(schema);
    if (r->logprobs < -1 || r->logprobs > (r->chat ? LOGPROBS_MAX_TOP : 5) || (r->chat && r->echo)) abort();
    for (int i = 0; i < r->n_stops; i++)
        if (!r->stops[i][0]) abort(); /* empty stop strings are dropped */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    for (int chat = 0; chat < 2; chat++) {
        completion_request r;
        api_error e = {0};
        if (request_parse((const char *)data, size, chat, NULL, &r, &e) == 0) {
            check_request(&r);
        } else if ((e.status != 400 && e.status != 500) || !e.message[0] || strlen(e.message) >= sizeof e.message) {
            abort();
        }
        request_free(&r);
    }
    return 0;
}
