/* libFuzzer target for the Jinja interpreter: the fuzz input is the template text,
 * rendered with a fixed conversation (system, user with emoji and CJK, assistant with
 * surrounding whitespace, an assistant message without content). Checked on every
 * input: the render either succeeds with a NUL-terminated text and no error, or fails
 * with LF_ERR_TEMPLATE, no text and a message -- and it never crashes, recurses without
 * bound or runs away (the interpreter's depth, memory and work ceilings). Seeds: the real
 * templates of tests/chat_templates/. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "llamafast.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const lf_chat_message conversation[] = {
    {"system", "You are a helpful assistant."},
    {"user", "Hello \360\237\230\200 \344\275\240\345\245\275"},
    {"assistant", "  Hi there\n"},
    {"assistant", NULL},
    {"user", "Bye"},
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char *tmpl = malloc(size + 1);
    if (!tmpl) return 0;
    memcpy(tmpl, data, size);
    tmpl[size] = 0; /* a NUL inside the input simply ends the template early */
    for (int generation_prompt = 0; generation_prompt < 2; generation_prompt++) {
        char *out = NULL;
        lf_error err = {0};
        int rc = lf_chat_template_render(tmpl, conversation, sizeof conversation / sizeof conversation[0],
                                         generation_prompt, "<s>", "</s>", &out, &err);
        if (rc == LF_OK) {
            if (!out) abort();
            (void)strlen(out); /* the text is terminated */
        } else if (rc != LF_ERR_TEMPLATE || out || err.code != rc || !err.message[0]) {
            abort();
        }
        free(out);
    }
    free(tmpl);
    return 0;
}
