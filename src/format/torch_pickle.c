#include "format/torch_pickle.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "kernels/kernels.h"

/* Values live in one growing pool and refer to each other by index, so the pickle's
 * sharing (memo) and the final free are simple; containers own index arrays. */
typedef enum vkind { V_NONE, V_BOOL, V_INT, V_STR, V_TUPLE, V_LIST, V_DICT, V_GLOBAL, V_STORAGE, V_TENSOR } vkind;

/* The callables a state dict uses; anything else is refused where GLOBAL names it. */
typedef enum callable { C_ORDERED_DICT, C_REBUILD_TENSOR, C_REBUILD_PARAMETER, C_STORAGE_TYPE } callable;

typedef struct pvalue {
    vkind kind;
    int64_t i;      /* V_INT, V_BOOL; V_GLOBAL: the callable */
    char *s;        /* V_STR (NUL-terminated copy, len bytes); V_GLOBAL C_STORAGE_TYPE: class name */
    size_t len;
    int *items;     /* tuple/list elements; dict keys and values alternating */
    int n, cap;
    int ref;        /* V_TENSOR: the storage value; V_STORAGE: its key string */
    int64_t offset; /* V_TENSOR: storage offset; V_STORAGE: numel */
    int shape, stride; /* V_TENSOR: tuple values */
} pvalue;

typedef struct unpickler {
    const unsigned char *start, *p, *end;
    const char *name;
    lf_error *err;
    pvalue *vals;
    int n_vals, cap_vals;
    int *stack, n_stack, cap_stack;
    int *marks, n_marks, cap_marks;
    int *memo, n_memo;
} unpickler;

/* Enough for any real state dict (one value per opcode at most, so the input size bounds
 * the count too); a guard against inputs built to exhaust memory through sharing. */
#define MAX_VALUES (1 << 24)
#define MAX_MEMO (1 << 20)
#define MAX_NESTING 16

static int fail(unpickler *u, const char *what) {
    return lf_fail(u->err, LF_ERR_FORMAT, "%s: pickle byte %zu: %s", u->name, (size_t)(u->p - u->start), what);
}

static int grow(void *ptr, int *cap, int need, size_t elem) {
    void **p = ptr;
    if (need <= *cap) return 0;
    int c = *cap ? *cap : 16;
    while (c < need) {
        if (c > (1 << 29)) return -1;
        c *= 2;
    }
    void *q = realloc(*p, (size_t)c * elem);
    if (!q) return -1;
    *p = q;
    *cap = c;
    return 0;
}

static int new_value(unpickler *u, vkind kind) {
    if (u->n_vals >= MAX_VALUES || grow(&u->vals, &u->cap_vals, u->n_vals + 1, sizeof *u->vals)) return -1;
    u->vals[u->n_vals] = (pvalue){.kind = kind, .ref = -1, .shape = -1, .stride = -1};
    return u->n_vals++;
}

static int push(unpickler *u, int v) {
    if (v < 0) return lf_fail(u->err, LF_ERR_NOMEM, "%s: out of memory reading the pickle", u->name);
    if (grow(&u->stack, &u->cap_stack, u->n_stack + 1, sizeof *u->stack))
        return lf_fail(u->err, LF_ERR_NOMEM, "%s: out of memory reading the pickle", u->name);
    u->stack[u->n_stack++] = v;
    return LF_OK;
}

/* The top value, above the innermost mark; -1 when there is none. */
static int pop(unpickler *u) {
    int floor = u->n_marks ? u->marks[u->n_marks - 1] : 0;
    return u->n_stack > floor ? u->stack[--u->n_stack] : -1;
}

static int top(unpickler *u) {
    int floor = u->n_marks ? u->marks[u->n_marks - 1] : 0;
    return u->n_stack > floor ? u->stack[u->n_stack - 1] : -1;
}

static int append_item(unpickler *u, int container, int item) {
    pvalue *c = &u->vals[container];
    if (grow(&c->items, &c->cap, c->n + 1, sizeof *c->items))
        return lf_fail(u->err, LF_ERR_NOMEM, "%s: out of memory reading the pickle", u->name);
    c->items[c->n++] = item;
    return LF_OK;
}

