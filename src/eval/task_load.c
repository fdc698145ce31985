/* Reading a task's data: JSON Lines (one row per line), MMLU's CSV files or directory of
 * them, piqa's separate labels file; the task's item list. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/error.h"
#include "core/mapped_file.h"
#include "eval/task_items.h"
#include "format/json_file.h"

static const char *const task_names[] = {"hellaswag", "winogrande", "arc-easy", "arc-challenge", "piqa", "mmlu"};

bool lf_eval_task_from_name(const char *name, lf_eval_task_kind *out) {
    for (int i = 0; i < (int)(sizeof task_names / sizeof task_names[0]); i++) {
        const char *n = task_names[i];
        bool same = !strcmp(name, n);
        if (!same && strchr(n, '-') && strlen(name) == strlen(n)) { /* lm-eval's arc_easy */
            same = true;
            for (size_t k = 0; n[k]; k++) same &= name[k] == (n[k] == '-' ? '_' : n[k]);
        }
        if (same) {
            *out = (lf_eval_task_kind)i;
            return true;
        }
    }
    return false;
}

const char *lf_eval_task_name(lf_eval_task_kind kind) {
    return (unsigned)kind < sizeof task_names / sizeof task_names[0] ? task_names[kind] : "unknown";
}

int lf_eval_task_size(const lf_eval_task *task) { return task ? task->n : 0; }
lf_eval_task_kind lf_eval_task_get_kind(const lf_eval_task *task) { return task->kind; }

void lf_task_item_clear(lf_task_item *it) {
    free(it->text);
    free(it->target);
    for (int i = 0; i < LF_TASK_MAX_CHOICES; i++) free(it->choices[i]);
    *it = (lf_task_item){.subject = -1};
}

void lf_eval_task_free(lf_eval_task *task) {
    if (!task) return;
    for (int i = 0; i < task->n; i++) lf_task_item_clear(&task->items[i]);
    for (int i = 0; i < task->n_subjects; i++) free(task->subjects[i]);
    free(task->subjects);
    free(task->items);
    free(task);
}

int lf_task_push(lf_eval_task *t, lf_task_item *it, const char *where, lf_error *err) {
    if (t->n == LF_TASK_MAX_ITEMS) return lf_fail(err, LF_ERR_FORMAT, "%s: more than %d items", where, LF_TASK_MAX_ITEMS);
    if (t->n == t->cap) {
        int cap = t->cap ? t->cap * 2 : 64;
        lf_task_item *items = realloc(t->items, (size_t)cap * sizeof *items);
        if (!items) return lf_fail(err, LF_ERR_NOMEM, "%s: out of memory", where);
        t->items = items;
        t->cap = cap;
    }
    t->items[t->n++] = *it;
    *it = (lf_task_item){.subject = -1};
    return LF_OK;
}

int lf_task_subject(lf_eval_task *t, const char *name, int *index, lf_error *err) {
    for (int i = 0; i < t->n_subjects; i++)
        if (!strcmp(t->subjects[i], name)) return *index = i, LF_OK;
    if (t->n_subjects == LF_TASK_MAX_SUBJECTS)
        return lf_fail(err, LF_ERR_FORMAT, "more than %d subjects", LF_TASK_MAX_SUBJECTS);
    char **s = realloc(t->subjects, (size_t)(t->n_subjects + 1) * sizeof *s);
    if (!s) return lf_fail(err, LF_ERR_NOMEM, "out of memory");
    t->subjects = s;
    if (!(s[t->n_subjects] = strdup(name))) return lf_fail(err, LF_ERR_NOMEM, "out of memory");
    *index = t->n_subjects++;
    return LF_OK;
}

