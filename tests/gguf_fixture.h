/* A tiny GGUF writer for tests and fuzz seeds, written from the format description
 * (little-endian; header, metadata key-values, tensor infos, aligned data). It has the
 * low-level pieces (so a test can write any hostile header by hand) and two whole files:
 * gguf_fixture_all_types (every value type, arrays, three tensors) and
 * gguf_fixture_tiny_model (a complete one-layer llama model, optionally with a
 * vocabulary). Header-only (static inline) so test and seed programs share it. */
#ifndef LF_TESTS_GGUF_FIXTURE_H
#define LF_TESTS_GGUF_FIXTURE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* GGUF value type and tensor type numbers, spelled out here so the writer does not
 * depend on the reader it tests. */
enum {
    GW_UINT8 = 0, GW_INT8 = 1, GW_UINT16 = 2, GW_INT16 = 3, GW_UINT32 = 4, GW_INT32 = 5,
    GW_FLOAT32 = 6, GW_BOOL = 7, GW_STRING = 8, GW_ARRAY = 9, GW_UINT64 = 10, GW_INT64 = 11,
    GW_FLOAT64 = 12
};
enum { GW_TENSOR_F32 = 0, GW_TENSOR_Q8_0 = 8 };

typedef struct gguf_buf {
    unsigned char *p;
    size_t n, cap;
} gguf_buf;

static inline void gb_bytes(gguf_buf *b, const void *src, size_t n) {
    if (b->n + n > b->cap) {
        b->cap = (b->n + n) * 2 + 64;
        b->p = realloc(b->p, b->cap);
        if (!b->p) abort(); /* a test cannot continue without its fixture */
    }
    if (n) memcpy(b->p + b->n, src, n);
    b->n += n;
}
static inline void gb_u8(gguf_buf *b, uint8_t v) { gb_bytes(b, &v, 1); }
static inline void gb_u16(gguf_buf *b, uint16_t v) { gb_bytes(b, &v, 2); }
static inline void gb_u32(gguf_buf *b, uint32_t v) { gb_bytes(b, &v, 4); }
static inline void gb_u64(gguf_buf *b, uint64_t v) { gb_bytes(b, &v, 8); }
static inline void gb_f32(gguf_buf *b, float v) { gb_bytes(b, &v, 4); }
static inline void gb_f64(gguf_buf *b, double v) { gb_bytes(b, &v, 8); }
static inline void gb_free(gguf_buf *b) {
    free(b->p);
    *b = (gguf_buf){0};
}

/* A GGUF string: u64 length, then the bytes (no terminator). */
static inline void gb_str(gguf_buf *b, const char *s) {
    gb_u64(b, strlen(s));
    gb_bytes(b, s, strlen(s));
}

static inline void gb_header(gguf_buf *b, uint32_t version, uint64_t n_tensors, uint64_t n_kv) {
    gb_bytes(b, "GGUF", 4);
    gb_u32(b, version);
    gb_u64(b, n_tensors);
    gb_u64(b, n_kv);
}

/* Key and value type; the caller writes the value. */
static inline void gb_key(gguf_buf *b, const char *key, uint32_t type) {
    gb_str(b, key);
    gb_u32(b, type);
}
static inline void gb_kv_u32(gguf_buf *b, const char *key, uint32_t v) {
    gb_key(b, key, GW_UINT32);
    gb_u32(b, v);
}
static inline void gb_kv_f32(gguf_buf *b, const char *key, float v) {
    gb_key(b, key, GW_FLOAT32);
    gb_f32(b, v);
}
static inline void gb_kv_str(gguf_buf *b, const char *key, const char *v) {
    gb_key(b, key, GW_STRING);
    gb_str(b, v);
}
/* Array header: element type and count; the caller writes the elements. */
static inline void gb_kv_array(gguf_buf *b, const char *key, uint32_t elem_type, uint64_t count) {
    gb_key(b, key, GW_ARRAY);
    gb_u32(b, elem_type);
    gb_u64(b, count);
}