static bool take(unpickler *u, size_t n, const unsigned char **bytes) {
    if ((size_t)(u->end - u->p) < n) return false;
    *bytes = u->p;
    u->p += n;
    return true;
}

static uint64_t le(const unsigned char *b, int n) {
    uint64_t v = 0;
    for (int i = n - 1; i >= 0; i--) v = v << 8 | b[i];
    return v;
}

static int push_string(unpickler *u, const unsigned char *b, size_t n) {
    int v = new_value(u, V_STR);
    if (v < 0 || !(u->vals[v].s = malloc(n + 1))) return push(u, -1);
    memcpy(u->vals[v].s, b, n);
    u->vals[v].s[n] = '\0';
    u->vals[v].len = n;
    return push(u, v);
}

static int push_int(unpickler *u, vkind kind, int64_t x) {
    int v = new_value(u, kind);
    if (v >= 0) u->vals[v].i = x;
    return push(u, v);
}

/* LONG1/LONG4: little-endian two's complement of n bytes; only values that fit int64. */
static int push_long(unpickler *u, const unsigned char *b, uint64_t n) {
    if (n > 8) return fail(u, "integer wider than 64 bits");
    uint64_t x = le(b, (int)n);
    if (n > 0 && n < 8 && (b[n - 1] & 0x80)) x |= ~(uint64_t)0 << (8 * n);
    return push_int(u, V_INT, (int64_t)x);
}

/* Pops everything above the innermost mark into a new tuple or list. */
static int collect_marked(unpickler *u, vkind kind) {
    if (!u->n_marks) return fail(u, "TUPLE/APPENDS/SETITEMS without a MARK");
    int floor = u->marks[--u->n_marks], v = new_value(u, kind);
    if (v < 0) return push(u, -1);
    for (int i = floor; i < u->n_stack; i++)
        if (append_item(u, v, u->stack[i])) return LF_ERR_NOMEM;
    u->n_stack = floor;
    return push(u, v);
}

static int tuple_of(unpickler *u, int n) {
    int v = new_value(u, V_TUPLE);
    if (v < 0) return push(u, -1);
    int items[3];
    for (int i = n - 1; i >= 0; i--)
        if ((items[i] = pop(u)) < 0) return fail(u, "TUPLE1/2/3 on a short stack");
    for (int i = 0; i < n; i++)
        if (append_item(u, v, items[i])) return LF_ERR_NOMEM;
    return push(u, v);
}

static const struct {
    const char *module, *name;
    callable c;
} allowed_globals[] = {
    {"collections", "OrderedDict", C_ORDERED_DICT},
    {"torch._utils", "_rebuild_tensor_v2", C_REBUILD_TENSOR},
    {"torch._utils", "_rebuild_parameter", C_REBUILD_PARAMETER},
};

static const struct {
    const char *name;
    int type;
} storage_types[] = {
    {"FloatStorage", LF_TYPE_F32}, {"HalfStorage", LF_TYPE_F16}, {"BFloat16Storage", LF_TYPE_BF16},
    {"DoubleStorage", -1},         {"LongStorage", -1},          {"IntStorage", -1},
    {"ShortStorage", -1},          {"CharStorage", -1},          {"ByteStorage", -1},
    {"BoolStorage", -1},
};

