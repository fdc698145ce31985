/* Python str operations shared by the filters and the string methods. */
#ifndef LF_CHAT_JINJA_STRINGS_H
#define LF_CHAT_JINJA_STRINGS_H

#include "chat/jinja_value.h"

/* str.strip/lstrip/rstrip(chars): chars None strips Unicode whitespace. */
jv jinja_str_strip(jinja_rt *rt, jv s, jv chars, bool left, bool right);
/* str.replace(old, new, count); count < 0 replaces all. */
jv jinja_str_replace(jinja_rt *rt, jv s, jv old, jv new_text, int64_t count);
/* str.split(sep, maxsplit); sep None splits on runs of whitespace. */
jv jinja_str_split(jinja_rt *rt, int line, jv s, jv sep, int64_t maxsplit);

typedef enum jinja_case {
    JINJA_UPPER,
    JINJA_LOWER,
    JINJA_CAPITALIZE,   /* first character upper, the rest lower */
    JINJA_TITLE_METHOD, /* str.title(): upper after every non-letter */
    JINJA_TITLE_FILTER, /* jinja's |title: upper after whitespace, '-', '(', '{', '[', '<' */
} jinja_case;
jv jinja_str_case(jinja_rt *rt, jv s, jinja_case mode);

bool jinja_str_starts(jv s, jv prefix);
bool jinja_str_ends(jv s, jv suffix);

#endif
