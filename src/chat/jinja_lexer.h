/* Splits a template into tokens the way jinja2's lexer does with trim_blocks and
 * lstrip_blocks on (the environment Hugging Face's apply_chat_template uses): literal
 * text, the delimiters of {{ }} and {% %} (comments vanish), and the expression tokens
 * between them. Whitespace control ({%- -%}, {{- -}}, {%+ +%}) is applied to the text. */
#ifndef LF_CHAT_JINJA_LEXER_H
#define LF_CHAT_JINJA_LEXER_H

#include "chat/jinja_runtime.h"

typedef enum jtok_type {
    JT_TEXT,
    JT_VAR_BEGIN,
    JT_VAR_END,
    JT_BLOCK_BEGIN,
    JT_BLOCK_END,
    JT_NAME,
    JT_STRING, /* p/n hold the unescaped value */
    JT_INT,
    JT_FLOAT,
    JT_OP,     /* p/n hold the operator, e.g. "==" */
    JT_EOF
} jtok_type;

typedef struct jtok {
    jtok_type type;
    int line;
    const char *p;
    size_t n;
    int64_t i;
    double f;
} jtok;

/* Tokens of src (len bytes), ending with JT_EOF; fails the render on a syntax error. */
jtok *jinja_lex(jinja_rt *rt, const char *src, size_t len, size_t *n_tokens);

#endif
