/* torchchat's --quantize JSON read as block types. torchchat quantizes each group of
 * `groupsize` weights of a row to `bitwidth`-bit integers with a scale (and, for int4, a
 * zero point); llama.cpp's block types do the same with fixed groups: 32 for the legacy
 * types, 256 (in sub-blocks of 16 or 32) for the K-quants. A scheme becomes the type whose
 * groups are the ones asked for; a group size without one is refused. */
#include "model/quant_scheme.h"

#include <stdio.h>
#include <string.h>

#include "core/error.h"
#include "format/json_file.h"

#define WHAT "quantize scheme"

/* bits, group size (0 = per channel, held in the finest groups of that width), and the
 * type for symmetric groups and for groups with zero points (a minimum). K-quants: the
 * one type of that width, whichever. */
static const struct rule {
    int bits, groupsize;
    lf_type symmetric, zeros;
} rules[] = {
    {8, 0, LF_TYPE_Q8_0, LF_TYPE_Q8_0},   {8, 32, LF_TYPE_Q8_0, LF_TYPE_Q8_0},
    {5, 0, LF_TYPE_Q5_0, LF_TYPE_Q5_1},   {5, 32, LF_TYPE_Q5_0, LF_TYPE_Q5_1},
    {4, 0, LF_TYPE_Q4_0, LF_TYPE_Q4_1},   {4, 32, LF_TYPE_Q4_0, LF_TYPE_Q4_1},
    {6, 0, LF_TYPE_Q6_K, LF_TYPE_Q6_K},   {6, 256, LF_TYPE_Q6_K, LF_TYPE_Q6_K},
    {5, 256, LF_TYPE_Q5_K, LF_TYPE_Q5_K}, {4, 256, LF_TYPE_Q4_K, LF_TYPE_Q4_K},
    {3, 0, LF_TYPE_Q3_K, LF_TYPE_Q3_K},   {3, 256, LF_TYPE_Q3_K, LF_TYPE_Q3_K},
    {2, 0, LF_TYPE_Q2_K, LF_TYPE_Q2_K},   {2, 256, LF_TYPE_Q2_K, LF_TYPE_Q2_K},
};

const char *lf_quantize_scheme_table(void) {
    return "key (torchchat)  fields                                  block type\n"
           "linear:int8      bitwidth 8 (default), groupsize 0 or 32  Q8_0\n"
           "                 bitwidth 4, groupsize 0 or 32 / 256      Q4_0 / Q4_K\n"
           "linear:int4      groupsize 32                             Q4_0; Q4_1 with \"has_weight_zeros\": true\n"
           "                 groupsize 256 (default)                  Q4_K\n"
           "linear:a8w4dq    groupsize 32 / 256 (default)             Q4_0 / Q4_K\n"
           "linear:a8wxdq    bitwidth 4 or 5, groupsize 0 or 32       Q4_0, Q5_0; Q4_1, Q5_1 with \"has_weight_zeros\"\n"
           "                 bitwidth 8, groupsize 0 or 32            Q8_0\n"
           "                 bitwidth 2 to 6, groupsize 256           Q2_K, Q3_K, Q4_K, Q5_K, Q6_K\n"
           "embedding        as linear:int8 (bitwidth 8 or 4), for the token embedding table\n"
           "embedding:wx     as linear:a8wxdq, for the token embedding table\n"
           "precision        {\"dtype\": D}: as --dtype D\n"
           "executor         {\"accelerator\": \"cpu\" or \"fast\"}: accepted (llama-fast runs on the CPU)\n"
           "groupsize 0 (one scale per row) takes the finest groups of that width (32; 256 for\n"
           "2, 3 and 6 bits); other group sizes are refused. linear:* covers the output\n"
           "projection too (linear:int8's \"node_type\": \"!output\" leaves it, \"output\" takes\n"
           "only it). Keys apply in order: a matrix an earlier key took stays with it.\n"
           "K-quants on rows not a multiple of 256 fall back as llama.cpp does (Q2_K, Q3_K ->\n"
           "Q4_0; Q4_K -> Q5_0; Q5_K -> Q5_1; Q6_K -> Q8_0), with a warning; a 32-block type on\n"
           "rows not a multiple of 32 is refused (llama-quantize would write those rows F16).\n";
}

