/* make_synthetic_model OUT.gguf --shape S --type T [--seed N]: writes a random-weight
 * Llama model of a real shape with our own GGUF writer (src/format/gguf_write.h), for
 * benchmarks: llama-fast and llama.cpp's llama-bench both load it (complete llama
 * metadata and a valid SentencePiece-style vocabulary of the right size: <unk>, <s>,
 * </s>, the 256 byte tokens <0x00>..<0xFF>, then filler pieces).
 *
 * Every matrix (token_embd and output included) has the chosen type; norms are F32 near
 * 1. Quantized tensors are random block bytes whose fp16 scale fields are then set so the
 * dequantized weights have a chosen standard deviation (1/sqrt(columns)), with the
 * minimum fields of Q4_1/Q5_1/Q2_K/Q4_K/Q5_K set in proportion so weights centre near
 * zero; the spread of unit-scale blocks is measured once with lf_dequantize_row. Data
 * streams to disk in 4 MiB chunks from a xorshift generator, so the speed is the disk's. */
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "format/gguf_write.h"
#include "kernels/blocks_internal.h"
#include "kernels/kernels.h"

typedef struct shape {
    const char *name;
    int dim, n_layers, ffn, n_heads, n_kv_heads, head_dim, vocab, ctx;
    float rope_theta, norm_eps;
    bool tied, rope_freqs;
} shape;

static const shape SHAPES[] = {
    {"llama2-7b", 4096, 32, 11008, 32, 32, 128, 32000, 4096, 10000.0f, 1e-5f, false, false},
    {"llama3.2-1b", 2048, 16, 8192, 32, 8, 64, 128256, 131072, 500000.0f, 1e-5f, true, true},
    {"smollm2-135m", 576, 30, 1536, 9, 3, 64, 49152, 8192, 100000.0f, 1e-5f, true, false},
    {"tiny", 256, 2, 512, 4, 2, 64, 512, 512, 10000.0f, 1e-5f, false, false},
};

/* llama.cpp's llama_ftype for a model whose matrices are all of one type. */
static uint32_t file_type_of(lf_type t) {
    switch (t) {
    case LF_TYPE_F32: return 0;
    case LF_TYPE_F16: return 1;
    case LF_TYPE_Q4_0: return 2;
    case LF_TYPE_Q4_1: return 3;
    case LF_TYPE_Q8_0: return 7;
    case LF_TYPE_Q5_0: return 8;
    case LF_TYPE_Q5_1: return 9;
    case LF_TYPE_Q2_K: return 10;
    case LF_TYPE_Q3_K: return 11; /* Q3_K_S: every matrix Q3_K */
    case LF_TYPE_Q4_K: return 14; /* Q4_K_S */
    case LF_TYPE_Q5_K: return 16; /* Q5_K_S */
    case LF_TYPE_Q6_K: return 18;
    case LF_TYPE_BF16: return 32;
    default: return 0;
    }
}

/* ------------------------------------------------------------------ random */

static uint64_t rng_state;
static inline uint64_t rng_next(void) { /* xorshift64* */
    uint64_t x = rng_state;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    rng_state = x;
    return x * 0x2545F4914F6CDD1Dull;
}
static void rng_fill(unsigned char *p, size_t n) {
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t r = rng_next();
        memcpy(p + i, &r, 8);
    }
    if (i < n) {
        uint64_t r = rng_next();
        memcpy(p + i, &r, n - i);
    }
}
/* Uniform in [-1, 1). */
static inline float rng_sym(uint32_t bits24) { return (float)bits24 * (2.0f / 16777216.0f) - 1.0f; }

/* ---------------------------------------------------------- quantized blocks */

/* Where a block keeps its fp16 scale d and (optionally) its fp16 minimum, and the
 * minimum as a multiple of d that centres the weights (value = d*q*… + m, or for
 * K-quants d*sc*q - dmin*m). */
typedef struct scale_layout {
    int d_off, m_off; /* m_off < 0: no minimum field */
    float m_ratio;
} scale_layout;

