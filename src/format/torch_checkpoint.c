#include "format/torch_checkpoint.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/checked_math.h"
#include "core/error.h"
#include "format/torch_pickle.h"
#include "format/zip.h"

/* Element size and safetensors dtype name of a storage class (0 bytes: unknown). */
static int element_bytes(const char *storage_class, const char **dtype) {
    static const struct {
        const char *name, *dtype;
        int bytes;
    } sizes[] = {{"FloatStorage", "F32", 4}, {"HalfStorage", "F16", 2}, {"BFloat16Storage", "BF16", 2},
                 {"DoubleStorage", "F64", 8}, {"LongStorage", "I64", 8}, {"IntStorage", "I32", 4},
                 {"ShortStorage", "I16", 2}, {"CharStorage", "I8", 1}, {"ByteStorage", "U8", 1},
                 {"BoolStorage", "BOOL", 1}};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++)
        if (!strcmp(sizes[i].name, storage_class)) {
            *dtype = sizes[i].dtype;
            return sizes[i].bytes;
        }
    return 0;
}

/* The archive's data.pkl: the member named data.pkl at the top or one directory down
 * (torch.save names the directory after the file). *prefix_len is the length of the
 * directory part including its slash. */
static const zip_entry *find_pickle(const zip_archive *z, size_t *prefix_len) {
    for (uint64_t i = 0; i < z->n_entries; i++) {
        const zip_entry *e = &z->entries[i];
        if (e->name_len < 8 || memcmp(e->name + e->name_len - 8, "data.pkl", 8)) continue;
        size_t dir = (size_t)e->name_len - 8;
        const char *slash = dir ? memchr(e->name, '/', dir) : NULL;
        if (dir == 0 || (slash && slash == e->name + dir - 1)) {
            *prefix_len = dir;
            return e;
        }
    }
    return NULL;
}

/* Checks tensor r against its storage member and fills t (shape, bytes in place). */
static int bind_tensor(const zip_archive *z, const char *prefix, size_t prefix_len, const torch_tensor_ref *r,
                       safetensors_tensor *t, lf_error *err) {
    char member[512];
    if (prefix_len + strlen(r->storage_key) + 6 >= sizeof member)
        return lf_fail(err, LF_ERR_FORMAT, "%s: tensor '%s': storage key too long", z->name, r->name);
    snprintf(member, sizeof member, "%.*sdata/%s", (int)prefix_len, prefix, r->storage_key);
    const zip_entry *e = lf_zip_find(z, member);
    if (!e) return lf_fail(err, LF_ERR_FORMAT, "%s: tensor '%s': storage member '%s' is missing", z->name, r->name, member);
    const void *bytes;
    int rc = lf_zip_stored_data(z, e, &bytes, err);
    if (rc) return rc;
    const char *dtype = "?";
    int eb = element_bytes(r->dtype, &dtype);
    if (!eb) return lf_fail(err, LF_ERR_FORMAT, "%s: tensor '%s': unknown storage %s", z->name, r->name, r->dtype);
    uint64_t numel = 1, expect = 1, storage_bytes;
    for (int d = r->n_dims - 1; d >= 0; d--) {
        if (r->shape[d] < 0 || r->stride[d] < 0)
            return lf_fail(err, LF_ERR_FORMAT, "%s: tensor '%s' has a negative size or stride", z->name, r->name);
        if (r->shape[d] > 1 && (uint64_t)r->stride[d] != expect)
            return lf_fail(err, LF_ERR_UNSUPPORTED, "%s: tensor '%s' is not contiguous (save it after .contiguous())",
                           z->name, r->name);
        if (!lf_mul_u64(expect, (uint64_t)r->shape[d], &expect) || !lf_mul_u64(numel, (uint64_t)r->shape[d], &numel))
            return lf_fail(err, LF_ERR_FORMAT, "%s: tensor '%s' is too large", z->name, r->name);
    }
    uint64_t end, need;
    if (r->storage_offset < 0 || !lf_add_u64((uint64_t)r->storage_offset, numel, &end) ||
        !lf_mul_u64(end, (uint64_t)eb, &need) || !lf_mul_u64(r->storage_numel, (uint64_t)eb, &storage_bytes) ||
        end > r->storage_numel || storage_bytes > e->uncompressed_size || need > e->uncompressed_size)
        return lf_fail(err, LF_ERR_FORMAT, "%s: tensor '%s' (%llu elements at offset %lld) lies outside its storage '%s'",
                       z->name, r->name, (unsigned long long)numel, (long long)r->storage_offset, member);
    if (!(t->name = strdup(r->name))) return lf_fail(err, LF_ERR_NOMEM, "%s: out of memory", z->name);
    t->type = r->type;
    snprintf(t->dtype, sizeof t->dtype, "%s", dtype);
    t->n_dims = r->n_dims;
    memcpy(t->shape, r->shape, sizeof r->shape);
    t->data = (const char *)bytes + (size_t)r->storage_offset * (size_t)eb;
    t->nbytes = numel * (uint64_t)eb;
    t->offset = (uint64_t)((const unsigned char *)t->data - z->base);
    return LF_OK;
}

static int read_checkpoint(const zip_archive *z, safetensors_file *f, lf_error *err) {
    size_t prefix_len = 0;
    const zip_entry *pkl = find_pickle(z, &prefix_len);
    if (!pkl) return lf_fail(err, LF_ERR_FORMAT, "%s: no data.pkl (not a PyTorch checkpoint of the zip format)", z->name);
    const void *pickle;
    int rc = lf_zip_stored_data(z, pkl, &pickle, err);
    if (rc) return rc;
    torch_state_dict sd;
    if ((rc = torch_pickle_read(pickle, (size_t)pkl->uncompressed_size, z->name, &sd, err))) return rc;
    if (!(f->tensors = calloc((size_t)sd.n_tensors + 1, sizeof *f->tensors)))
        rc = lf_fail(err, LF_ERR_NOMEM, "%s: out of memory", z->name);
    for (int i = 0; !rc && i < sd.n_tensors; i++) {
        for (int k = 0; k < i && !rc; k++)
            if (!strcmp(sd.tensors[k].name, sd.tensors[i].name))
                rc = lf_fail(err, LF_ERR_FORMAT, "%s: tensor '%s' appears twice", z->name, sd.tensors[i].name);
        if (!rc && !(rc = bind_tensor(z, pkl->name, prefix_len, &sd.tensors[i], &f->tensors[i], err))) f->n_tensors++;
    }
    torch_state_dict_free(&sd);
    return rc;
}

int torch_checkpoint_parse(const void *data, size_t size, const char *name, safetensors_file **out, lf_error *err) {
    *out = NULL;
    safetensors_file *f = calloc(1, sizeof *f);
    if (!f || !(f->name = strdup(name))) {
        free(f);
        return lf_fail(err, LF_ERR_NOMEM, "%s: out of memory", name);
    }
    zip_archive *z = NULL;
    int rc = lf_zip_parse(data, size, name, &z, err);
    if (!rc) rc = read_checkpoint(z, f, err);
    lf_zip_close(z);
    if (rc) {
        safetensors_close(f);
        return rc;
    }
    *out = f;
    return LF_OK;
}

int torch_checkpoint_open(const char *path, safetensors_file **out, lf_error *err) {
    *out = NULL;
    lf_mapped_file map;
    int rc = lf_mapped_file_open(path, &map, err);
    if (rc) return rc;
    rc = torch_checkpoint_parse(map.data, map.size, path, out, err);
    if (rc) {
        lf_mapped_file_close(&map);
        return rc;
    }
    (*out)->map = map;
    return LF_OK;
}
