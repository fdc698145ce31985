/* The model store: $LLAMA_FAST_HOME (default ~/.llama-fast) holds one directory per model
 * under models/ — models/<alias>/ for a known model, models/<owner>--<name>/ for another
 * Hugging Face repository. A directory counts as downloaded once it holds the marker
 * file written after every file of the download was verified. Every name that becomes a
 * path is validated here, so no alias, repository id or file name can leave the store.
 * Failures return a negative lf_status with the message in err. */
#ifndef LF_CLI_MODEL_STORE_H
#define LF_CLI_MODEL_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "llamafast.h"

#define STORE_PATH_MAX 4096
#define STORE_COMPLETE_MARK ".complete" /* lists the downloaded files, one a line */
#define STORE_PART_SUFFIX ".part"
/* NAME.part.meta beside NAME.part: the strong ETag of the object the .part holds the start
 * of, so that a later run resumes only from the same object (see http_download). */
#define STORE_VALIDATOR_SUFFIX ".meta"

/* What a downloaded file must be; each part may be unknown. */
typedef struct store_expect {
    int64_t size;     /* bytes; -1 unknown */
    char sha256[65];  /* lower-case hex; "" unknown */
    char git_oid[41]; /* git blob id, SHA-1 of "blob <size>\0" + content (the hub's id of a
                         file not stored with LFS); "" unknown */
} store_expect;

/* "owner/name": two segments of [A-Za-z0-9._-], at most 96 characters each, starting with
 * a letter or digit, without ".." or "--" (so owner--name maps back unambiguously). */
bool store_valid_repo_id(const char *s);
/* A file path inside a repository: '/'-separated segments, none empty, "." or "..",
 * printable characters only, no backslash, not our marker, a .part or a .part.meta name. */
bool store_valid_file_path(const char *s);

/* $LLAMA_FAST_HOME, else $HOME/.llama-fast. */
int store_home(char *buf, size_t cap, lf_error *err);
/* <home>/models. */
int store_models_root(char *buf, size_t cap, lf_error *err);
/* <home>/models/<dir> for a known alias or a repository id; err for anything else. */
int store_model_dir(const char *name, char *buf, size_t cap, lf_error *err);
/* dir/rel after validating rel; creates the directories on the way when make_dirs. */
int store_file_path(const char *dir, const char *rel, bool make_dirs, char *buf, size_t cap, lf_error *err);

bool store_is_complete(const char *dir);
int store_mark_complete(const char *dir, const char *const *files, size_t n_files, lf_error *err);

/* Checks part against what is known of want, then fsyncs it and renames it to final. A
 * file that fails a check is deleted with its validator file. */
int store_commit_file(const char *part, const char *final, const store_expect *want, lf_error *err);
/* Deletes part and its validator file (part + STORE_VALIDATOR_SUFFIX). */
void store_discard_part(const char *part);

/* Deletes a model directory, which must lie inside the store's models/ directory;
 * symbolic links inside are removed, never followed. */
int store_remove_dir(const char *dir, lf_error *err);

#endif