static bool scale_layout_of(lf_type t, scale_layout *s) {
    switch (t) {
    case LF_TYPE_Q4_0: *s = (scale_layout){offsetof(block_q4_0, d), -1, 0}; return true;
    case LF_TYPE_Q4_1: *s = (scale_layout){offsetof(block_q4_1, d), offsetof(block_q4_1, m), -7.5f}; return true;
    case LF_TYPE_Q5_0: *s = (scale_layout){offsetof(block_q5_0, d), -1, 0}; return true;
    case LF_TYPE_Q5_1: *s = (scale_layout){offsetof(block_q5_1, d), offsetof(block_q5_1, m), -15.5f}; return true;
    case LF_TYPE_Q8_0: *s = (scale_layout){offsetof(block_q8_0, d), -1, 0}; return true;
    /* K-quants: mean of sc*q over mean of m (both scale fields random 4- or 6-bit) */
    case LF_TYPE_Q2_K: *s = (scale_layout){offsetof(block_q2_K, d), offsetof(block_q2_K, dmin), 1.5f}; return true;
    case LF_TYPE_Q3_K: *s = (scale_layout){offsetof(block_q3_K, d), -1, 0}; return true;
    case LF_TYPE_Q4_K: *s = (scale_layout){offsetof(block_q4_K, d), offsetof(block_q4_K, dmin), 7.5f}; return true;
    case LF_TYPE_Q5_K: *s = (scale_layout){offsetof(block_q5_K, d), offsetof(block_q5_K, dmin), 15.5f}; return true;
    case LF_TYPE_Q6_K: *s = (scale_layout){offsetof(block_q6_K, d), -1, 0}; return true;
    default: return false;
    }
}

static void put_f16(unsigned char *p, float v) {
    uint16_t h = lf_f32_to_f16(v);
    memcpy(p, &h, 2);
}

/* Standard deviation of the weights of random blocks whose d is 1. */
static double unit_block_std(lf_type t, const scale_layout *s, const lf_type_traits *tt) {
    enum { N_BLOCKS = 2048 };
    unsigned char *raw = malloc((size_t)N_BLOCKS * (size_t)tt->block_bytes);
    float *out = malloc((size_t)N_BLOCKS * (size_t)tt->block_elems * sizeof(float));
    if (!raw || !out) {
        fprintf(stderr, "out of memory\n");
        exit(1);
    }
    rng_fill(raw, (size_t)N_BLOCKS * (size_t)tt->block_bytes);
    for (int b = 0; b < N_BLOCKS; b++) {
        unsigned char *blk = raw + (size_t)b * (size_t)tt->block_bytes;
        put_f16(blk + s->d_off, 1.0f);
        if (s->m_off >= 0) put_f16(blk + s->m_off, s->m_ratio);
    }
    int64_t n = (int64_t)N_BLOCKS * tt->block_elems;
    lf_dequantize_row(t, raw, out, n);
    double sum = 0, sq = 0;
    for (int64_t i = 0; i < n; i++) {
        sum += out[i];
        sq += (double)out[i] * out[i];
    }
    double mean = sum / (double)n, var = sq / (double)n - mean * mean;
    free(raw);
    free(out);
    return sqrt(var > 1e-30 ? var : 1e-30);
}

/* ------------------------------------------------------------- the tensors */

typedef enum { T_MATRIX, T_NORM, T_ROPE_FREQS } tensor_kind;

typedef struct tensor_spec {
    char name[64];
    tensor_kind kind;
    uint64_t ne0, ne1; /* ne1 = 1 for vectors */
    float std;
} tensor_spec;

static int build_tensors(const shape *s, tensor_spec *t) {
    int n = 0;
    uint64_t q_dim = (uint64_t)s->n_heads * (uint64_t)s->head_dim;
    uint64_t kv_dim = (uint64_t)s->n_kv_heads * (uint64_t)s->head_dim;
#define ADD(kind_, ne0_, ne1_, std_, ...)                               \
    do {                                                                \
        snprintf(t[n].name, sizeof t[n].name, __VA_ARGS__);             \
        t[n].kind = kind_;                                              \
        t[n].ne0 = ne0_;                                                \
        t[n].ne1 = ne1_;                                                \
        t[n].std = std_;                                                \
        n++;                                                            \
    } while (0)
    float inv_dim = 1.0f / sqrtf((float)s->dim);
    ADD(T_MATRIX, (uint64_t)s->dim, (uint64_t)s->vocab, 0.02f, "token_embd.weight");
    if (s->rope_freqs) ADD(T_ROPE_FREQS, (uint64_t)s->head_dim / 2, 1, 0, "rope_freqs.weight");
    for (int l = 0; l < s->n_layers; l++) {
        ADD(T_NORM, (uint64_t)s->dim, 1, 0, "blk.%d.attn_norm.weight", l);
        ADD(T_MATRIX, (uint64_t)s->dim, q_dim, inv_dim, "blk.%d.attn_q.weight", l);
        ADD(T_MATRIX, (uint64_t)s->dim, kv_dim, inv_dim, "blk.%d.attn_k.weight", l);
        ADD(T_MATRIX, (uint64_t)s->dim, kv_dim, inv_dim, "blk.%d.attn_v.weight", l);
        ADD(T_MATRIX, q_dim, (uint64_t)s->dim, 1.0f / sqrtf((float)q_dim), "blk.%d.attn_output.weight", l);
        ADD(T_NORM, (uint64_t)s->dim, 1, 0, "blk.%d.ffn_norm.weight", l);
        ADD(T_MATRIX, (uint64_t)s->dim, (uint64_t)s->ffn, inv_dim, "blk.%d.ffn_gate.weight", l);
        ADD(T_MATRIX, (uint64_t)s->dim, (uint64_t)s->ffn, inv_dim, "blk.%d.ffn_up.weight", l);
        ADD(T_MATRIX, (uint64_t)s->ffn, (uint64_t)s->dim, 1.0f / sqrtf((float)s->ffn), "blk.%d.ffn_down.weight", l);
    }
    ADD(T_NORM, (uint64_t)s->dim, 1, 0, "output_norm.weight");
    if (!s->tied) ADD(T_MATRIX, (uint64_t)s->dim, (uint64_t)s->vocab, inv_dim, "output.weight");
#undef ADD
    return n;
}