void lf_quant_scheme_init(lf_quant_scheme *s) {
    *s = (lf_quant_scheme){.dtype = LF_TYPE_KEEP};
    for (int r = 0; r < LF_ROLE_COUNT; r++) s->role_type[r] = LF_TYPE_KEEP;
}

bool lf_quant_scheme_active(const lf_quant_scheme *s) {
    bool any = s->dtype != LF_TYPE_KEEP;
    for (int r = 0; r < LF_ROLE_COUNT; r++) any |= s->role_type[r] != LF_TYPE_KEEP;
    return any;
}

void lf_quant_scheme_warn_idle(const lf_quant_scheme *s) {
    if (s->idle_key) lf_log(LF_LOG_WARN, "quantize scheme: \"%s\" applies to no weights: keys before it took them", s->idle_key);
}

int lf_dtype_parse(const char *name, const char *what, lf_type *out, lf_error *err) {
    static const struct { const char *name; lf_type type; } names[] = {
        {"f32", LF_TYPE_F32}, {"fp32", LF_TYPE_F32},   {"float32", LF_TYPE_F32},   {"float", LF_TYPE_F32},
        {"f16", LF_TYPE_F16}, {"fp16", LF_TYPE_F16},   {"float16", LF_TYPE_F16},   {"half", LF_TYPE_F16},
        {"bf16", LF_TYPE_BF16}, {"bfloat16", LF_TYPE_BF16},
    };
    for (size_t i = 0; name && i < sizeof names / sizeof names[0]; i++)
        if (strcmp(name, names[i].name) == 0) {
            *out = names[i].type;
            return LF_OK;
        }
    return lf_fail(err, LF_ERR_ARG, "%s: unknown dtype '%.40s' (f32, f16, bf16; also fp32, float32, float, fp16, "
                   "float16, half, bfloat16)", what, name ? name : "(null)");
}

/* One quantizer's fields, as read. */
typedef struct fields {
    long long bitwidth, groupsize;
    bool zeros;
    const char *node_type, *dtype, *accelerator;
} fields;

typedef struct key_spec {
    const char *key;
    int default_bits, default_groupsize; /* 0 bits: the key has no bitwidth (precision, executor) */
    const char *const *allowed;          /* fields it takes; NULL-terminated */
    const char *const *ignored;          /* torchchat fields that choose nothing here */
    bool embedding;
} key_spec;

static const char *const f_int8[] = {"bitwidth", "groupsize", "node_type", NULL};
static const char *const f_int4[] = {"groupsize", "has_weight_zeros", NULL};
static const char *const i_int4[] = {"inner_k_tiles", "padding_allowed", NULL};
static const char *const f_a8w4[] = {"groupsize", NULL};
static const char *const i_a8w4[] = {"padding_allowed", "precision", "scales_precision", NULL};
static const char *const f_wx[] = {"bitwidth", "groupsize", "has_weight_zeros", NULL};
static const char *const f_emb[] = {"bitwidth", "groupsize", NULL};
static const char *const i_emb[] = {"packed", NULL};
static const char *const f_precision[] = {"dtype", NULL};
static const char *const f_executor[] = {"accelerator", NULL};
static const char *const none[] = {NULL};

/* torchao's defaults where torchchat passes none: Int4WeightOnlyQuantizer and
 * Int8DynActInt4WeightQuantizer group 256 weights; int8 and embeddings are per channel. */
