#include "chat/jinja_strings.h"

#include <string.h>

#include "chat/jinja_text.h"

static bool in_chars(uint32_t cp, jv chars) {
    if (chars.type != JV_STR) return jinja_is_space(cp);
    for (size_t i = 0; i < chars.u.s.n;)
        if (jinja_utf8_next(chars.u.s.p, chars.u.s.n, &i) == cp) return true;
    return false;
}

jv jinja_str_strip(jinja_rt *rt, jv s, jv chars, bool left, bool right) {
    jinja_charge(rt, s.u.s.n / 16);
    size_t start = 0, end = s.u.s.n;
    while (left && start < end) {
        size_t i = start;
        if (!in_chars(jinja_utf8_next(s.u.s.p, end, &i), chars)) break;
        start = i;
    }
    while (right && end > start) {
        size_t i = end - 1; /* back to the first byte of the last code point */
        while (i > start && ((unsigned char)s.u.s.p[i] & 0xC0) == 0x80) i--;
        size_t j = i;
        if (!in_chars(jinja_utf8_next(s.u.s.p, end, &j), chars)) break;
        end = i;
    }
    return jv_str(s.u.s.p + start, end - start);
}

jv jinja_str_replace(jinja_rt *rt, jv s, jv old, jv new_text, int64_t count) {
    jv_buf out = {.rt = rt};
    size_t i = 0;
    if (old.u.s.n == 0) {
        /* Python inserts new_text between characters and at both ends */
        int64_t done = 0;
        for (;;) {
            if (count < 0 || done < count) {
                jv_buf_put(&out, new_text.u.s.p, new_text.u.s.n);
                done++;
            }
            if (i >= s.u.s.n) break;
            size_t start = i;
            jinja_utf8_next(s.u.s.p, s.u.s.n, &i);
            jv_buf_put(&out, s.u.s.p + start, i - start);
        }
        return jv_buf_value(&out);
    }
    for (int64_t done = 0; count < 0 || done < count; done++) {
        const char *hit = memmem(s.u.s.p + i, s.u.s.n - i, old.u.s.p, old.u.s.n);
        if (!hit) break;
        jv_buf_put(&out, s.u.s.p + i, (size_t)(hit - (s.u.s.p + i)));
        jv_buf_put(&out, new_text.u.s.p, new_text.u.s.n);
        i = (size_t)(hit - s.u.s.p) + old.u.s.n;
    }
    jv_buf_put(&out, s.u.s.p + i, s.u.s.n - i);
    return jv_buf_value(&out);
}

jv jinja_str_split(jinja_rt *rt, int line, jv s, jv sep, int64_t maxsplit) {
    jv parts = jv_new_list(rt, 0);
    const char *p = s.u.s.p;
    size_t n = s.u.s.n, i = 0;
    int64_t splits = 0;
    if (sep.type == JV_STR) {
        if (sep.u.s.n == 0) jinja_fail(rt, line, "empty separator");
        for (;;) {
            const char *hit = maxsplit < 0 || splits < maxsplit ? memmem(p + i, n - i, sep.u.s.p, sep.u.s.n) : NULL;
            if (!hit) break;
            jv_list_push(rt, parts, jv_str(p + i, (size_t)(hit - (p + i))));
            i = (size_t)(hit - p) + sep.u.s.n;
            splits++;
        }
        jv_list_push(rt, parts, jv_str(p + i, n - i));
        return parts;
    }
    /* whitespace runs separate words; leading and trailing whitespace gives no empty word */
    for (;;) {
        while (i < n) {
            size_t j = i;
            if (!jinja_is_space(jinja_utf8_next(p, n, &j))) break;
            i = j;
        }
        if (i >= n) break;
        if (maxsplit >= 0 && splits >= maxsplit) {
            size_t end = n;
            jv_list_push(rt, parts, jinja_str_strip(rt, jv_str(p + i, end - i), jv_none(), false, true));
            break;
        }
        size_t start = i;
        while (i < n) {
            size_t j = i;
            if (jinja_is_space(jinja_utf8_next(p, n, &j))) break;
            i = j;
        }
        jv_list_push(rt, parts, jv_str(p + start, i - start));
        splits++;
    }
    return parts;
}

static bool title_filter_separator(uint32_t cp) {
    return jinja_is_space(cp) || cp == '-' || cp == '(' || cp == '{' || cp == '[' || cp == '<';
}

jv jinja_str_case(jinja_rt *rt, jv s, jinja_case mode) {
    jv_buf out = {.rt = rt};
    bool at_start = true; /* next character begins a word */
    for (size_t i = 0; i < s.u.s.n;) {
        size_t start = i;
        uint32_t cp = jinja_utf8_next(s.u.s.p, s.u.s.n, &i), mapped = cp;
        /* A stray byte is kept, and changes no word boundary: lf_chat_tokenize's markers
         * are such bytes, and must come through case changes as they went in. */
        if (cp >= 0x80 && i == start + 1) {
            jv_buf_put(&out, s.u.s.p + start, 1);
            continue;
        }
        switch (mode) {
        case JINJA_UPPER: mapped = jinja_upper(cp); break;
        case JINJA_LOWER: mapped = jinja_lower(cp); break;
        case JINJA_CAPITALIZE: mapped = at_start ? jinja_upper(cp) : jinja_lower(cp); at_start = false; break;
        case JINJA_TITLE_METHOD:
            mapped = at_start ? jinja_upper(cp) : jinja_lower(cp);
            at_start = !jinja_is_cased_letter(cp);
            break;
        case JINJA_TITLE_FILTER:
            mapped = at_start ? jinja_upper(cp) : jinja_lower(cp);
            at_start = title_filter_separator(cp);
            break;
        }
        char buf[4];
        jv_buf_put(&out, buf, jinja_utf8_encode(mapped, buf));
    }
    return jv_buf_value(&out);
}

bool jinja_str_starts(jv s, jv prefix) {
    return prefix.u.s.n <= s.u.s.n && memcmp(s.u.s.p, prefix.u.s.p, prefix.u.s.n) == 0;
}

bool jinja_str_ends(jv s, jv suffix) {
    return suffix.u.s.n <= s.u.s.n && memcmp(s.u.s.p + s.u.s.n - suffix.u.s.n, suffix.u.s.p, suffix.u.s.n) == 0;
}
