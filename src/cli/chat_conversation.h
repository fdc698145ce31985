/* The messages of one chat session: an optional system prompt, then user and assistant
 * turns. Contents are owned copies; roles are string constants. */
#ifndef LF_CLI_CHAT_CONVERSATION_H
#define LF_CLI_CHAT_CONVERSATION_H

#include <stdbool.h>
#include <stddef.h>

#include "llamafast.h"

typedef struct chat_conversation {
    lf_chat_message *msgs; /* msgs[0] is the system prompt when has_system */
    size_t n, cap;
    bool has_system;
} chat_conversation;

/* system may be NULL. Returns false when out of memory. */
bool chat_conversation_init(chat_conversation *c, const char *system);
bool chat_conversation_add(chat_conversation *c, const char *role, const char *content);
/* Removes the last message (a user message whose answer failed). */
void chat_conversation_pop(chat_conversation *c);
/* Forgets every turn; the system prompt stays. */
void chat_conversation_reset(chat_conversation *c);
/* Index of the first message after the system prompt. */
size_t chat_conversation_first_turn(const chat_conversation *c);
/* Index of the next user message after msgs[i] (a turn is a user message and the replies
 * up to the next one), or c->n. */
size_t chat_conversation_next_turn(const chat_conversation *c, size_t i);
/* Forgets the turns before msgs[keep]; the system prompt stays. */
void chat_conversation_drop_before(chat_conversation *c, size_t keep);
void chat_conversation_free(chat_conversation *c);

#endif