static const key_spec keys[] = {
    {"linear:int8", 8, 0, f_int8, none, false},
    {"linear:int4", 4, 256, f_int4, i_int4, false},
    {"linear:a8w4dq", 4, 256, f_a8w4, i_a8w4, false},
    {"linear:a8wxdq", -1, -1, f_wx, none, false},
    {"embedding", 8, 0, f_emb, i_emb, true},
    {"embedding:wx", -1, -1, f_wx, none, true},
    {"precision", 0, 0, f_precision, none, false},
    {"executor", 0, 0, f_executor, none, false},
};

/* Keys torchchat knows that need what this program does not do. */
static const char *const refused[][2] = {
    {"linear:gptq", "GPTQ needs calibration data and is not supported; use linear:int4"},
    {"linear:hqq", "HQQ is not supported; use linear:int4"},
    {"linear:afpwx", "it runs on Apple's MPS only; use linear:a8wxdq"},
};

static bool listed(const char *const *list, const char *name) {
    for (; *list; list++)
        if (strcmp(*list, name) == 0) return true;
    return false;
}

static int read_fields(const key_spec *k, const json_t *obj, fields *f, lf_error *err) {
    const char *name;
    const json_t *v;
    char file[64];
    snprintf(file, sizeof file, WHAT " \"%s\"", k->key);
    if (!json_is_object(obj))
        return lf_fail(err, LF_ERR_ARG, "%s: the value must be an object of options, e.g. {\"groupsize\": 32}", file);
    json_object_foreach((json_t *)obj, name, v) {
        if (listed(k->ignored, name)) continue;
        if (!listed(k->allowed, name)) {
            char list[160] = "";
            for (const char *const *a = k->allowed; *a; a++)
                snprintf(list + strlen(list), sizeof list - strlen(list), "%s\"%s\"", a == k->allowed ? "" : ", ", *a);
            return lf_fail(err, LF_ERR_ARG, "%s: unknown field \"%.60s\" (it takes %s)", file, name, list);
        }
    }
    *f = (fields){.bitwidth = k->default_bits, .groupsize = k->default_groupsize};
    int rc;
    if ((rc = lf_json_get_int(obj, "bitwidth", file, 1, 8, k->default_bits < 0, &f->bitwidth, err)) ||
        (rc = lf_json_get_int(obj, "groupsize", file, 0, 1 << 20, k->default_groupsize < 0, &f->groupsize, err)) ||
        (rc = lf_json_get_bool(obj, "has_weight_zeros", file, &f->zeros, err)) ||
        (rc = lf_json_get_string(obj, "node_type", file, false, &f->node_type, err)) ||
        (rc = lf_json_get_string(obj, "dtype", file, k->allowed == f_precision, &f->dtype, err)) ||
        (rc = lf_json_get_string(obj, "accelerator", file, k->allowed == f_executor, &f->accelerator, err)))
        return rc;
    return LF_OK;
}

static int block_type(const key_spec *k, const fields *f, lf_type *out, lf_error *err) {
    if (!strcmp(k->key, "linear:int8") || !strcmp(k->key, "embedding")) {
        if (f->bitwidth != 4 && f->bitwidth != 8)
            return lf_fail(err, LF_ERR_ARG, WHAT " \"%s\": \"bitwidth\" %lld is not 4 or 8", k->key, f->bitwidth);
    }
    for (size_t i = 0; i < sizeof rules / sizeof rules[0]; i++)
        if (rules[i].bits == f->bitwidth && rules[i].groupsize == f->groupsize) {
            *out = f->zeros ? rules[i].zeros : rules[i].symmetric;
            return LF_OK;
        }
    char works[160] = "";
    for (size_t i = 0; i < sizeof rules / sizeof rules[0]; i++)
        if (rules[i].bits == f->bitwidth)
            snprintf(works + strlen(works), sizeof works - strlen(works), "%s%d (%s%s)", works[0] ? ", " : "",
                     rules[i].groupsize, rules[i].groupsize ? "" : "per channel, as ",
                     lf_type_get(rules[i].symmetric)->name);
    if (!works[0])
        return lf_fail(err, LF_ERR_ARG, WHAT " \"%s\": no block type holds %lld-bit weights (2, 3, 4, 5, 6 and 8 bits do)",
                       k->key, f->bitwidth);
    return lf_fail(err, LF_ERR_ARG, WHAT " \"%s\": \"groupsize\" %lld has no block type for %lld-bit weights; "
                   "group sizes that work: %s", k->key, f->groupsize, f->bitwidth, works);
}