static int push_global(unpickler *u, const char *module, size_t mlen, const char *name, size_t nlen) {
    for (size_t i = 0; i < sizeof allowed_globals / sizeof allowed_globals[0]; i++)
        if (strlen(allowed_globals[i].module) == mlen && !memcmp(allowed_globals[i].module, module, mlen) &&
            strlen(allowed_globals[i].name) == nlen && !memcmp(allowed_globals[i].name, name, nlen))
            return push_int(u, V_GLOBAL, allowed_globals[i].c);
    for (size_t i = 0; mlen == 5 && !memcmp(module, "torch", 5) && i < sizeof storage_types / sizeof storage_types[0]; i++)
        if (strlen(storage_types[i].name) == nlen && !memcmp(storage_types[i].name, name, nlen)) {
            int v = new_value(u, V_GLOBAL);
            if (v >= 0) u->vals[v].i = C_STORAGE_TYPE, u->vals[v].s = (char *)storage_types[i].name;
            return push(u, v);
        }
    char what[200];
    snprintf(what, sizeof what, "refuses global %.*s.%.*s (a checkpoint holds only tensors and dicts; "
             "loading never runs code)", (int)(mlen > 80 ? 80 : mlen), module, (int)(nlen > 80 ? 80 : nlen), name);
    return fail(u, what);
}

/* GLOBAL's operands: "module\nname\n". */
static int op_global(unpickler *u) {
    const unsigned char *nl1 = memchr(u->p, '\n', (size_t)(u->end - u->p));
    const unsigned char *nl2 = nl1 ? memchr(nl1 + 1, '\n', (size_t)(u->end - nl1 - 1)) : NULL;
    if (!nl2) return fail(u, "GLOBAL without its two lines");
    const char *module = (const char *)u->p, *name = (const char *)nl1 + 1;
    size_t mlen = (size_t)(nl1 - u->p), nlen = (size_t)(nl2 - nl1 - 1);
    u->p = nl2 + 1;
    return push_global(u, module, mlen, name, nlen);
}

static int op_stack_global(unpickler *u) {
    int name = pop(u), module = pop(u);
    if (name < 0 || module < 0 || u->vals[name].kind != V_STR || u->vals[module].kind != V_STR)
        return fail(u, "STACK_GLOBAL needs two strings");
    return push_global(u, u->vals[module].s, u->vals[module].len, u->vals[name].s, u->vals[name].len);
}

static bool is_int_tuple(const unpickler *u, int v, int max) {
    if (v < 0 || u->vals[v].kind != V_TUPLE || u->vals[v].n > max) return false;
    for (int i = 0; i < u->vals[v].n; i++)
        if (u->vals[u->vals[v].items[i]].kind != V_INT) return false;
    return true;
}

/* REDUCE: callable(*args) for the three callables a state dict uses. */
static int op_reduce(unpickler *u) {
    int args = pop(u), fn = pop(u);
    if (fn < 0 || args < 0 || u->vals[fn].kind != V_GLOBAL || u->vals[args].kind != V_TUPLE)
        return fail(u, "REDUCE needs a known callable and an argument tuple");
    const pvalue a_copy = u->vals[args], *a = &a_copy; /* new_value may move u->vals */
    switch ((callable)u->vals[fn].i) {
    case C_ORDERED_DICT:
        if (a->n) return fail(u, "OrderedDict called with arguments");
        return push(u, new_value(u, V_DICT));
    case C_REBUILD_PARAMETER:
        if (a->n < 1 || u->vals[a->items[0]].kind != V_TENSOR) return fail(u, "_rebuild_parameter without a tensor");
        return push(u, a->items[0]);
    case C_REBUILD_TENSOR: {
        /* (storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata]) */
        if (a->n < 4 || u->vals[a->items[0]].kind != V_STORAGE || u->vals[a->items[1]].kind != V_INT ||
            !is_int_tuple(u, a->items[2], TORCH_MAX_DIMS) || !is_int_tuple(u, a->items[3], TORCH_MAX_DIMS) ||
            u->vals[a->items[2]].n != u->vals[a->items[3]].n)
            return fail(u, "_rebuild_tensor_v2 with arguments other than (storage, offset, size, stride, ...)");
        int t = new_value(u, V_TENSOR);
        if (t < 0) return push(u, -1);
        u->vals[t].ref = a->items[0];
        u->vals[t].offset = u->vals[a->items[1]].i;
        u->vals[t].shape = a->items[2];
        u->vals[t].stride = a->items[3];
        return push(u, t);
    }
    case C_STORAGE_TYPE: break;
    }
    return fail(u, "REDUCE of a storage class");
}

