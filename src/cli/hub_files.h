/* Which files of a Hugging Face repository to download, from the hub's listing
 * (GET /api/models/{repo}?blobs=true: "siblings" with rfilename, size, lfs.sha256). */
#ifndef LF_CLI_HUB_FILES_H
#define LF_CLI_HUB_FILES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "llamafast.h"

typedef struct hub_file {
    char *path;      /* inside the repository (validated: cannot leave the model directory) */
    int64_t size;    /* -1 when not listed */
    char sha256[65]; /* "" when not listed (files not stored with LFS) */
    bool chosen;
} hub_file;

typedef struct hub_listing {
    hub_file *files;
    size_t n;
} hub_listing;

/* Parses the API's JSON; files whose names could escape the model directory are refused. */
int hub_listing_parse(const char *json, size_t len, const char *repo, hub_listing *out, lf_error *err);
void hub_listing_free(hub_listing *l);

/* Marks what a model needs: config, tokenizer and weights files at the top level, with
 * weights of one kind — safetensors, else PyTorch (.bin/.pth/.pt), else one GGUF file.
 * Fails when the choice is not obvious (several GGUF files) or there are no weights. */
int hub_listing_choose(hub_listing *l, const char *repo, lf_error *err);

#endif