/* The roles a linear or embedding key takes (node_type: torchchat's "*", "output", "!output"). */
static int key_roles(const key_spec *k, const fields *f, bool roles[LF_ROLE_COUNT], lf_error *err) {
    memset(roles, 0, LF_ROLE_COUNT * sizeof roles[0]);
    if (k->embedding) {
        roles[LF_ROLE_EMBEDDING] = true;
        return LF_OK;
    }
    const char *n = f->node_type ? f->node_type : "*";
    if (strcmp(n, "*") && strcmp(n, "output") && strcmp(n, "!output"))
        return lf_fail(err, LF_ERR_ARG, WHAT " \"%s\": \"node_type\" '%.40s' is not \"*\", \"output\" or \"!output\"",
                       k->key, n);
    roles[LF_ROLE_LINEAR] = strcmp(n, "output") != 0;
    roles[LF_ROLE_OUTPUT] = strcmp(n, "!output") != 0;
    return LF_OK;
}

static int apply_key(const key_spec *k, const json_t *obj, lf_quant_scheme *s, lf_error *err) {
    fields f;
    int rc = read_fields(k, obj, &f, err);
    if (rc) return rc;
    if (k->allowed == f_precision) {
        lf_type t;
        if ((rc = lf_dtype_parse(f.dtype, WHAT " \"precision\": \"dtype\"", &t, err))) return rc;
        s->dtype = (int)t;
        return LF_OK;
    }
    if (k->allowed == f_executor) {
        if (strcmp(f.accelerator, "cpu") && strcmp(f.accelerator, "fast"))
            return lf_fail(err, LF_ERR_ARG, WHAT " \"executor\": \"accelerator\" '%.40s' is not available: "
                           "llama-fast runs on the CPU (\"cpu\" or \"fast\")", f.accelerator);
        return LF_OK;
    }
    lf_type t = LF_TYPE_F32;
    bool roles[LF_ROLE_COUNT];
    if ((rc = block_type(k, &f, &t, err)) || (rc = key_roles(k, &f, roles, err))) return rc;
    bool took = false;
    for (int r = 0; r < LF_ROLE_COUNT; r++)
        if (roles[r] && s->role_type[r] == LF_TYPE_KEEP) {
            s->role_type[r] = (int)t;
            s->role_key[r] = k->key;
            took = true;
        }
    if (!took) s->idle_key = k->key;
    return LF_OK;
}

static int parse_object(const json_t *root, lf_quant_scheme *s, lf_error *err) {
    const char *name;
    const json_t *v;
    json_object_foreach((json_t *)root, name, v) {
        const key_spec *k = NULL;
        for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
            if (strcmp(name, keys[i].key) == 0) k = &keys[i];
        for (size_t i = 0; !k && i < sizeof refused / sizeof refused[0]; i++)
            if (strcmp(name, refused[i][0]) == 0)
                return lf_fail(err, LF_ERR_UNSUPPORTED, WHAT ": \"%s\": %s", name, refused[i][1]);
        if (!k) {
            char list[256] = "";
            for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
                snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", i ? ", " : "", keys[i].key);
            return lf_fail(err, LF_ERR_ARG, WHAT ": unknown quantizer \"%.60s\" (known: %s)", name, list);
        }
        int rc = apply_key(k, v, s, err);
        if (rc) return rc;
    }
    return LF_OK;
}