/* Llama 3.1 frequency factors (factor 32, low 1, high 4, original context 8192), the
 * values Llama 3.2 checkpoints carry in rope_freqs.weight. */
static void llama3_rope_factors(const shape *s, float *out) {
    const double factor = 32.0, low = 1.0, high = 4.0, old_ctx = 8192.0;
    const double low_wavelen = old_ctx / low, high_wavelen = old_ctx / high;
    int half = s->head_dim / 2;
    for (int i = 0; i < half; i++) {
        double freq = pow((double)s->rope_theta, -2.0 * i / s->head_dim);
        double wavelen = 2.0 * M_PI / freq;
        double f;
        if (wavelen < high_wavelen) f = 1.0;
        else if (wavelen > low_wavelen) f = factor;
        else {
            double smooth = (old_ctx / wavelen - low) / (high - low);
            f = 1.0 / ((1.0 - smooth) / factor + smooth);
        }
        out[i] = (float)f;
    }
}

/* ---------------------------------------------------------------- vocabulary */

typedef struct vocab {
    char **tokens;
    float *scores;
    int32_t *types;
    int n;
} vocab;

/* SentencePiece-style: <unk> <s> </s>, byte tokens, printable characters, then fillers. */
static bool make_vocab(int n, vocab *v) {
    v->n = n;
    v->tokens = calloc((size_t)n, sizeof *v->tokens);
    v->scores = calloc((size_t)n, sizeof *v->scores);
    v->types = calloc((size_t)n, sizeof *v->types);
    if (!v->tokens || !v->scores || !v->types) return false;
    char buf[32];
    for (int i = 0; i < n; i++) {
        int32_t type = 1; /* normal */
        if (i == 0) snprintf(buf, sizeof buf, "<unk>"), type = 2;
        else if (i == 1) snprintf(buf, sizeof buf, "<s>"), type = 3;
        else if (i == 2) snprintf(buf, sizeof buf, "</s>"), type = 3;
        else if (i < 3 + 256) snprintf(buf, sizeof buf, "<0x%02X>", i - 3), type = 6;
        else if (i == 259) snprintf(buf, sizeof buf, "\xe2\x96\x81"); /* ▁, the space */
        else if (i < 260 + 94) snprintf(buf, sizeof buf, "%c", '!' + (i - 260)); /* '!' .. '~' */
        else snprintf(buf, sizeof buf, "\xe2\x96\x81t%d", i);
        v->tokens[i] = strdup(buf);
        if (!v->tokens[i]) return false;
        v->types[i] = type;
        v->scores[i] = type == 1 ? -(float)i : 0.0f;
    }
    return true;
}

static void free_vocab(vocab *v) {
    for (int i = 0; v->tokens && i < v->n; i++) free(v->tokens[i]);
    free(v->tokens);
    free(v->scores);
    free(v->types);
}

/* ------------------------------------------------------------------ writing */

#define CHUNK_BYTES (4u << 20)