static inline void gb_tensor_info(gguf_buf *b, const char *name, uint32_t n_dims, const uint64_t *ne,
                                  uint32_t type, uint64_t offset) {
    gb_str(b, name);
    gb_u32(b, n_dims);
    for (uint32_t d = 0; d < n_dims; d++) gb_u64(b, ne[d]);
    gb_u32(b, type);
    gb_u64(b, offset);
}

static inline void gb_pad(gguf_buf *b, size_t alignment) {
    while (b->n % alignment) gb_u8(b, 0);
}

static inline size_t gw_align_up(size_t x, size_t alignment) { return (x + alignment - 1) / alignment * alignment; }

/* Bytes of a tensor of the two types the fixtures use. */
static inline size_t gw_tensor_bytes(uint32_t type, const uint64_t ne[4]) {
    size_t n = (size_t)(ne[0] * ne[1] * ne[2] * ne[3]);
    return type == GW_TENSOR_Q8_0 ? n / 32 * 34 : n * 4;
}

/* Tensor data: F32 element i is value0 + i * step; Q8_0 blocks have scale 1.0 (fp16
 * 0x3C00) and quants (i % 32) - 16. */
static inline void gb_tensor_data(gguf_buf *b, uint32_t type, const uint64_t ne[4], float value0, float step) {
    size_t n = (size_t)(ne[0] * ne[1] * ne[2] * ne[3]);
    if (type == GW_TENSOR_Q8_0) {
        for (size_t blk = 0; blk < n / 32; blk++) {
            gb_u16(b, 0x3C00);
            for (int i = 0; i < 32; i++) gb_u8(b, (uint8_t)(int8_t)(i - 16));
        }
        return;
    }
    for (size_t i = 0; i < n; i++) gb_f32(b, value0 + (float)i * step);
}

/* ------------------------------------------------------------ every value type */

#define GW_ALL_TYPES_N_KV 18 /* without general.alignment */
#define GW_ALL_TYPES_N_TENSORS 3

/* A file with one key of every scalar type, arrays (numeric, bool, string, empty) and
 * three tensors: "w.f32" F32 [3,2] (i * 0.5), "w.q8" Q8_0 [32,2], "w.4d" F32 [1,2,1,2]
 * (100 + i). alignment 0 writes no general.alignment key (the default 32 applies);
 * otherwise that uint32 key is written and used. The file ends with the last tensor's
 * last byte, so every shorter prefix is invalid. */
static inline void gguf_fixture_all_types(gguf_buf *b, uint32_t version, uint32_t alignment) {
    size_t align = alignment ? alignment : 32;
    gb_header(b, version, GW_ALL_TYPES_N_TENSORS, GW_ALL_TYPES_N_KV + (alignment != 0));
    gb_key(b, "t.u8", GW_UINT8), gb_u8(b, 200);
    gb_key(b, "t.i8", GW_INT8), gb_u8(b, (uint8_t)(int8_t)-100);
    gb_key(b, "t.u16", GW_UINT16), gb_u16(b, 60000);
    gb_key(b, "t.i16", GW_INT16), gb_u16(b, (uint16_t)(int16_t)-30000);
    gb_kv_u32(b, "t.u32", 4000000000u);
    gb_key(b, "t.i32", GW_INT32), gb_u32(b, (uint32_t)(int32_t)-2000000000);
    gb_kv_f32(b, "t.f32", 1.5f);
    gb_key(b, "t.bool", GW_BOOL), gb_u8(b, 1);
    gb_kv_str(b, "t.str", "h\xc3\xa9llo");
    gb_key(b, "t.u64", GW_UINT64), gb_u64(b, (1ull << 63) + 5);
    gb_key(b, "t.i64", GW_INT64), gb_u64(b, (uint64_t)-(1ll << 62));
    gb_key(b, "t.f64", GW_FLOAT64), gb_f64(b, -2.25e300);
    gb_kv_array(b, "t.arr.i16", GW_INT16, 3);
    gb_u16(b, (uint16_t)-1), gb_u16(b, 2), gb_u16(b, (uint16_t)-3);
    gb_kv_array(b, "t.arr.f32", GW_FLOAT32, 2);
    gb_f32(b, 0.5f), gb_f32(b, -1.25f);
    gb_kv_array(b, "t.arr.str", GW_STRING, 3);
    gb_str(b, "a"), gb_str(b, ""), gb_str(b, "ccc");
    gb_kv_array(b, "t.arr.empty", GW_UINT64, 0);
    gb_kv_array(b, "t.arr.bool", GW_BOOL, 2);
    gb_u8(b, 1), gb_u8(b, 0);
    gb_kv_array(b, "t.arr.u64", GW_UINT64, 2);
    gb_u64(b, UINT64_MAX), gb_u64(b, 7);
    if (alignment) gb_kv_u32(b, "general.alignment", alignment);

    struct { const char *name; uint32_t n_dims, type; uint64_t ne[4]; float v0, step; } t[GW_ALL_TYPES_N_TENSORS] = {
        {"w.f32", 2, GW_TENSOR_F32, {3, 2, 1, 1}, 0.0f, 0.5f},
        {"w.q8", 2, GW_TENSOR_Q8_0, {32, 2, 1, 1}, 0, 0},
        {"w.4d", 4, GW_TENSOR_F32, {1, 2, 1, 2}, 100.0f, 1.0f},
    };
    size_t offset = 0;
    for (int i = 0; i < GW_ALL_TYPES_N_TENSORS; i++) {
        offset = gw_align_up(offset, align);
        gb_tensor_info(b, t[i].name, t[i].n_dims, t[i].ne, t[i].type, offset);
        offset += gw_tensor_bytes(t[i].type, t[i].ne);
    }
    gb_pad(b, align);
    size_t data_start = b->n;
    for (int i = 0; i < GW_ALL_TYPES_N_TENSORS; i++) {
        while (b->n - data_start < gw_align_up(b->n - data_start, align)) gb_u8(b, 0);
        gb_tensor_data(b, t[i].type, t[i].ne, t[i].v0, t[i].step);
    }
}