/* BINPERSID: ('storage', storage class, key, location, numel) names a zip member. */
static int op_persistent_id(unpickler *u) {
    int pid = pop(u);
    pvalue t_copy = pid >= 0 ? u->vals[pid] : (pvalue){0}; /* new_value may move u->vals */
    const pvalue *t = pid >= 0 ? &t_copy : NULL;
    if (!t || t->kind != V_TUPLE || t->n != 5 || u->vals[t->items[0]].kind != V_STR ||
        strcmp(u->vals[t->items[0]].s, "storage") || u->vals[t->items[1]].kind != V_GLOBAL ||
        u->vals[t->items[1]].i != C_STORAGE_TYPE || u->vals[t->items[2]].kind != V_STR ||
        u->vals[t->items[4]].kind != V_INT || u->vals[t->items[4]].i < 0)
        return fail(u, "persistent id other than ('storage', type, key, location, numel)");
    int s = new_value(u, V_STORAGE);
    if (s < 0) return push(u, -1);
    u->vals[s].s = u->vals[t->items[1]].s; /* class name, static */
    u->vals[s].ref = t->items[2];
    u->vals[s].offset = u->vals[t->items[4]].i;
    return push(u, s);
}

/* SETITEM(S) into the dict, APPEND(S) into the list below the items: the top 2 (1)
 * values, or all above the innermost mark. */
static int op_extend(unpickler *u, vkind kind, bool many) {
    const char *op = kind == V_DICT ? "SETITEM(S)" : "APPEND(S)";
    char what[80];
    int n = kind == V_DICT ? 2 : 1;
    if (many) {
        if (!u->n_marks) return fail(u, (snprintf(what, sizeof what, "%s without a MARK", op), what));
        n = u->n_stack - u->marks[u->n_marks - 1];
        u->n_marks--;
    }
    if (kind == V_DICT && n % 2) return fail(u, "SETITEMS with an odd number of keys and values");
    int base = u->n_stack - n;
    int c = base > (u->n_marks ? u->marks[u->n_marks - 1] : 0) ? u->stack[base - 1] : -1;
    if (c < 0 || u->vals[c].kind != kind)
        return fail(u, (snprintf(what, sizeof what, "%s on something that is not a %s", op,
                                 kind == V_DICT ? "dict" : "list"), what));
    for (int i = base; i < u->n_stack; i++)
        if (append_item(u, c, u->stack[i])) return LF_ERR_NOMEM;
    u->n_stack = base;
    return LF_OK;
}

static int memo_put(unpickler *u, uint64_t idx) {
    int v = top(u);
    if (v < 0) return fail(u, "PUT/MEMOIZE on an empty stack");
    if (idx >= MAX_MEMO) return fail(u, "memo index too large");
    if ((int)idx >= u->n_memo) {
        int *m = realloc(u->memo, (idx + 1) * sizeof *m);
        if (!m) return lf_fail(u->err, LF_ERR_NOMEM, "%s: out of memory reading the pickle", u->name);
        for (int i = u->n_memo; i <= (int)idx; i++) m[i] = -1;
        u->memo = m;
        u->n_memo = (int)idx + 1;
    }
    u->memo[idx] = v;
    return LF_OK;
}

static int memo_get(unpickler *u, uint64_t idx) {
    if (idx >= (uint64_t)u->n_memo || u->memo[idx] < 0) return fail(u, "GET of an index never PUT");
    return push(u, u->memo[idx]);
}

