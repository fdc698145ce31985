/* Hendrycks' MMLU CSV files: no header; question, A, B, C, D, answer letter per record;
 * the subject is the file name without _dev/_val/_test.csv. */
#include <stdio.h>
#include <string.h>

#include "core/error.h"
#include "eval/task_items.h"
#include "format/csv.h"

static void subject_of(const char *path, char *out, size_t cap) {
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    size_t n = strlen(base);
    static const char *const suffixes[] = {"_dev.csv", "_val.csv", "_test.csv", ".csv"};
    for (size_t i = 0; i < sizeof suffixes / sizeof suffixes[0]; i++) {
        size_t l = strlen(suffixes[i]);
        if (n > l && !strcmp(base + n - l, suffixes[i])) {
            n -= l;
            break;
        }
    }
    if (n >= cap) n = cap - 1;
    memcpy(out, base, n);
    out[n] = '\0';
}

int lf_task_mmlu_csv(lf_eval_task *t, const char *data, size_t size, const char *name, lf_error *err) {
    char subject[256], where[320];
    subject_of(name, subject, sizeof subject);
    lf_csv_reader r;
    lf_csv_init(&r, data, size, name);
    const char *f[LF_CSV_MAX_FIELDS];
    int n_fields, line, rc, rows = 0;
    while ((rc = lf_csv_next(&r, f, &n_fields, &line, err)) == 1) {
        snprintf(where, sizeof where, "%s:%d", name, line);
        if (n_fields != 6) {
            rc = lf_fail(err, LF_ERR_FORMAT, "%s: %d fields, not 6 (question, A, B, C, D, answer)", where, n_fields);
            break;
        }
        if (strlen(f[5]) != 1 || f[5][0] < 'A' || f[5][0] > 'D') {
            rc = lf_fail(err, LF_ERR_FORMAT, "%s: the answer (field 6) is not one of A, B, C, D", where);
            break;
        }
        lf_task_item it;
        const char *opts[4] = {f[1], f[2], f[3], f[4]};
        it = (lf_task_item){.subject = -1};
        if ((rc = lf_task_mmlu_item(t, f[0], opts, f[5][0] - 'A', subject, where, &it, err)) ||
            (rc = lf_task_push(t, &it, where, err))) {
            lf_task_item_clear(&it);
            break;
        }
        rows++;
    }
    lf_csv_free(&r);
    if (rc < 0) return rc;
    return rows ? LF_OK : lf_fail(err, LF_ERR_FORMAT, "%s: no questions in the file", name);
}
