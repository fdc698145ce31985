/* The safetensors files of a model directory: one model.safetensors, or the shards that
 * model.safetensors.index.json's weight_map names. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/error.h"
#include "format/json_file.h"
#include "format/safetensors.h"

/* A shard is a plain file name in the same directory: the index must not reach elsewhere. */
static bool plain_file_name(const char *s) {
    return *s && !strchr(s, '/') && strcmp(s, ".") != 0 && strcmp(s, "..") != 0;
}

static int add_file(safetensors_set *set, const char *path, lf_error *err) {
    safetensors_file **files = realloc(set->files, (size_t)(set->n_files + 1) * sizeof *files);
    if (!files) return lf_fail(err, LF_ERR_NOMEM, "%s: out of memory", path);
    set->files = files;
    int rc = safetensors_open(path, &set->files[set->n_files], err);
    if (!rc) set->n_files++;
    return rc;
}

static int find_in_file(const safetensors_file *f, const char *name) {
    for (int i = 0; i < f->n_tensors; i++)
        if (strcmp(f->tensors[i].name, name) == 0) return i;
    return -1;
}

/* Opens each shard once (in order of first mention) and checks that it holds the tensors
 * the map assigns to it. */
static int open_shards(safetensors_set *set, const char *dir, const json_t *map, const char *index, lf_error *err) {
    char path[4096];
    const char *tensor;
    const json_t *value;
    json_object_foreach((json_t *)map, tensor, value) {
        const char *shard = json_string_value(value);
        if (!shard || !plain_file_name(shard))
            return lf_fail(err, LF_ERR_FORMAT, "%s: weight_map entry '%.100s' is not a file name in the directory",
                           index, tensor);
        if (snprintf(path, sizeof path, "%s/%s", dir, shard) >= (int)sizeof path)
            return lf_fail(err, LF_ERR_ARG, "%s: path too long", dir);
        int f = 0;
        while (f < set->n_files && strcmp(set->files[f]->name, path) != 0) f++;
        int rc = f == set->n_files ? add_file(set, path, err) : LF_OK;
        if (rc) return rc;
        if (find_in_file(set->files[f], tensor) < 0)
            return lf_fail(err, LF_ERR_FORMAT, "%s: tensor '%.100s' is not in %s, where the index puts it", index,
                           tensor, shard);
    }
    return set->n_files ? LF_OK : lf_fail(err, LF_ERR_FORMAT, "%s: weight_map is empty", index);
}

static int compare_names(const void *a, const void *b) {
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* A name in two shards would make the weights depend on lookup order. */
static int check_unique(const safetensors_set *set, const char *dir, lf_error *err) {
    size_t n = 0;
    for (int f = 0; f < set->n_files; f++) n += (size_t)set->files[f]->n_tensors;
    const char **names = malloc((n ? n : 1) * sizeof *names);
    if (!names) return lf_fail(err, LF_ERR_NOMEM, "out of memory");
    n = 0;
    for (int f = 0; f < set->n_files; f++)
        for (int i = 0; i < set->files[f]->n_tensors; i++) names[n++] = set->files[f]->tensors[i].name;
    qsort(names, n, sizeof *names, compare_names);
    int rc = LF_OK;
    for (size_t i = 1; i < n && !rc; i++)
        if (strcmp(names[i - 1], names[i]) == 0)
            rc = lf_fail(err, LF_ERR_FORMAT, "%s: tensor '%.100s' is in two shards", dir, names[i]);
    free(names);
    return rc;
}

int safetensors_set_open(const char *dir, safetensors_set *set, lf_error *err) {
    *set = (safetensors_set){0};
    char path[4096];
    if (snprintf(path, sizeof path, "%s/model.safetensors.index.json", dir) >= (int)sizeof path)
        return lf_fail(err, LF_ERR_ARG, "%s: path too long", dir);
    int rc;
    if (access(path, F_OK) == 0) {
        json_t *index = NULL;
        rc = lf_json_load_file(path, 0, &index, err);
        const json_t *map = rc ? NULL : lf_json_member(index, "weight_map");
        if (!rc && !json_is_object(map)) rc = lf_fail(err, LF_ERR_FORMAT, "%s: \"weight_map\" is not an object", path);
        if (!rc) rc = open_shards(set, dir, map, path, err);
        json_decref(index);
        if (!rc) rc = check_unique(set, dir, err);
    } else {
        snprintf(path, sizeof path, "%s/model.safetensors", dir);
        rc = access(path, F_OK) == 0
                 ? add_file(set, path, err)
                 : lf_fail(err, LF_ERR_IO, "%s: neither model.safetensors nor model.safetensors.index.json is there", dir);
    }
    if (rc) safetensors_set_close(set);
    return rc;
}

void safetensors_set_close(safetensors_set *set) {
    for (int f = 0; f < set->n_files; f++) safetensors_close(set->files[f]);
    free(set->files);
    *set = (safetensors_set){0};
}

const safetensors_tensor *safetensors_set_find(const safetensors_set *set, const char *name) {
    for (int f = 0; f < set->n_files; f++) {
        int i = find_in_file(set->files[f], name);
        if (i >= 0) return &set->files[f]->tensors[i];
    }
    return NULL;
}