/* --------------------------------------------------------------- tiny model */

typedef enum gw_vocab { GW_VOCAB_NONE, GW_VOCAB_SPM, GW_VOCAB_BPE } gw_vocab;

/* A one-layer llama model in F32 (attn_q in Q8_0 when dim is a multiple of 32). The
 * metadata values are written as given, so a test can make them wrong; the tensors always
 * follow dim/hidden/heads/tensor_layers/vocab_rows. */
typedef struct gw_model {
    const char *arch;
    uint32_t block_count, head_count, head_count_kv, dim, hidden;
    uint32_t tensor_layers; /* layers whose tensors are written */
    uint32_t vocab_rows;    /* rows of token_embd.weight */
    gw_vocab vocab;
    const char *omit;    /* tensor left out, or NULL */
    const char *reshape; /* tensor written with one more row than it needs, or NULL */
    bool has_ctx;        /* write ARCH.context_length as ctx_type (UINT32, INT32, UINT64, STRING) */
    uint32_t ctx_type;
    uint64_t ctx_value;
} gw_model;

#define GW_SPM_VOCAB_SIZE (3 + 256 + 6)
#define GW_BPE_VOCAB_SIZE (256 + 5 + 1)

static inline gw_model gw_model_default(void) {
    return (gw_model){.arch = "llama", .block_count = 1, .head_count = 2, .head_count_kv = 1, .dim = 32,
                      .hidden = 48, .tensor_layers = 1, .vocab_rows = 272, .vocab = GW_VOCAB_NONE};
}

static inline int gw_model_n_kv(const gw_model *m) {
    int n = 8 + m->has_ctx;
    if (m->vocab == GW_VOCAB_SPM) n += 5;
    if (m->vocab == GW_VOCAB_BPE) n += 6;
    return n;
}

/* UTF-8 of GPT-2's printable stand-in for byte c (see the byte-level BPE alphabet). */
static inline void gw_bpe_byte_piece(unsigned c, char out[3]) {
    bool self = (c >= 0x21 && c <= 0x7E) || (c >= 0xA1 && c <= 0xAC) || (c >= 0xAE);
    unsigned cp = self ? c : c <= 0x20 ? 0x100 + c : c <= 0xA0 ? 0x100 + 33 + (c - 0x7F) : 0x100 + 67;
    if (cp < 0x80) {
        out[0] = (char)cp, out[1] = 0;
    } else {
        out[0] = (char)(0xC0 | (cp >> 6)), out[1] = (char)(0x80 | (cp & 0x3F)), out[2] = 0;
    }
}