/* piqa's labels: one 0 or 1 per line. */
static int read_labels(const char *data, size_t size, const char *name, int **out, int *n, lf_error *err) {
    int cap = 0, count = 0, *labels = NULL, line = 0;
    for (size_t pos = 0; pos < size;) {
        const char *s = data + pos, *nl = memchr(s, '\n', size - pos);
        size_t len = nl ? (size_t)(nl - s) : size - pos;
        pos += len + 1;
        line++;
        while (len && (s[len - 1] == '\r' || s[len - 1] == ' ' || s[len - 1] == '\t')) len--;
        if (!len && !nl) break;
        if (len != 1 || (s[0] != '0' && s[0] != '1')) {
            free(labels);
            return lf_fail(err, LF_ERR_FORMAT, "%s:%d: the label is not 0 or 1", name, line);
        }
        if (count == LF_TASK_MAX_ITEMS) {
            free(labels);
            return lf_fail(err, LF_ERR_FORMAT, "%s: more than %d labels", name, LF_TASK_MAX_ITEMS);
        }
        if (count == cap) {
            cap = cap ? cap * 2 : 256;
            int *l = realloc(labels, (size_t)cap * sizeof *l);
            if (!l) {
                free(labels);
                return lf_fail(err, LF_ERR_NOMEM, "%s: out of memory", name);
            }
            labels = l;
        }
        labels[count++] = s[0] - '0';
    }
    *out = labels;
    *n = count;
    return LF_OK;
}

static int read_jsonl(lf_eval_task *t, const char *data, size_t size, const char *name, const int *labels,
                      int n_labels, lf_error *err) {
    char where[512];
    int line = 0, rc = LF_OK;
    for (size_t pos = 0; pos < size && rc == LF_OK;) {
        const char *s = data + pos, *nl = memchr(s, '\n', size - pos);
        size_t len = nl ? (size_t)(nl - s) : size - pos;
        pos += len + 1;
        line++;
        snprintf(where, sizeof where, "%s:%d", name, line);
        size_t k = 0;
        while (k < len && (s[k] == ' ' || s[k] == '\t' || s[k] == '\r')) k++;
        if (k == len) continue;
        if (len > LF_TASK_MAX_LINE) return lf_fail(err, LF_ERR_FORMAT, "%s: line longer than %d bytes", where, LF_TASK_MAX_LINE);
        if (labels && t->n >= n_labels)
            return lf_fail(err, LF_ERR_FORMAT, "%s: more rows than the %d labels of the labels file", where, n_labels);
        json_t *row;
        if ((rc = lf_json_load_buffer(s, len, where, &row, err))) return rc;
        lf_task_item it;
        rc = lf_task_item_from_json(t, row, where, labels ? labels[t->n] : -1, &it, err);
        if (!rc) rc = lf_task_push(t, &it, where, err);
        lf_task_item_clear(&it);
        json_decref(row);
    }
    if (rc) return rc;
    if (!t->n) return lf_fail(err, LF_ERR_FORMAT, "%s: no rows in the file", name);
    if (labels && t->n != n_labels)
        return lf_fail(err, LF_ERR_FORMAT, "%s: %d rows but %d labels in the labels file", name, t->n, n_labels);
    return LF_OK;
}

static bool is_csv(const char *name) {
    size_t n = strlen(name);
    return n > 4 && !strcmp(name + n - 4, ".csv");
}

static int load_bytes(lf_eval_task *t, const void *data, size_t size, const char *name, const void *labels,
                      size_t labels_size, const char *labels_name, lf_error *err) {
    if (t->kind == LF_TASK_MMLU && is_csv(name)) return lf_task_mmlu_csv(t, data, size, name, err);
    int *l = NULL, n = 0, rc;
    if (labels && (rc = read_labels(labels, labels_size, labels_name, &l, &n, err))) return rc;
    rc = read_jsonl(t, data, size, name, labels ? l : NULL, n, err);
    free(l);
    return rc;
}