/* Runs opcodes up to STOP. */
static int run(unpickler *u) {
    const unsigned char *b;
    for (;;) {
        if (!take(u, 1, &b)) return fail(u, "ends before STOP");
        unsigned char op = b[0];
        int rc = LF_OK;
        switch (op) {
        case 0x80: rc = take(u, 1, &b) ? LF_OK : fail(u, "truncated PROTO"); break;            /* PROTO */
        case 0x95: rc = take(u, 8, &b) ? LF_OK : fail(u, "truncated FRAME"); break;            /* FRAME */
        case '.': return u->n_stack == 1 && !u->n_marks ? LF_OK : fail(u, "STOP with a stack other than one value");
        case '}': rc = push(u, new_value(u, V_DICT)); break;
        case ']': rc = push(u, new_value(u, V_LIST)); break;
        case ')': rc = push(u, new_value(u, V_TUPLE)); break;
        case 'N': rc = push(u, new_value(u, V_NONE)); break;
        case 'G': /* BINFLOAT: a number beside the weights (never a tensor's); its value is not needed */
            rc = take(u, 8, &b) ? push(u, new_value(u, V_NONE)) : fail(u, "truncated BINFLOAT");
            break;
        case 0x88: rc = push_int(u, V_BOOL, 1); break;
        case 0x89: rc = push_int(u, V_BOOL, 0); break;
        case '(':
            if (u->n_marks >= (1 << 20) || grow(&u->marks, &u->cap_marks, u->n_marks + 1, sizeof *u->marks))
                return fail(u, "too many MARKs");
            u->marks[u->n_marks++] = u->n_stack;
            break;
        case 't': rc = collect_marked(u, V_TUPLE); break;
        case 0x85: case 0x86: case 0x87: rc = tuple_of(u, op - 0x84); break;
        case 'l': rc = collect_marked(u, V_LIST); break;
        case 'K': rc = take(u, 1, &b) ? push_int(u, V_INT, b[0]) : fail(u, "truncated BININT1"); break;
        case 'M': rc = take(u, 2, &b) ? push_int(u, V_INT, (int64_t)le(b, 2)) : fail(u, "truncated BININT2"); break;
        case 'J': rc = take(u, 4, &b) ? push_int(u, V_INT, (int32_t)(uint32_t)le(b, 4)) : fail(u, "truncated BININT"); break;
        case 0x8a: rc = take(u, 1, &b) && take(u, b[0], &b) ? push_long(u, b, (uint64_t)(u->p - b)) : fail(u, "truncated LONG1"); break;
        case 'X': case 0x8c: case 0x8d: { /* BINUNICODE, SHORT_BINUNICODE, BINUNICODE8 */
            int w = op == 'X' ? 4 : op == 0x8c ? 1 : 8;
            if (!take(u, (size_t)w, &b)) return fail(u, "truncated string length");
            uint64_t n = le(b, w);
            if (n > (uint64_t)(u->end - u->p)) return fail(u, "string longer than the pickle");
            take(u, (size_t)n, &b);
            rc = push_string(u, b, (size_t)n);
            break;
        }
        case 'q': rc = take(u, 1, &b) ? memo_put(u, b[0]) : fail(u, "truncated BINPUT"); break;
        case 'r': rc = take(u, 4, &b) ? memo_put(u, le(b, 4)) : fail(u, "truncated LONG_BINPUT"); break;
        case 0x94: rc = memo_put(u, (uint64_t)u->n_memo); break; /* MEMOIZE */
        case 'h': rc = take(u, 1, &b) ? memo_get(u, b[0]) : fail(u, "truncated BINGET"); break;
        case 'j': rc = take(u, 4, &b) ? memo_get(u, le(b, 4)) : fail(u, "truncated LONG_BINGET"); break;
        case 'c': rc = op_global(u); break;
        case 0x93: rc = op_stack_global(u); break;
        case 'R': rc = op_reduce(u); break;
        case 'Q': rc = op_persistent_id(u); break;
        case 'b': /* BUILD: state for a dict (its _metadata) or a tensor is read and dropped */
            if (pop(u) < 0 || top(u) < 0 || (u->vals[top(u)].kind != V_DICT && u->vals[top(u)].kind != V_TENSOR))
                return fail(u, "BUILD of something that is not a dict or tensor");
            break;
        case 's': rc = op_extend(u, V_DICT, false); break;
        case 'u': rc = op_extend(u, V_DICT, true); break;
        case 'a': rc = op_extend(u, V_LIST, false); break;
        case 'e': rc = op_extend(u, V_LIST, true); break;
        default: {
            char what[64];
            snprintf(what, sizeof what, "opcode 0x%02x is not one a state dict uses", op);
            return fail(u, what);
        }
        }
        if (rc) return rc;
    }
}

