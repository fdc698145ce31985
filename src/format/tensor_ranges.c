#include "format/tensor_ranges.h"

#include <stdlib.h>

#include "core/error.h"

static int compare_begin(const void *a, const void *b) {
    const tensor_range *x = a, *y = b;
    if (x->begin != y->begin) return x->begin < y->begin ? -1 : 1;
    return x->end < y->end ? -1 : x->end > y->end;
}

static int clamp(int len) { return len > 200 ? 200 : len; }

int tensor_ranges_check(tensor_range *r, size_t n, uint64_t area_size, bool contiguous, const char *file,
                        lf_error *err) {
    qsort(r, n, sizeof *r, compare_begin);
    const tensor_range *prev = NULL;
    for (size_t i = 0; i < n; i++) {
        const tensor_range *t = &r[i];
        if (t->begin == t->end) continue;
        uint64_t covered = prev ? prev->end : 0;
        if (prev && t->begin < covered)
            return lf_fail(err, LF_ERR_FORMAT, "%s: tensor '%.*s' (bytes %llu..%llu) overlaps tensor '%.*s' (bytes %llu..%llu)",
                           file, clamp(prev->name_len), prev->name, (unsigned long long)prev->begin,
                           (unsigned long long)prev->end, clamp(t->name_len), t->name, (unsigned long long)t->begin,
                           (unsigned long long)t->end);
        if (contiguous && t->begin > covered)
            return lf_fail(err, LF_ERR_FORMAT, "%s: data bytes %llu..%llu belong to no tensor (tensor '%.*s' starts at %llu)",
                           file, (unsigned long long)covered, (unsigned long long)t->begin, clamp(t->name_len), t->name,
                           (unsigned long long)t->begin);
        prev = t;
    }
    uint64_t covered = prev ? prev->end : 0;
    if (contiguous && covered != area_size)
        return lf_fail(err, LF_ERR_FORMAT, "%s: data bytes %llu..%llu after the last tensor belong to no tensor", file,
                       (unsigned long long)covered, (unsigned long long)area_size);
    return LF_OK;
}
