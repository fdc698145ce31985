#include "cli/chat_conversation.h"

#include <stdlib.h>
#include <string.h>

bool chat_conversation_init(chat_conversation *c, const char *system) {
    *c = (chat_conversation){0};
    if (!system) return true;
    c->has_system = true;
    return chat_conversation_add(c, "system", system);
}

bool chat_conversation_add(chat_conversation *c, const char *role, const char *content) {
    if (c->n == c->cap) {
        size_t cap = c->cap ? 2 * c->cap : 16;
        lf_chat_message *m = realloc(c->msgs, cap * sizeof *m);
        if (!m) return false;
        c->msgs = m;
        c->cap = cap;
    }
    char *copy = strdup(content);
    if (!copy) return false;
    c->msgs[c->n++] = (lf_chat_message){.role = role, .content = copy};
    return true;
}

/* Frees the contents of msgs[from, to) and closes the gap. */
static void remove_range(chat_conversation *c, size_t from, size_t to) {
    if (from >= to) return;
    for (size_t i = from; i < to; i++) free((char *)c->msgs[i].content);
    memmove(c->msgs + from, c->msgs + to, (c->n - to) * sizeof *c->msgs);
    c->n -= to - from;
}

void chat_conversation_pop(chat_conversation *c) {
    if (c->n > chat_conversation_first_turn(c)) remove_range(c, c->n - 1, c->n);
}

void chat_conversation_reset(chat_conversation *c) { remove_range(c, chat_conversation_first_turn(c), c->n); }

size_t chat_conversation_first_turn(const chat_conversation *c) { return c->has_system ? 1 : 0; }

size_t chat_conversation_next_turn(const chat_conversation *c, size_t i) {
    for (i++; i < c->n; i++)
        if (!strcmp(c->msgs[i].role, "user")) return i;
    return c->n;
}

void chat_conversation_drop_before(chat_conversation *c, size_t keep) {
    size_t first = chat_conversation_first_turn(c);
    if (keep > first) remove_range(c, first, keep);
}

void chat_conversation_free(chat_conversation *c) {
    remove_range(c, 0, c->n);
    free(c->msgs);
    *c = (chat_conversation){0};
}