static int add_tensor(unpickler *u, torch_state_dict *sd, int *cap, const char *name, const pvalue *t) {
    if (grow(&sd->tensors, cap, sd->n_tensors + 1, sizeof *sd->tensors))
        return lf_fail(u->err, LF_ERR_NOMEM, "%s: out of memory", u->name);
    const pvalue *st = &u->vals[t->ref], *shape = &u->vals[t->shape], *stride = &u->vals[t->stride];
    torch_tensor_ref *r = &sd->tensors[sd->n_tensors];
    *r = (torch_tensor_ref){.type = -1, .storage_numel = (uint64_t)st->offset, .storage_offset = t->offset,
                            .n_dims = shape->n};
    snprintf(r->dtype, sizeof r->dtype, "%s", st->s);
    for (size_t i = 0; i < sizeof storage_types / sizeof storage_types[0]; i++)
        if (!strcmp(storage_types[i].name, st->s)) r->type = storage_types[i].type;
    for (int d = 0; d < shape->n; d++) {
        r->shape[d] = u->vals[shape->items[d]].i;
        r->stride[d] = u->vals[stride->items[d]].i;
    }
    r->name = strdup(name);
    r->storage_key = strdup(u->vals[st->ref].s);
    sd->n_tensors++;
    return r->name && r->storage_key ? LF_OK : lf_fail(u->err, LF_ERR_NOMEM, "%s: out of memory", u->name);
}

/* The tensors of dict d (and of the dicts inside it) under prefix. */
static int collect(unpickler *u, int d, const char *prefix, int depth, torch_state_dict *sd, int *cap) {
    if (depth > MAX_NESTING) return fail(u, "dicts nested too deeply");
    const pvalue *dict = &u->vals[d];
    for (int i = 0; i + 1 < dict->n; i += 2) {
        const pvalue *k = &u->vals[dict->items[i]], *v = &u->vals[dict->items[i + 1]];
        if (v->kind != V_TENSOR && v->kind != V_DICT) continue; /* e.g. an epoch number beside the weights */
        if (k->kind != V_STR || strlen(k->s) != k->len) return fail(u, "a dict key that is not a plain string");
        size_t n = strlen(prefix) + k->len + 2;
        char *name = malloc(n);
        if (!name) return lf_fail(u->err, LF_ERR_NOMEM, "%s: out of memory", u->name);
        snprintf(name, n, "%s%s%s", prefix, *prefix ? "." : "", k->s);
        int rc = v->kind == V_TENSOR ? add_tensor(u, sd, cap, name, v)
                                     : collect(u, dict->items[i + 1], name, depth + 1, sd, cap);
        free(name);
        if (rc) return rc;
    }
    return LF_OK;
}

static void unpickler_free(unpickler *u) {
    for (int i = 0; i < u->n_vals; i++) {
        if (u->vals[i].kind == V_STR) free(u->vals[i].s);
        free(u->vals[i].items);
    }
    free(u->vals);
    free(u->stack);
    free(u->marks);
    free(u->memo);
}

int torch_pickle_read(const void *data, size_t size, const char *name, torch_state_dict *out, lf_error *err) {
    *out = (torch_state_dict){0};
    unpickler u = {.start = data, .p = data, .end = (const unsigned char *)data + size, .name = name, .err = err};
    int rc = run(&u);
    if (!rc && u.vals[u.stack[0]].kind != V_DICT) rc = fail(&u, "the checkpoint is not a dict of tensors");
    int cap = 0;
    if (!rc) rc = collect(&u, u.stack[0], "", 0, out, &cap);
    unpickler_free(&u);
    if (rc) torch_state_dict_free(out);
    return rc;
}

void torch_state_dict_free(torch_state_dict *sd) {
    for (int i = 0; i < sd->n_tensors; i++) {
        free(sd->tensors[i].name);
        free(sd->tensors[i].storage_key);
    }
    free(sd->tensors);
    *sd = (torch_state_dict){0};
}