static inline void gw_write_vocab(gguf_buf *b, gw_vocab vocab) {
    if (vocab == GW_VOCAB_SPM) {
        static const char *words[] = {"\xe2\x96\x81", "\xe2\x96\x81h", "he", "ll", "\xe2\x96\x81he", "llo"};
        gb_kv_str(b, "tokenizer.ggml.model", "llama");
        gb_kv_array(b, "tokenizer.ggml.tokens", GW_STRING, GW_SPM_VOCAB_SIZE);
        gb_str(b, "<unk>"), gb_str(b, "<s>"), gb_str(b, "</s>");
        char piece[8];
        for (int i = 0; i < 256; i++) snprintf(piece, sizeof piece, "<0x%02X>", i), gb_str(b, piece);
        for (int i = 0; i < 6; i++) gb_str(b, words[i]);
        gb_kv_array(b, "tokenizer.ggml.scores", GW_FLOAT32, GW_SPM_VOCAB_SIZE);
        for (int i = 0; i < GW_SPM_VOCAB_SIZE; i++) gb_f32(b, i < 259 ? 0.0f : -(float)(i - 259));
        gb_kv_array(b, "tokenizer.ggml.token_type", GW_INT32, GW_SPM_VOCAB_SIZE);
        for (int i = 0; i < GW_SPM_VOCAB_SIZE; i++) gb_u32(b, i == 0 ? 2 : i < 3 ? 3 : i < 259 ? 6 : 1);
        gb_kv_u32(b, "tokenizer.ggml.bos_token_id", 1);
        return;
    }
    static const char *words[] = {"he", "ll", "\xc4\xa0h", "\xc4\xa0he", "llo"};
    static const char *merges[] = {"h e", "l l", "\xc4\xa0 h", "\xc4\xa0h e", "ll o"};
    gb_kv_str(b, "tokenizer.ggml.model", "gpt2");
    gb_kv_str(b, "tokenizer.ggml.pre", "smollm");
    gb_kv_array(b, "tokenizer.ggml.tokens", GW_STRING, GW_BPE_VOCAB_SIZE);
    char piece[3];
    for (unsigned c = 0; c < 256; c++) gw_bpe_byte_piece(c, piece), gb_str(b, piece);
    for (int i = 0; i < 5; i++) gb_str(b, words[i]);
    gb_str(b, "<|endoftext|>");
    gb_kv_array(b, "tokenizer.ggml.token_type", GW_INT32, GW_BPE_VOCAB_SIZE);
    for (int i = 0; i < GW_BPE_VOCAB_SIZE; i++) gb_u32(b, i == GW_BPE_VOCAB_SIZE - 1 ? 3 : 1);
    gb_kv_array(b, "tokenizer.ggml.merges", GW_STRING, 5);
    for (int i = 0; i < 5; i++) gb_str(b, merges[i]);
    gb_kv_u32(b, "tokenizer.ggml.eos_token_id", GW_BPE_VOCAB_SIZE - 1);
}