int lf_quant_scheme_parse(const char *text, lf_quant_scheme *s, lf_error *err) {
    lf_quant_scheme_init(s);
    if (!text) return lf_fail(err, LF_ERR_ARG, WHAT ": NULL");
    const char *p = text;
    while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r') p++;
    json_t *root = NULL;
    int rc = *p == '{' ? lf_json_load_buffer(p, strlen(p), WHAT, &root, err) : lf_json_load_file(text, 0, &root, err);
    if (rc) {
        if (*p == '{' && strchr(p, '\'') && err) /* torchchat's docs show Python dicts; JSON needs " */
            snprintf(err->message + strlen(err->message), sizeof err->message - strlen(err->message),
                     " (JSON quotes names with \", not ')");
        return rc;
    }
    rc = parse_object(root, s, err);
    json_decref(root);
    return rc;
}

int lf_quant_scheme_from_params(const char *quantize, const char *dtype, lf_quant_scheme *s, lf_error *err) {
    int rc = LF_OK;
    lf_quant_scheme_init(s);
    if (quantize && (rc = lf_quant_scheme_parse(quantize, s, err))) return rc;
    if (!dtype) return LF_OK;
    lf_type t;
    if ((rc = lf_dtype_parse(dtype, "dtype", &t, err))) return rc;
    if (s->dtype != LF_TYPE_KEEP && s->dtype != (int)t)
        return lf_fail(err, LF_ERR_ARG, "dtype %.40s disagrees with the quantize scheme's \"precision\" (%s)", dtype,
                       lf_type_get((uint32_t)s->dtype)->name);
    s->dtype = (int)t;
    return LF_OK;
}

static bool is_float(lf_type t) { return t == LF_TYPE_F32 || t == LF_TYPE_F16 || t == LF_TYPE_BF16; }

lf_type lf_quant_scheme_target(const lf_quant_scheme *s, lf_weight_role role, lf_type current) {
    if (s->role_type[role] != LF_TYPE_KEEP) return (lf_type)s->role_type[role];
    if (s->dtype != LF_TYPE_KEEP && is_float(current)) return (lf_type)s->dtype;
    return current;
}

bool lf_quant_row_type(lf_type want, int64_t cols, lf_type *out) {
    const lf_type_traits *tt = lf_type_get(want);
    *out = want;
    if (tt && cols % tt->block_elems == 0) return true;
    lf_type fallback = want == LF_TYPE_Q2_K || want == LF_TYPE_Q3_K ? LF_TYPE_Q4_0
                       : want == LF_TYPE_Q4_K                       ? LF_TYPE_Q5_0
                       : want == LF_TYPE_Q5_K                       ? LF_TYPE_Q5_1
                       : want == LF_TYPE_Q6_K                       ? LF_TYPE_Q8_0
                                                                    : want;
    if (fallback == want) return false;
    *out = cols % lf_type_get(fallback)->block_elems == 0 ? fallback : LF_TYPE_F16;
    return true;
}

int lf_quantize_scheme_describe(const char *quantize, const char *dtype, char *buf, size_t cap, lf_error *err) {
    lf_quant_scheme s;
    int rc = lf_quant_scheme_from_params(quantize, dtype, &s, err);
    if (rc) return rc;
    static const char *const role_names[LF_ROLE_COUNT] = {"linear", "output", "embedding"};
    size_t n = 0;
    if (cap) buf[0] = 0;
    for (int r = 0; r < LF_ROLE_COUNT; r++)
        n += (size_t)snprintf(buf + (n < cap ? n : cap), n < cap ? cap - n : 0, "%s%s %s", r ? ", " : "", role_names[r],
                              s.role_type[r] == LF_TYPE_KEEP ? "as loaded" : lf_type_get((uint32_t)s.role_type[r])->name);
    snprintf(buf + (n < cap ? n : cap), n < cap ? cap - n : 0, ", other float matrices %s",
             s.dtype == LF_TYPE_KEEP ? "as loaded" : lf_type_get((uint32_t)s.dtype)->name);
    return LF_OK;
}