typedef struct progress {
    uint64_t done, total;
    int last_pct;
    double t0;
    bool tty; /* a terminal gets a line redrawn at every percent, a log one line per 10% */
} progress;

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void progress_add(progress *p, uint64_t n) {
    p->done += n;
    int pct = p->total ? (int)(p->done * 100 / p->total) : 100;
    int step = p->tty ? 1 : 10;
    if (pct / step != p->last_pct / step) {
        p->last_pct = pct;
        double dt = now_s() - p->t0;
        fprintf(stderr, "%s  %3d%%  %.0f of %.0f MB  %.0f MB/s %s", p->tty ? "\r" : "", pct, (double)p->done / 1e6,
                (double)p->total / 1e6, dt > 0 ? (double)p->done / 1e6 / dt : 0.0, p->tty ? "" : "\n");
        fflush(stderr);
    }
}

static int write_floats(gguf_writer *w, lf_type type, const float *src, uint64_t n, unsigned char *buf, lf_error *err) {
    size_t es = type == LF_TYPE_F32 ? 4 : 2;
    for (uint64_t i = 0; i < n; i++) {
        if (type == LF_TYPE_F32) memcpy(buf + i * 4, &src[i], 4);
        else {
            uint16_t h = type == LF_TYPE_F16 ? lf_f32_to_f16(src[i]) : lf_f32_to_bf16(src[i]);
            memcpy(buf + i * 2, &h, 2);
        }
    }
    return gguf_writer_write(w, buf, (size_t)n * es, err);
}

/* A matrix of random weights with standard deviation std. */
static int write_matrix(gguf_writer *w, lf_type type, const tensor_spec *t, double unit_std, unsigned char *buf,
                        float *fbuf, progress *pg, lf_error *err) {
    const lf_type_traits *tt = lf_type_get(type);
    uint64_t n = t->ne0 * t->ne1;
    if (type == LF_TYPE_F32 || type == LF_TYPE_F16 || type == LF_TYPE_BF16) {
        const float a = t->std * sqrtf(3.0f); /* uniform [-a, a) has this std */
        uint64_t per = CHUNK_BYTES / 4;
        for (uint64_t i = 0; i < n; i += per) {
            uint64_t k = n - i < per ? n - i : per;
            for (uint64_t j = 0; j < k; j += 2) {
                uint64_t r = rng_next();
                fbuf[j] = a * rng_sym((uint32_t)(r >> 40));
                if (j + 1 < k) fbuf[j + 1] = a * rng_sym((uint32_t)(r >> 8) & 0xFFFFFF);
            }
            int rc = write_floats(w, type, fbuf, k, buf, err);
            if (rc) return rc;
            progress_add(pg, k * (uint64_t)tt->block_bytes);
        }
        return 0;
    }
    scale_layout sl;
    scale_layout_of(type, &sl);
    /* 256 jittered (d, m) pairs; each block picks one */
    uint16_t dtab[256], mtab[256];
    double scale = t->std / unit_std;
    for (int i = 0; i < 256; i++) {
        double d = scale * (0.5 + (i + 0.5) / 256.0);
        dtab[i] = lf_f32_to_f16((float)d);
        mtab[i] = lf_f32_to_f16((float)(d * sl.m_ratio));
    }
    size_t bb = (size_t)tt->block_bytes;
    uint64_t n_blocks = n / (uint64_t)tt->block_elems, per = CHUNK_BYTES / bb;
    for (uint64_t i = 0; i < n_blocks; i += per) {
        uint64_t k = n_blocks - i < per ? n_blocks - i : per;
        rng_fill(buf, (size_t)k * bb);
        uint64_t r = 0;
        for (uint64_t b = 0; b < k; b++) {
            if ((b & 7) == 0) r = rng_next();
            unsigned idx = (unsigned)(r >> (8 * (b & 7))) & 0xFF;
            unsigned char *blk = buf + b * bb;
            memcpy(blk + sl.d_off, &dtab[idx], 2);
            if (sl.m_off >= 0) memcpy(blk + sl.m_off, &mtab[idx], 2);
        }
        int rc = gguf_writer_write(w, buf, (size_t)k * bb, err);
        if (rc) return rc;
        progress_add(pg, k * bb);
    }
    return 0;
}

static lf_type type_by_name(const char *name, bool *ok) {
    *ok = false;
    for (uint32_t t = 0; t < LF_TYPE_COUNT; t++) {
        const lf_type_traits *tr = lf_type_get(t);
        if (tr && tr->weight_type && strcmp(tr->name, name) == 0) {
            *ok = true;
            return (lf_type)t;
        }
    }
    return LF_TYPE_F32;
}