static inline void gguf_fixture_tiny_model(gguf_buf *b, const gw_model *m) {
    uint64_t d = m->dim, h = m->hidden, hd = m->dim / m->head_count;
    uint64_t q = m->head_count * hd, kv = m->head_count_kv * hd;
    enum { MAX_T = 64 };
    struct { char name[48]; uint32_t n_dims, type; uint64_t ne[4]; } t[MAX_T];
    int nt = 0;
#define GW_ADD(nm, nd, ty, e0, e1)                                                          \
    do {                                                                                    \
        if (nt < MAX_T && !(m->omit && strcmp(m->omit, nm) == 0)) {                         \
            snprintf(t[nt].name, sizeof t[nt].name, "%s", nm);                              \
            bool grow = m->reshape && strcmp(m->reshape, nm) == 0;                          \
            t[nt].n_dims = (nd), t[nt].type = (ty);                                         \
            t[nt].ne[0] = (e0), t[nt].ne[1] = (e1) + grow, t[nt].ne[2] = t[nt].ne[3] = 1;   \
            if (grow) t[nt].n_dims = 2;                                                     \
            nt++;                                                                           \
        }                                                                                   \
    } while (0)
    GW_ADD("token_embd.weight", 2, GW_TENSOR_F32, d, m->vocab_rows);
    GW_ADD("output_norm.weight", 1, GW_TENSOR_F32, d, 1);
    char nm[48];
    for (uint32_t l = 0; l < m->tensor_layers; l++) {
        struct { const char *suffix; uint32_t nd; uint64_t e0, e1; } per[] = {
            {"attn_norm", 1, d, 1}, {"attn_q", 2, d, q}, {"attn_k", 2, d, kv}, {"attn_v", 2, d, kv},
            {"attn_output", 2, q, d}, {"ffn_norm", 1, d, 1}, {"ffn_gate", 2, d, h}, {"ffn_up", 2, d, h},
            {"ffn_down", 2, h, d},
        };
        for (size_t i = 0; i < sizeof per / sizeof per[0]; i++) {
            snprintf(nm, sizeof nm, "blk.%u.%s.weight", l, per[i].suffix);
            uint32_t type = strcmp(per[i].suffix, "attn_q") == 0 && d % 32 == 0 ? GW_TENSOR_Q8_0 : GW_TENSOR_F32;
            GW_ADD(nm, per[i].nd, type, per[i].e0, per[i].e1);
        }
    }
#undef GW_ADD
    gb_header(b, 3, (uint64_t)nt, (uint64_t)gw_model_n_kv(m));
    gb_kv_str(b, "general.architecture", m->arch);
    gb_kv_str(b, "general.name", "gguf fixture tiny model");
    char key[96];
#define GW_ARCH_KEY(suffix) (snprintf(key, sizeof key, "%s.%s", m->arch, suffix), key)
    gb_kv_u32(b, GW_ARCH_KEY("block_count"), m->block_count);
    gb_kv_u32(b, GW_ARCH_KEY("embedding_length"), m->dim);
    gb_kv_u32(b, GW_ARCH_KEY("feed_forward_length"), m->hidden);
    gb_kv_u32(b, GW_ARCH_KEY("attention.head_count"), m->head_count);
    gb_kv_u32(b, GW_ARCH_KEY("attention.head_count_kv"), m->head_count_kv);
    gb_kv_f32(b, GW_ARCH_KEY("attention.layer_norm_rms_epsilon"), 1e-5f);
    if (m->has_ctx) {
        gb_key(b, GW_ARCH_KEY("context_length"), m->ctx_type);
        if (m->ctx_type == GW_STRING) gb_str(b, "4096");
        else if (m->ctx_type == GW_UINT64 || m->ctx_type == GW_INT64) gb_u64(b, m->ctx_value);
        else gb_u32(b, (uint32_t)m->ctx_value);
    }
#undef GW_ARCH_KEY
    if (m->vocab != GW_VOCAB_NONE) gw_write_vocab(b, m->vocab);
    size_t offset = 0;
    for (int i = 0; i < nt; i++) {
        offset = gw_align_up(offset, 32);
        gb_tensor_info(b, t[i].name, t[i].n_dims, t[i].ne, t[i].type, offset);
        offset += gw_tensor_bytes(t[i].type, t[i].ne);
    }
    gb_pad(b, 32);
    size_t data_start = b->n;
    for (int i = 0; i < nt; i++) {
        while (b->n - data_start < gw_align_up(b->n - data_start, 32)) gb_u8(b, 0);
        bool norm = strstr(t[i].name, "norm") != NULL;
        gb_tensor_data(b, t[i].type, t[i].ne, norm ? 1.0f : -0.01f, norm ? 0.0f : 0.0003f);
    }
}

/* Writes a buffer to a file; false on any failure. */
static inline bool gb_write_file(const gguf_buf *b, const char *path) {
    FILE *fp = fopen(path, "wb");
    if (!fp) return false;
    bool ok = b->n == 0 || fwrite(b->p, 1, b->n, fp) == b->n;
    return fclose(fp) == 0 && ok;
}

#endif
