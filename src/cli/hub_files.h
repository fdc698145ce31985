/* Which files of a Hugging Face repository to download, and what each must hash to, from
 * the hub's listing of a directory (GET /api/models/{repo}/tree/{revision}[/{dir}]: an
 * array of {"type": "file" or "directory", "path", "size", "oid": the git blob id,
 * "lfs": {"oid": sha256, "size", ...} for files stored with Git LFS}). */
#ifndef LF_CLI_HUB_FILES_H
#define LF_CLI_HUB_FILES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "llamafast.h"

typedef struct hub_file {
    char *path;      /* inside the repository (validated: cannot leave the model directory) */
    int64_t size;     /* bytes */
    char sha256[65];  /* lfs.oid of a file stored with LFS; "" for others */
    char git_oid[41]; /* oid (the git blob id) of a file not stored with LFS; "" for others */
    bool chosen;
} hub_file;

typedef struct hub_listing {
    hub_file *files;
    size_t n;
} hub_listing;

/* Parses the API's JSON into its files (directories are skipped); a file whose name could
 * escape the model directory, or without a size and a well-formed digest, is refused. */
int hub_listing_parse(const char *json, size_t len, const char *repo, hub_listing *out, lf_error *err);
void hub_listing_free(hub_listing *l);
/* The listed file at path, or NULL. */
const hub_file *hub_listing_find(const hub_listing *l, const char *path);

/* Marks what a model needs: config, tokenizer and weights files at the top level, with
 * weights of one kind — safetensors, else PyTorch (.bin/.pth/.pt), else one GGUF file.
 * Fails when the choice is not obvious (several GGUF files) or there are no weights. */
int hub_listing_choose(hub_listing *l, const char *repo, lf_error *err);

#endif