static void usage(FILE *f, const char *argv0) {
    fprintf(f,
            "usage: %s OUT.gguf --shape SHAPE --type TYPE [--seed N]\n"
            "  SHAPE: llama2-7b | llama3.2-1b | smollm2-135m | tiny\n"
            "  TYPE:  F32 F16 BF16 Q4_0 Q4_1 Q5_0 Q5_1 Q8_0 Q2_K Q3_K Q4_K Q5_K Q6_K\n"
            "Writes a random-weight llama model of that shape (every matrix of TYPE, norms F32)\n"
            "with a SentencePiece-style vocabulary, loadable by llama-fast and llama.cpp.\n",
            argv0);
}

int main(int argc, char **argv) {
    const char *out = NULL, *shape_name = NULL, *type_name = NULL;
    unsigned long long seed = 1;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            usage(stdout, argv[0]);
            return 0;
        } else if (!strcmp(a, "--shape") && i + 1 < argc) shape_name = argv[++i];
        else if (!strcmp(a, "--type") && i + 1 < argc) type_name = argv[++i];
        else if (!strcmp(a, "--seed") && i + 1 < argc) {
            char *end;
            seed = strtoull(argv[++i], &end, 10);
            if (*end || !*argv[i]) {
                fprintf(stderr, "error: --seed wants a number, got '%s'\n", argv[i]);
                return 2;
            }
        } else if (a[0] == '-' && a[1]) {
            fprintf(stderr, "error: unknown or incomplete option %s\n", a);
            usage(stderr, argv[0]);
            return 2;
        } else if (!out) out = a;
        else {
            fprintf(stderr, "error: unexpected argument %s\n", a);
            return 2;
        }
    }
    if (!out || !shape_name || !type_name) {
        usage(stderr, argv[0]);
        return 2;
    }
    const shape *s = NULL;
    for (size_t i = 0; i < sizeof SHAPES / sizeof SHAPES[0]; i++)
        if (!strcmp(SHAPES[i].name, shape_name)) s = &SHAPES[i];
    if (!s) {
        fprintf(stderr, "error: unknown shape '%s' (llama2-7b, llama3.2-1b, smollm2-135m, tiny)\n", shape_name);
        return 2;
    }
    lf_kernels_init();
    bool ok;
    lf_type type = type_by_name(type_name, &ok);
    if (!ok) {
        fprintf(stderr, "error: unknown weight type '%s'\n", type_name);
        return 2;
    }
    const lf_type_traits *tt = lf_type_get(type);
    tensor_spec *tensors = calloc((size_t)s->n_layers * 9 + 8, sizeof *tensors);
    if (!tensors) return 1;
    int n_tensors = build_tensors(s, tensors);
    for (int i = 0; i < n_tensors; i++)
        if (tensors[i].kind == T_MATRIX && tensors[i].ne0 % (uint64_t)tt->block_elems) {
            fprintf(stderr,
                    "error: shape %s has rows of %llu weights (%s), not a multiple of the %d-weight %s block; "
                    "use a type with 32-weight blocks (Q4_0, Q8_0, …) or a float type\n",
                    s->name, (unsigned long long)tensors[i].ne0, tensors[i].name, tt->block_elems, tt->name);
            return 2;
        }
    rng_state = 0x9E3779B97F4A7C15ull ^ (seed * 0xD1B54A32D192ED03ull);
    if (!rng_state) rng_state = 1;
    for (int i = 0; i < 16; i++) rng_next();

    double unit_std = 1.0;
    scale_layout sl;
    if (scale_layout_of(type, &sl)) unit_std = unit_block_std(type, &sl, tt);

    lf_error err = {0};
    gguf_writer *w = NULL;
    int rc = gguf_writer_open(out, &w, &err);
    if (rc) {
        fprintf(stderr, "error: %s\n", err.message);
        return 1;
    }
    char name[128];
    snprintf(name, sizeof name, "synthetic %s %s", s->name, tt->name);
    gguf_writer_add_str(w, "general.architecture", "llama", &err);
    gguf_writer_add_str(w, "general.name", name, &err);
    gguf_writer_add_u32(w, "general.file_type", file_type_of(type), &err);
    gguf_writer_add_u32(w, "general.quantization_version", 2, &err);
    gguf_writer_add_u32(w, "llama.vocab_size", (uint32_t)s->vocab, &err);
    gguf_writer_add_u32(w, "llama.context_length", (uint32_t)s->ctx, &err);
    gguf_writer_add_u32(w, "llama.embedding_length", (uint32_t)s->dim, &err);
    gguf_writer_add_u32(w, "llama.block_count", (uint32_t)s->n_layers, &err);
    gguf_writer_add_u32(w, "llama.feed_forward_length", (uint32_t)s->ffn, &err);
    gguf_writer_add_u32(w, "llama.rope.dimension_count", (uint32_t)s->head_dim, &err);
    gguf_writer_add_u32(w, "llama.attention.head_count", (uint32_t)s->n_heads, &err);
    gguf_writer_add_u32(w, "llama.attention.head_count_kv", (uint32_t)s->n_kv_heads, &err);
    gguf_writer_add_u32(w, "llama.attention.key_length", (uint32_t)s->head_dim, &err);
    gguf_writer_add_u32(w, "llama.attention.value_length", (uint32_t)s->head_dim, &err);
    gguf_writer_add_f32(w, "llama.rope.freq_base", s->rope_theta, &err);
    gguf_writer_add_f32(w, "llama.attention.layer_norm_rms_epsilon", s->norm_eps, &err);

    vocab v = {0};
    if (!make_vocab(s->vocab, &v)) {
        fprintf(stderr, "error: out of memory\n");
        return 1;
    }
    gguf_writer_add_str(w, "tokenizer.ggml.model", "llama", &err);
    gguf_writer_add_str_array(w, "tokenizer.ggml.tokens", (const char *const *)v.tokens, NULL, (uint64_t)v.n, &err);
    gguf_writer_add_array(w, "tokenizer.ggml.scores", GGUF_TYPE_FLOAT32, v.scores, (uint64_t)v.n, &err);
    gguf_writer_add_array(w, "tokenizer.ggml.token_type", GGUF_TYPE_INT32, v.types, (uint64_t)v.n, &err);
    gguf_writer_add_u32(w, "tokenizer.ggml.unknown_token_id", 0, &err);
    gguf_writer_add_u32(w, "tokenizer.ggml.bos_token_id", 1, &err);
    gguf_writer_add_u32(w, "tokenizer.ggml.eos_token_id", 2, &err);
    gguf_writer_add_bool(w, "tokenizer.ggml.add_bos_token", true, &err);
    rc = gguf_writer_add_bool(w, "tokenizer.ggml.add_eos_token", false, &err);
    free_vocab(&v);

    for (int i = 0; i < n_tensors && !rc; i++) {
        const tensor_spec *t = &tensors[i];
        uint64_t ne[4] = {t->ne0, t->ne1, 1, 1};
        rc = gguf_writer_add_tensor(w, t->name, t->ne1 > 1 ? 2 : 1, ne, t->kind == T_MATRIX ? type : LF_TYPE_F32,
                                    NULL, NULL, &err);
    }
    unsigned char *buf = malloc(CHUNK_BYTES);
    float *fbuf = malloc(CHUNK_BYTES);
    if (!buf || !fbuf) {
        fprintf(stderr, "error: out of memory\n");
        return 1;
    }
    progress pg = {0, gguf_writer_data_bytes(w), -10, now_s(), isatty(2)};
    fprintf(stderr, "%s: %s, %d tensors, %.3f GB\n", out, name, n_tensors, (double)gguf_writer_file_size(w) / 1e9);
    for (int i = 0; i < n_tensors && !rc; i++) {
        const tensor_spec *t = &tensors[i];
        if (t->kind == T_MATRIX) {
            rc = write_matrix(w, type, t, unit_std, buf, fbuf, &pg, &err);
        } else {
            if (t->kind == T_ROPE_FREQS) llama3_rope_factors(s, fbuf);
            else
                for (uint64_t j = 0; j < t->ne0; j++) fbuf[j] = 1.0f + 0.1f * rng_sym((uint32_t)(rng_next() >> 40));
            rc = write_floats(w, LF_TYPE_F32, fbuf, t->ne0, buf, &err);
            if (!rc) progress_add(&pg, t->ne0 * 4);
        }
    }
    if (!rc) rc = gguf_writer_finish(w, &err);
    double dt = now_s() - pg.t0;
    if (pg.tty) fputc('\n', stderr);
    if (rc) fprintf(stderr, "error: %s\n", err.message);
    else
        fprintf(stderr, "wrote %s: %.3f GB in %.1f s (%.0f MB/s)\n", out, (double)gguf_writer_file_size(w) / 1e9, dt,
                (double)gguf_writer_file_size(w) / 1e6 / (dt > 0 ? dt : 1));
    gguf_writer_free(w);
    free(buf);
    free(fbuf);
    free(tensors);
    return rc ? 1 : 0;
}
