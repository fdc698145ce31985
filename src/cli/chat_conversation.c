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
    for (size_t i = from; i < to; i++) free((char *)c->msgs[i].content);
    memmove(c->msgs + from, c->msgs + to, (c->n - to) * sizeof *c->msgs);
    c->n -= to - from;
}

void chat_conversation_pop(chat_conversation *c) {
    if (c->n > (c->has_system ? 1u : 0u)) remove_range(c, c->n - 1, c->n);
}

void chat_conversation_reset(chat_conversation *c) { remove_range(c, c->has_system ? 1 : 0, c->n); }

bool chat_conversation_drop_oldest_turn(chat_conversation *c) {
    size_t first = c->has_system ? 1 : 0, end = first + 1;
    while (end < c->n && strcmp(c->msgs[end].role, "user") != 0) end++;
    if (end >= c->n) return false; /* no later user message: this turn is the newest */
    remove_range(c, first, end);
    return true;
}

void chat_conversation_free(chat_conversation *c) {
    remove_range(c, 0, c->n);
    free(c->msgs);
    *c = (chat_conversation){0};
}