static int new_task(lf_eval_task_kind kind, lf_eval_task **out, lf_error *err) {
    if ((unsigned)kind > LF_TASK_MMLU) return lf_fail(err, LF_ERR_ARG, "unknown task %d", (int)kind);
    *out = calloc(1, sizeof **out);
    if (!*out) return lf_fail(err, LF_ERR_NOMEM, "out of memory");
    (*out)->kind = kind;
    return LF_OK;
}

int lf_eval_task_load_buffer(lf_eval_task_kind kind, const void *data, size_t size, const char *name,
                             const void *labels, size_t labels_size, lf_eval_task **out, lf_error *err) {
    *out = NULL;
    lf_eval_task *t;
    int rc = new_task(kind, &t, err);
    if (rc) return rc;
    if (!size) rc = lf_fail(err, LF_ERR_FORMAT, "%s: file is empty", name);
    else rc = load_bytes(t, data, size, name, labels, labels_size, "labels", err);
    if (rc) lf_eval_task_free(t);
    else *out = t;
    return rc;
}

static int load_file(lf_eval_task *t, const char *path, const char *labels_path, lf_error *err) {
    lf_mapped_file f = {0}, l = {0};
    int rc = lf_mapped_file_open(path, &f, err);
    if (!rc && f.size > LF_TASK_MAX_FILE) rc = lf_fail(err, LF_ERR_FORMAT, "%s: larger than 4 GiB", path);
    if (!rc && labels_path) rc = lf_mapped_file_open(labels_path, &l, err);
    if (!rc) rc = load_bytes(t, f.data, f.size, path, labels_path ? l.data : NULL, l.size, labels_path, err);
    lf_mapped_file_close(&f);
    if (labels_path) lf_mapped_file_close(&l);
    return rc;
}

static int cmp_names(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* Every *.csv of an MMLU directory, in name order. */
static int load_dir(lf_eval_task *t, const char *path, lf_error *err) {
    DIR *d = opendir(path);
    if (!d) return lf_fail(err, LF_ERR_IO, "%s: cannot open the directory", path);
    char **names = NULL;
    int n = 0, rc = LF_OK;
    struct dirent *e;
    while (!rc && (e = readdir(d))) {
        if (!is_csv(e->d_name) || e->d_name[0] == '.') continue;
        char **nn = n < LF_TASK_MAX_SUBJECTS ? realloc(names, (size_t)(n + 1) * sizeof *nn) : NULL;
        if (!nn) {
            rc = lf_fail(err, LF_ERR_FORMAT, "%s: too many files", path);
            break;
        }
        names = nn;
        if (!(names[n] = lf_concat(3, path, "/", e->d_name))) rc = lf_fail(err, LF_ERR_NOMEM, "out of memory");
        else n++;
    }
    closedir(d);
    if (!rc && !n) rc = lf_fail(err, LF_ERR_FORMAT, "%s: no .csv files in the directory", path);
    if (!rc) qsort(names, (size_t)n, sizeof *names, cmp_names);
    for (int i = 0; i < n && !rc; i++) rc = load_file(t, names[i], NULL, err);
    for (int i = 0; i < n; i++) free(names[i]);
    free(names);
    return rc;
}

int lf_eval_task_load(lf_eval_task_kind kind, const char *path, const char *labels_path, lf_eval_task **out,
                      lf_error *err) {
    *out = NULL;
    lf_eval_task *t;
    int rc = new_task(kind, &t, err);
    if (rc) return rc;
    struct stat st;
    if (stat(path, &st)) rc = lf_fail(err, LF_ERR_IO, "%s: no such file or directory", path);
    else if (S_ISDIR(st.st_mode) && kind == LF_TASK_MMLU) rc = load_dir(t, path, err);
    else if (S_ISDIR(st.st_mode)) rc = lf_fail(err, LF_ERR_ARG, "%s: a directory (only mmlu reads one)", path);
    else rc = load_file(t, path, labels_path, err);
    if (rc) lf_eval_task_free(t);
    else *out = t;
    return rc;
}
