/* The JSON files of Hugging Face model directories, read with jansson: loading with a
 * message that names the file, line and column, and typed member access whose errors name
 * the file and the key. A member that is absent or null counts as absent. */
#ifndef LF_FORMAT_JSON_FILE_H
#define LF_FORMAT_JSON_FILE_H

#include <jansson.h>
#include <stdbool.h>

#include "llamafast.h"

/* Parses a whole file (or buffer) whose top level must be an object; *out is released
 * with json_decref. Duplicate keys are refused: which one a reader would take is unclear.
 * flags adds jansson decoding flags: JSON_DECODE_INT_AS_REAL for files such as
 * tokenizer_config.json, whose model_max_length can exceed 64 bits. */
int lf_json_load_file(const char *path, size_t flags, json_t **out, lf_error *err);
int lf_json_load_buffer(const void *data, size_t size, const char *name, json_t **out, lf_error *err);

/* Each getter leaves *out untouched when the member is absent and not required, and fails
 * (LF_ERR_FORMAT) when it is present with the wrong type or outside [lo, hi]. */
int lf_json_get_int(const json_t *obj, const char *key, const char *file, long long lo, long long hi,
                    bool required, long long *out, lf_error *err);
int lf_json_get_number(const json_t *obj, const char *key, const char *file, double lo, double hi,
                       bool required, double *out, lf_error *err);
int lf_json_get_bool(const json_t *obj, const char *key, const char *file, bool *out, lf_error *err);
/* *out points into obj (valid while obj lives). */
int lf_json_get_string(const json_t *obj, const char *key, const char *file, bool required,
                       const char **out, lf_error *err);

/* The member, or NULL when it is absent or null. */
const json_t *lf_json_member(const json_t *obj, const char *key);

#endif
