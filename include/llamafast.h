/* libllamafast — run Llama-family language models on the CPU.
 *
 * One header is the whole public API. Handles are opaque; every *_params struct has a
 * *_default_params() constructor. The model (immutable weights + tokenizer) is shared;
 * a context holds the KV cache of one conversation, so one model can serve many contexts.
 * Functions that can fail return LF_OK (0) or a negative lf_status and fill an lf_error
 * (which may be NULL) with a message naming the file or argument at fault.
 * The library never prints and never exits; diagnostics go to the log callback. */
#ifndef LLAMAFAST_H
#define LLAMAFAST_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The library's version, MAJOR.MINOR.PATCH: a program built against MAJOR runs with any
 * libllamafast.so.MAJOR of at least its MINOR. This is the one place it is written: the
 * Makefile reads it for the shared library's name and the pkg-config file. */
#define LF_VERSION_MAJOR 0
#define LF_VERSION_MINOR 1
#define LF_VERSION_PATCH 0
/* "MAJOR.MINOR.PATCH" of the library linked at run time (the header's may be older). */
const char *lf_version(void);

typedef enum lf_status {
    LF_OK = 0,
    LF_ERR_IO = -1,          /* file missing, unreadable, mmap failed */
    LF_ERR_FORMAT = -2,      /* malformed or truncated file */
    LF_ERR_UNSUPPORTED = -3, /* valid file, but an architecture/type we do not run */
    LF_ERR_NOMEM = -4,
    LF_ERR_ARG = -5,         /* bad argument from the caller */
    LF_ERR_CONTEXT_FULL = -6,/* no room left in the KV cache */
    LF_ERR_CANCELLED = -7,
    LF_ERR_TEMPLATE = -8     /* chat template failed to parse, or raised an error */
} lf_status;

typedef struct lf_error {
    int code;
    char message[512];
} lf_error;

typedef enum lf_log_level { LF_LOG_DEBUG, LF_LOG_INFO, LF_LOG_WARN, LF_LOG_ERROR } lf_log_level;
typedef void (*lf_log_fn)(lf_log_level level, const char *message, void *user);
/* Process-wide; default is silent. */
void lf_set_log_callback(lf_log_fn fn, void *user);

/* File names, model metadata and arguments may carry terminal control sequences. These
 * copy text with each C0 control byte (newline and tab included), DEL, C1 control
 * (U+0080..U+009F) and byte that is not well-formed UTF-8 written as \xHH (two lowercase
 * hex digits per byte); other UTF-8 and the backslash pass unchanged, so escaping escaped
 * text changes nothing. The output is cut only between whole characters and escapes, and
 * is NUL-terminated when cap > 0. Both return the length the whole output needs, as
 * snprintf does. The library's error and log messages come escaped this way. */
size_t lf_escape_text(char *dst, size_t cap, const char *src, size_t len);
/* vsnprintf, except that what each conversion produces (the %s and %c arguments) is
 * escaped, while the format's own text, newlines included, is copied as it is. Returns
 * -1 for the conversions it does not handle: %n and wide characters or strings. */
int lf_vformat_escaped(char *dst, size_t cap, const char *fmt, va_list ap);

/* ---------------------------------------------------------------- tokenizer */
typedef struct lf_tokenizer lf_tokenizer;

enum {
    LF_TOKENIZE_ADD_BOS = 1 << 0,       /* prepend BOS even if the model does not ask for it */
    LF_TOKENIZE_NO_BOS = 1 << 1,        /* never prepend BOS */
    LF_TOKENIZE_PARSE_SPECIAL = 1 << 2  /* "<|im_start|>" in the text becomes the special token */
};

/* Loads a standalone tokenizer: SentencePiece tokenizer.model, llama2.c tokenizer.bin,
 * the vocabulary of a .gguf file, or a Hugging Face tokenizer.json (or the directory
 * holding it, whose tokenizer_config.json and generation_config.json name the special
 * tokens). */
int lf_tokenizer_load(const char *path, lf_tokenizer **out, lf_error *err);
void lf_tokenizer_free(lf_tokenizer *tok);
int32_t lf_tokenizer_vocab_size(const lf_tokenizer *tok);
/* Without ADD_BOS/NO_BOS, BOS is added when the tokenizer's metadata says so.
 * Writes at most cap ids; *n_out receives the full count (call again with more room). */
int lf_tokenize(const lf_tokenizer *tok, const char *text, size_t len, int flags,
                int32_t *ids, size_t cap, size_t *n_out, lf_error *err);
int32_t lf_token_bos(const lf_tokenizer *tok);      /* -1 when absent */
int32_t lf_token_eos(const lf_tokenizer *tok);
bool lf_token_is_end_of_generation(const lf_tokenizer *tok, int32_t id); /* EOS, EOT, <|im_end|>, … */
/* Raw bytes of one token as it appears in text (byte tokens decoded, '▁'/'Ġ' mapped to
 * spaces). Returns the byte count (may exceed cap; nothing beyond cap is written), or -1. */
int lf_token_to_bytes(const lf_tokenizer *tok, int32_t id, char *buf, size_t cap);

/* Streaming detokenizer: turns token ids into text that never ends in the middle of a
 * UTF-8 code point; incomplete bytes are held until the next token completes them. */
typedef struct lf_detokenizer {
    const lf_tokenizer *tok;
    unsigned char pending[8];
    int n_pending;
    bool at_start; /* drop the leading space SentencePiece adds to the first word */
} lf_detokenizer;
void lf_detokenizer_init(lf_detokenizer *d, const lf_tokenizer *tok);
/* Appends printable text to out (NUL-terminated, cap >= 64 recommended); returns length. */
int lf_detokenizer_push(lf_detokenizer *d, int32_t id, char *out, size_t cap);
/* Emits held bytes at the end of a stream (invalid sequences become U+FFFD). */
int lf_detokenizer_flush(lf_detokenizer *d, char *out, size_t cap);

/* -------------------------------------------------------------------- model */
typedef struct lf_model lf_model;

typedef struct lf_model_params {
    const char *tokenizer_path; /* needed for llama2.c .bin models; overrides GGUF vocab */
    /* PyTorch checkpoints without a params.json beside them: the shape from this JSON file
     * (params.json's keys), or from torchchat's table of known shapes by name (stories15M,
     * stories42M, stories110M, 7B, 13B, 70B, CodeLlama-7B, Mistral-7B, Meta-Llama-3-8B,
     * Meta-Llama-3.1-8B, Meta-Llama-3.2-1B, Meta-Llama-3.2-3B). */
    const char *params_path;
    const char *params_table;
    /* A GGUF stored inside a larger file (an executable made by lf_export_executable): the
     * bytes [file_offset, file_offset + file_size) of the path, memory-mapped in place.
     * file_offset must be a multiple of the page size; 0 and 0 = the whole file. */
    uint64_t file_offset, file_size;
    /* Weights converted at load, in memory (the file is not changed). quantize is a
     * torchchat quantization scheme, as JSON text ('{' first) or the path of a JSON file:
     * {"linear:int4": {"groupsize": 32}, "embedding": {"bitwidth": 8, "groupsize": 0}}.
     * Each of its quantizers becomes the llama.cpp block type that holds it
     * (lf_quantize_scheme_table); dtype ("f32", "f16", "bf16"; torchchat's fp32, fp16,
     * float16, half, bfloat16, float too) is the type of the float matrices the scheme
     * leaves unquantized. Norms stay F32. NULL: weights as the file has them. */
    const char *quantize;
    const char *dtype;
    int n_threads; /* threads converting weights; 0 = lf_default_thread_count() */
    /* Also keep the matrix weights repacked for batches of a few tokens (continuous
     * batching's decode steps, lf_decode_multi over 2-16 contexts), where the CPU's kernel
     * set has a repacked product for their type (AVX-512 VNNI: Q4_0, Q4_1, IQ4_NL, Q8_0): as
     * much memory again as those weights, for faster batched steps (README, "Serving many
     * clients"). Single-token steps and prompts keep reading the weights as stored. */
    bool repack;
    /* Called between steps of a conversion at load with what is done of the total
     * (elements); returning false cancels the load (LF_ERR_CANCELLED). NULL: none. */
    bool (*progress)(uint64_t done, uint64_t total, void *user);
    void *progress_user;
} lf_model_params;
lf_model_params lf_model_default_params(void);

/* The mapping of torchchat's quantizers to block types, as text for --help and the
 * README (a static string, one line per rule). */
const char *lf_quantize_scheme_table(void);
/* Checks a scheme and dtype as lf_model_load would (without a model) and writes what each
 * weight role becomes, e.g. "linear Q4_0, output Q4_0, embedding Q8_0, other float
 * matrices BF16", to buf (NUL-terminated when cap > 0). */
int lf_quantize_scheme_describe(const char *quantize, const char *dtype, char *buf, size_t cap, lf_error *err);

/* Loads a .gguf or llama2.c .bin model, a Hugging Face model directory (config.json,
 * safetensors, tokenizer.json; or the path of its config.json), or a PyTorch checkpoint
 * (.pth/.pt, or a directory with params.json and consolidated.00.pth or model.pth).
 * Weights are memory-mapped. */
int lf_model_load(const char *path, const lf_model_params *params, lf_model **out, lf_error *err);
void lf_model_free(lf_model *model);

typedef struct lf_model_info {
    const char *architecture;  /* "llama" */
    const char *name;          /* general.name or the file name */
    const char *format;        /* "gguf v3", "llama2.c v1", … */
    int n_layers, dim, hidden_dim, n_heads, n_kv_heads, head_dim, vocab_size, context_length;
    float rope_theta, norm_eps;
    bool rope_scaling_llama3;
    bool tied_embeddings;
    uint64_t n_params;
    uint64_t weight_bytes;     /* bytes of weights read per generated token */
    uint64_t repacked_bytes;   /* of the weights' repacked copies (lf_model_params.repack) */
    const char *weight_type;   /* dominant tensor type, e.g. "Q4_1" */
    const char *chat_template; /* NULL when the model has none */
} lf_model_info;
void lf_model_get_info(const lf_model *model, lf_model_info *info);
/* Tensor table, for `info`. Returns false when i is out of range. */
bool lf_model_tensor(const lf_model *model, int i, const char **name, const char **type_name,
                     int64_t dims[4], int *n_dims);
const lf_tokenizer *lf_model_tokenizer(const lf_model *model);

/* ------------------------------------------------------------------ context */
typedef struct lf_context lf_context;

/* How the KV cache stores keys and values. F16 (the default) halves F32's memory and the
 * bytes attention reads per token; Q8_0 (blocks of 32 int8 with an fp16 scale, 34 bytes
 * per 32 values) nearly halves them again and needs a head dimension that is a multiple
 * of 32; F32 keeps them exactly as computed (llama2.c's run.c does). */
typedef enum lf_kv_type { LF_KV_F16 = 0, LF_KV_F32 = 1, LF_KV_Q8_0 = 2 } lf_kv_type;
/* "f16", "f32", "q8_0"; NULL for a value outside the enum. */
const char *lf_kv_type_name(lf_kv_type type);
/* The type named name (as lf_kv_type_name spells it); false for any other name. */
bool lf_kv_type_from_name(const char *name, lf_kv_type *out);

typedef struct lf_context_params {
    int max_seq_len;  /* KV cache length; 0 = the model's context (capped at 4096) */
    int n_threads;    /* 0 = lf_default_thread_count() */
    bool logits_all;  /* keep logits of every position of the last lf_decode call */
    /* Quantized weights multiply int8 activations, as in llama.cpp: on SmolLM2 the logits'
     * mean KL divergence from float arithmetic is ~4e-3 (about what one more Q8_0
     * quantization of the weights costs), top-1 agreement ~96 %. precise_activations also
     * sends each activation's int8 rounding residual: KL ~1e-6, top-1 100 %, for prompts
     * up to 2x and decode up to 1.5x slower (bench/RESULTS.md). BF16 weights' prompts
     * multiply bf16-rounded activations (as llama.cpp) on CPUs whose AVX512_BF16 dot
     * product outruns f32 FMAs (not Intel's Sapphire/Emerald Rapids);
     * precise_activations keeps them f32 there too. */
    bool precise_activations;
    lf_kv_type type_k, type_v; /* KV cache types of keys and of values (default F16) */
    int n_batch;      /* prompt tokens per forward step, 1..256; 0 = 256 */
    /* When set, lf_decode calls it after each forward step of a batch that takes more than
     * one (a long prompt): done of total tokens processed. */
    void (*progress)(int done, int total, void *user);
    void *progress_user;
} lf_context_params;
lf_context_params lf_context_default_params(void);
/* The CPUs this process may run on (sched_getaffinity: taskset, cpusets), at most one per
 * physical core among them and at most a cgroup CPU quota, rounded up; at least 1. */
int lf_default_thread_count(void);

int lf_context_create(const lf_model *model, const lf_context_params *params, lf_context **out,
                      lf_error *err);
void lf_context_free(lf_context *ctx);
/* Runs the model on n tokens appended at the current position (batched when n > 1). */
int lf_decode(lf_context *ctx, const int32_t *tokens, int n, lf_error *err);
/* Continuous batching: one forward step over tokens of several conversations. Context i
 * takes tokens[i][0 .. n_tokens[i]) at its own position, as lf_decode(ctxs[i], tokens[i],
 * n_tokens[i]) would: its own KV cache and positions, and its logits afterwards as after
 * lf_decode (the last token's, or every token's with logits_all). The rows of all the
 * contexts go through the matrix products together, so N conversations stepping together
 * cost about one pass over the weights, not N; a context may take one token (decoding)
 * while another takes a prompt chunk. Results equal separate lf_decode calls up to the
 * rounding of the kernels: a step of several rows runs the batched kernels (on AVX-512
 * from 4 rows a kernel made for a few activations, from 17 the prompt GEMM; on AVX2 the
 * GEMM from 7) where one token alone runs the decode ones; their integer block products
 * are the same and only the order of float additions differs, so with int8 activations a
 * near tie may tip, as between prefilling a token and decoding it (with
 * precise_activations ~1e-4).
 * Constraints, checked before anything runs (on an error no context's position, cache or
 * token record changed; the message names the context's index): 1 <= n_ctxs; the
 * contexts are distinct, share one model, and have the same precise_activations; every
 * n_tokens[i] >= 1 fits in its context; the tokens total at most
 * LF_DECODE_MULTI_MAX_TOKENS. The step runs on ctxs[0]'s thread pool and scratch (the
 * other contexts' threads stay idle: one pool runs the step, so the cores are not
 * oversubscribed); no other call may use any of the contexts meanwhile. */
#define LF_DECODE_MULTI_MAX_TOKENS 256
int lf_decode_multi(lf_context *const *ctxs, const int32_t *const *tokens, const int *n_tokens, int n_ctxs,
                    lf_error *err);
/* Logits of the last token of the last lf_decode call (vocab_size floats). */
const float *lf_context_logits(const lf_context *ctx);
/* With logits_all: logits of token i of the last lf_decode call, else NULL. */
const float *lf_context_logits_at(const lf_context *ctx, int i);
/* lf_decode that keeps the logits of tokens [first, n) only, as rows 0 .. n - first - 1
 * (lf_context_logits_row): a scorer that needs part of a batch skips the output
 * projection of the rest (first == n: of all of it, when the batch only fills the cache). */
int lf_decode_logits_from(lf_context *ctx, const int32_t *tokens, int n, int first, lf_error *err);
/* Row i of the logits the last call kept, or NULL past them: after lf_decode_logits_from
 * the row of token first + i; after lf_speculative_step the row out[i] was picked from. */
const float *lf_context_logits_row(const lf_context *ctx, int i);
int lf_context_position(const lf_context *ctx);
int lf_context_size(const lf_context *ctx);
/* Threads the context's matrix products and attention run on (the caller's included). */
int lf_context_threads(const lf_context *ctx);
/* Bytes of the context's KV cache (keys and values of every layer and position), and the
 * types it stores keys and values in. */
size_t lf_context_kv_bytes(const lf_context *ctx);
void lf_context_kv_types(const lf_context *ctx, lf_kv_type *type_k, lf_kv_type *type_v);
/* Forget everything from position pos on (0 clears the conversation). */
void lf_context_truncate(lf_context *ctx, int pos);
/* The token ids the KV cache holds, in order (lf_context_position() of them). */
const int32_t *lf_context_tokens(const lf_context *ctx);
/* Prompt caching: keeps the longest prefix of tokens[0..n) the cache already holds, drops
 * the rest, and returns how many were kept -- at most n - 1, so that decoding
 * tokens[kept..n) always yields fresh logits for the last token. */
int lf_context_keep_prefix(lf_context *ctx, const int32_t *tokens, int n);

/* --------------------------------------------------------------- embeddings */
/* How the final hidden states (after the output norm) of a text become one vector. */
typedef enum lf_pooling {
    LF_POOLING_MEAN = 0, /* the mean over every token */
    LF_POOLING_LAST = 1  /* the last token's (what a causal model has read all the text at) */
} lf_pooling;
/* "mean", "last"; NULL outside the enum. */
const char *lf_pooling_name(lf_pooling pooling);
/* The pooling named name; false for any other name. */
bool lf_pooling_from_name(const char *name, lf_pooling *out);
/* Floats in an embedding: the model's hidden size. */
int lf_model_embedding_dim(const lf_model *model);
/* The L2-normalized pooled hidden state of tokens[0, n) into out (lf_model_embedding_dim
 * floats). The text is read from position 0 (the cache is cleared first and then holds
 * it); the output projection to logits is skipped. n must fit the context. */
int lf_embed(lf_context *ctx, const int32_t *tokens, int n, lf_pooling pooling, float *out, lf_error *err);

/* ----------------------------------------------------------------- logprobs */
typedef struct lf_token_logprob {
    int32_t id;
    float logprob; /* natural log of the probability */
} lf_token_logprob;
/* Log-softmax of one row of raw logits (before any sampling transform: temperature,
 * top-k, top-p): the log-probability of token chosen, and the k most likely tokens into
 * top[0, k), most likely first (ties: lower id first). chosen may be -1 (none wanted).
 * Returns the log-probability of chosen (0 when chosen is -1). */
float lf_logprobs(const float *logits, int32_t n_vocab, int32_t chosen, lf_token_logprob *top, int k);

/* ------------------------------------------------------------------ sampler */
/* A sampler turns logits into a token through a chain of stages, in llama.cpp's default
 * order:
 *   logit_bias -> penalties (repeat, presence, frequency over the last repeat_last_n
 *   tokens accepted) -> top_k -> typical_p -> top_p -> min_p -> temperature -> draw.
 * Each truncating stage works on the softmax of the candidates the previous stages kept
 * (renormalized), before temperature; temperature scales what survives, and the draw
 * picks from its softmax. Temperature 0 is greedy: the most likely token that survives
 * the chain (so logit_bias and the penalties still apply). A stage at its "off" value
 * changes nothing; so do the zeros of a params struct written field by field (typical_p
 * and repeat_penalty 0 are off). The penalties follow llama.cpp: for each token seen n > 0 times in
 * the window, a logit l becomes l / repeat_penalty when l > 0 and l * repeat_penalty
 * otherwise, minus n * frequency_penalty + presence_penalty. */
typedef struct lf_sampler lf_sampler;

typedef struct lf_logit_bias {
    int32_t token;
    float bias; /* added to the token's logit; -INFINITY bans the token */
} lf_logit_bias;

typedef struct lf_sampler_params {
    float temperature;       /* 0 = greedy */
    int top_k;               /* 0 = off */
    float top_p;             /* 1 = off */
    float min_p;             /* keep tokens with p >= min_p * p(most likely); 0 = off */
    float typical_p;         /* locally typical sampling mass; 1 (or 0) = off */
    float repeat_penalty;    /* 1 (or 0) = off */
    int repeat_last_n;       /* window of the penalties: 0 = off, -1 = every token accepted */
    float presence_penalty;  /* 0 = off */
    float frequency_penalty; /* 0 = off */
    const lf_logit_bias *logit_bias; /* n_logit_bias entries (copied by lf_sampler_create) */
    int n_logit_bias;
    uint64_t seed;
} lf_sampler_params;
/* temperature 0.8, top_k 40, top_p 0.95, min_p 0.05, typical_p 1, repeat_penalty 1,
 * repeat_last_n 64, presence and frequency penalties 0, no logit bias, seed 42
 * (llama.cpp's defaults). */
lf_sampler_params lf_sampler_default_params(void);
/* LF_ERR_ARG naming the parameter when one is out of range, or a logit_bias token is
 * outside [0, vocab_size), its bias is NaN or +infinity, or it bans every token. */
int lf_sampler_create(const lf_sampler_params *params, int vocab_size, lf_sampler **out,
                      lf_error *err);
void lf_sampler_free(lf_sampler *s);
/* Draws a token from logits (vocab_size floats). Does not record it: see accept. */
int32_t lf_sampler_sample(lf_sampler *s, const float *logits);
/* Records a token (of the prompt or generated) for the penalties. lf_generate and
 * lf_generate_speculative do it themselves: when generation starts they reset the
 * sampler and accept every token the context holds (the prompt, and earlier turns kept
 * in the cache, as llama.cpp counts prompt tokens), then each token generated;
 * lf_speculative_step accepts each token it returns. A caller with its own loop accepts
 * its prompt and the tokens lf_sampler_sample gives it. Ids outside the vocabulary are
 * ignored. */
void lf_sampler_accept(lf_sampler *s, int32_t token);
/* Forgets the tokens accepted (the random stream goes on). */
void lf_sampler_reset(lf_sampler *s);

/* ------------------------------------------------------ structured output */
/* A grammar in llama.cpp's GBNF syntax, or made from a JSON Schema, constrains what the
 * sampler may produce. */
typedef struct lf_grammar lf_grammar;
/* Compiles GBNF text; root names the start rule (NULL = "root"). Errors name the line and
 * column. */
int lf_grammar_parse(const char *text, const char *root, lf_grammar **out, lf_error *err);
/* A JSON Schema (objects with properties/required/additionalProperties, arrays with
 * items/minItems/maxItems, enum, const, string/number/integer/boolean/null, anyOf/oneOf,
 * minLength/maxLength, pattern (a regular expression subset), $ref into $defs or
 * definitions), or {"type": "json_object"} for any JSON object. A keyword that would
 * constrain the value but is not supported is refused, naming it. */
int lf_grammar_from_json_schema(const char *json_text, lf_grammar **out, lf_error *err);
/* The GBNF text lf_grammar_from_json_schema compiles (malloc'd, for the caller to free). */
int lf_json_schema_to_gbnf(const char *json_text, char **gbnf, lf_error *err);
void lf_grammar_free(lf_grammar *g);
/* From now on the sampler draws only tokens the grammar allows after what it drew so far
 * (matched by their bytes in tok's vocabulary); end-of-generation tokens only where the
 * grammar is complete, and nothing else when it cannot go on. The grammar is copied (g
 * may be freed); NULL removes the constraint. A sampler with a grammar cannot be used for
 * speculative decoding. */
int lf_sampler_set_grammar(lf_sampler *s, const lf_grammar *g, const lf_tokenizer *tok, lf_error *err);

/* --------------------------------------------------------------- generation */
/* Called for every generated token with the text it completes (may be ""), and once more
 * with id -1 when bytes held back at the end (an incomplete UTF-8 sequence) are flushed.
 * Return false to stop. */
typedef bool (*lf_token_callback)(int32_t id, const char *text, void *user);

typedef struct lf_generate_stats {
    int n_prompt, n_generated;
    double prefill_ms, ttft_ms, decode_ms;
    bool stopped_by_eog;
    int n_drafted, n_accepted; /* speculative decoding: tokens proposed, and those the model kept */
} lf_generate_stats;

int lf_generate(lf_context *ctx, lf_sampler *sampler, const int32_t *prompt, int n_prompt,
                int max_new_tokens, lf_token_callback cb, void *user,
                lf_generate_stats *stats, lf_error *err);

/* Speculative decoding: cheap guesses of the next tokens are checked by the model in one
 * batched step, which keeps the longest run it agrees with plus one token of its own. A
 * greedy sampler (temperature 0) gives the tokens lf_generate gives, up to ties that the
 * batched kernels' different summation order can break the other way; with temperature >
 * 0 the output follows the same distribution (speculative sampling: a guess of the draft
 * model is kept with probability min(1, p/q), else a token is drawn from max(0, p - q);
 * a guess from the lookup is kept when the sampled token equals it).
 * Guesses come from one of:
 *   draft         a context of a smaller model with the same vocabulary (same ids for the
 *                 same token texts); its cache follows the generation and is reused
 *                 across calls like the model's own;
 *   lookup_ngram  prompt lookup: the last N tokens are searched for earlier in the
 *                 context (prompt and output), and what followed their most recent
 *                 occurrence is the guess (no match: no guess, a plain step). Suits
 *                 answers that copy the prompt (editing code or text, quoting). */
#define LF_MAX_DRAFT 64
typedef struct lf_speculative_params {
    lf_context *draft; /* NULL = no draft model */
    int lookup_ngram;  /* 0 = no lookup; at most LF_MAX_DRAFT */
    int max_draft;     /* most tokens guessed per step (1..LF_MAX_DRAFT; default 10) */
} lf_speculative_params;
lf_speculative_params lf_speculative_default_params(void);

/* LF_OK when lf_generate_speculative would accept spec for ctx (checks the vocabulary of
 * the draft model); lets a frontend refuse a bad draft before it starts. */
int lf_speculative_check(const lf_context *ctx, const lf_speculative_params *spec, lf_error *err);

/* lf_generate with guesses from spec (NULL, or neither source set: plain decoding).
 * Setting both sources, or a draft whose vocabulary differs from ctx's model, is
 * LF_ERR_ARG naming both models. */
int lf_generate_speculative(lf_context *ctx, lf_sampler *sampler, const lf_speculative_params *spec,
                            const int32_t *prompt, int n_prompt, int max_new_tokens,
                            lf_token_callback cb, void *user, lf_generate_stats *stats,
                            lf_error *err);

/* One step of decoding, for callers that run their own loop (after lf_decode of the
 * prompt and sampling its first token): decodes last, the token sampled before and not
 * yet in the cache, together with guesses from spec (NULL: none), and writes to out the
 * guesses the model kept and then one token of its own: at most max_out tokens, and at
 * most max_draft + 1 (out needs room for min(max_out, LF_MAX_DRAFT + 1)). Returns the
 * count (>= 1) or a negative lf_status. The cache then holds last and the kept guesses,
 * not the final token: pass that as the next step's last. A caller that uses only the
 * first j tokens may truncate the cache to (position before the step) + j. Adds to
 * stats->n_drafted and n_accepted when stats is not NULL. The sampler accepts each token
 * returned, in order (its penalties for a position see the tokens kept before it). spec should have passed
 * lf_speculative_check (a step checks only the vocabulary size). */
int lf_speculative_step(lf_context *ctx, lf_sampler *sampler, const lf_speculative_params *spec,
                        int32_t last, int32_t *out, int max_out, lf_generate_stats *stats,
                        lf_error *err);

/* --------------------------------------------------------------------- chat */
typedef struct lf_chat_message {
    const char *role;    /* "system", "user", "assistant", "tool", ... */
    const char *content; /* UTF-8; NULL is None (an assistant message with only tool calls) */
    /* Optional, NULL when absent. An assistant's calls as OpenAI writes them: a JSON array
     * [{"id", "type": "function", "function": {"name", "arguments"}}]; "arguments" that is
     * a string holding a JSON object reaches the template as that object. */
    const char *tool_calls;
    const char *tool_call_id; /* a "tool" message: the id of the call it answers */
    const char *name;         /* a "tool" message: the function's name */
} lf_chat_message;

/* Renders messages with a Jinja chat template exactly as Hugging Face transformers'
 * apply_chat_template does: jinja2 with trim_blocks and lstrip_blocks, loops (loop.*,
 * break/continue), if/elif/else, set and namespace(), macros, filters (trim, tojson as
 * transformers defines it, join, default, selectattr, ...), tests, str/dict methods,
 * raise_exception() and strftime_now() (local time). The template sees messages (dicts
 * with role and content), add_generation_prompt, bos_token and eos_token (undefined when
 * NULL), and tools and documents as None.
 * On success *out is a NUL-terminated string the caller frees with free(). A template
 * that does not parse (the message gives the line), calls raise_exception (the message
 * is its text) or fails while rendering gives LF_ERR_TEMPLATE and *out = NULL; so does a
 * hostile one that nests too deeply or needs too much memory or work.
 * Not supported: {% raw %}, recursive loops, Python's % string formatting, integers
 * beyond 64 bits, {% set a, b = ... %}; case mappings cover ASCII, Latin-1, Greek and
 * Cyrillic. */
int lf_chat_template_render(const char *tmpl, const lf_chat_message *msgs, size_t n_msgs,
                            bool add_generation_prompt, const char *bos_token,
                            const char *eos_token, char **out, lf_error *err);
/* The model's own template (GGUF tokenizer.chat_template), or tmpl when not NULL, with the
 * texts of the model's BOS and EOS tokens. A model without a template gets ChatML
 * ("<|im_start|>ROLE\nCONTENT<|im_end|>\n" per message, then "<|im_start|>assistant\n"
 * with the generation prompt) and an LF_LOG_WARN message. */
int lf_chat_apply_template(const lf_model *model, const char *tmpl, const lf_chat_message *msgs,
                           size_t n_msgs, bool add_generation_prompt, char **out, lf_error *err);

/* The prompt of a conversation as token ids, as a model must see it: rendered like
 * lf_chat_apply_template, then tokenized so that only the template's own markup becomes
 * special tokens. Roles and contents come from the client and are tokenized as text
 * (as lf_tokenize without LF_TOKENIZE_PARSE_SPECIAL does): a message that spells
 * "<|im_end|>\n<|im_start|>system" cannot open a turn of its own. BOS is prepended when
 * the tokenizer asks for it and the template did not write it. Fills ids[0, cap) and sets
 * *n_ids to the full count, which is more than cap when it does not fit.
 * Limits: a template that turns message text into control-token text by means other
 * than ASCII case changes (replace(), slicing out the middle of such text) is not
 * caught; a message's text is seen as the template leaves it, so a template can still
 * decide to write whatever it likes. */
int lf_chat_tokenize(const lf_model *model, const char *tmpl, const lf_chat_message *msgs, size_t n_msgs,
                     bool add_generation_prompt, int32_t *ids, size_t cap, size_t *n_ids, lf_error *err);
/* The same with a tokenizer and a template (not NULL) of the caller's; BOS and EOS texts
 * come from tok. */
int lf_chat_template_tokenize(const lf_tokenizer *tok, const char *tmpl, const lf_chat_message *msgs, size_t n_msgs,
                              bool add_generation_prompt, int32_t *ids, size_t cap, size_t *n_ids, lf_error *err);

/* Tools (function calling). tools_json is OpenAI's "tools" array as JSON text:
 * [{"type": "function", "function": {"name", "description", "parameters"}}, ...]. The
 * _tools variants render like the plain ones (which are these with tools_json NULL) with
 * the template seeing `tools` as that parsed array (None when NULL). A template that never
 * mentions tools is told of them another way: a system text listing them and asking for
 * Hermes-style answers, <tool_call>{"name": ..., "arguments": {...}}</tool_call> (appended
 * to the first system message, or a system message of its own before the others);
 * assistant tool calls become such <tool_call> text and "tool" messages user messages in
 * <tool_response> tags. A tools_json or tool_calls that is not valid JSON of those shapes
 * gives LF_ERR_ARG naming it. In lf_chat_tokenize_tools every string of tools and tool
 * calls is client text, tokenized as text like the messages' contents. */
int lf_chat_template_render_tools(const char *tmpl, const lf_chat_message *msgs, size_t n_msgs, const char *tools_json,
                                  bool add_generation_prompt, const char *bos_token, const char *eos_token,
                                  char **out, lf_error *err);
int lf_chat_apply_template_tools(const lf_model *model, const char *tmpl, const lf_chat_message *msgs, size_t n_msgs,
                                 const char *tools_json, bool add_generation_prompt, char **out, lf_error *err);
int lf_chat_tokenize_tools(const lf_model *model, const char *tmpl, const lf_chat_message *msgs, size_t n_msgs,
                           const char *tools_json, bool add_generation_prompt, int32_t *ids, size_t cap,
                           size_t *n_ids, lf_error *err);

/* How a model's answers write tool calls, told by its chat template (NULL: the model
 * has none): Hermes/Qwen <tool_call>{...}</tool_call> (also what templates that never
 * mention tools are asked for), Llama 3.1/3.2 a bare {"name", "parameters"} object
 * (optionally after <|python_tag|>), Mistral [TOOL_CALLS][{"name", "arguments"}, ...]. */
typedef enum lf_tool_format { LF_TOOL_FORMAT_HERMES, LF_TOOL_FORMAT_LLAMA3, LF_TOOL_FORMAT_MISTRAL } lf_tool_format;
lf_tool_format lf_chat_tool_format(const char *tmpl);
/* Splits a model's answer into its text and its tool calls. *content (malloc'd) is the
 * text outside the calls; *calls (malloc'd) is a JSON array [{"name": "...", "arguments":
 * "<JSON object text>"}, ...], or NULL when the answer makes no call. Every format's
 * calls are also seen as a bare JSON object {"name", "arguments"|"parameters"} making up
 * the whole answer. When tools_json is not NULL a call must name one of its functions;
 * an answer with a call that does not parse or names no such function is all content.
 * Returns LF_OK, or LF_ERR_NOMEM / LF_ERR_ARG (NULL text or outputs). */
int lf_chat_parse_tool_calls(lf_tool_format format, const char *tools_json, const char *text, char **content,
                             char **calls, lf_error *err);

/* ------------------------------------------------------------------- export */
/* Called as an export proceeds: done of total units (weights, or bytes) written. */
typedef void (*lf_export_progress_fn)(uint64_t done, uint64_t total, void *user);

typedef struct lf_llama2c_export_params {
    int version;    /* 0 (legacy header, fp32), 1 ("ak42" header, fp32) or 2 (int8 groups) */
    int group_size; /* version 2: weights per fp32 scale (default 64); must divide dim */
    lf_export_progress_fn progress;
    void *progress_user;
} lf_llama2c_export_params;
lf_llama2c_export_params lf_llama2c_export_default_params(void);

/* Writes model as a llama2.c checkpoint, byte for byte what llama2.c's export.py writes
 * for the same weights (dequantized to fp32): its header, tensor order, the v0 RoPE
 * tables, the shared-classifier flag, v2's int8 groups (round half to even) with their
 * fp32 scales. Refused when dim is not n_heads * head_dim (the format derives the head
 * size); RoPE base, RoPE scaling and norm epsilon, which the format cannot carry, are
 * warned about when they differ from llama2.c's fixed 10000 and 1e-5. Writes path.part,
 * then renames it to path. */
int lf_export_llama2c(const lf_model *model, const char *path, const lf_llama2c_export_params *params, lf_error *err);
/* Writes tok as llama2.c's tokenizer.bin, as its tokenizer.py exports a SentencePiece
 * model: the longest token's byte length, then per token its fp32 score, byte length
 * and bytes, with "\n<s>\n" and "\n</s>\n" for BOS and EOS, <0xNN> pieces as the
 * character U+00NN in UTF-8 and U+2581 as a space. A byte-level BPE vocabulary is
 * written as each token's bytes with score -(rank of the merge that makes it). */
int lf_export_llama2c_tokenizer(const lf_tokenizer *tok, const char *path, lf_error *err);

/* A model inside an executable: the program's bytes, zero padding to LF_EXE_ALIGN, the
 * GGUF, then a trailer (magic, version, the offsets and sizes, a checksum) in the last
 * LF_EXE_TRAILER_BYTES. The program finds it in its own file and memory-maps the model
 * from there (lf_model_params.file_offset/file_size). */
#define LF_EXE_ALIGN 65536
#define LF_EXE_TRAILER_BYTES 64
typedef struct lf_embedded_model {
    uint64_t program_size; /* bytes of the program before the padding */
    uint64_t offset, size; /* where the GGUF lies in the file */
} lf_embedded_model;
/* LF_OK with out->size == 0 when path ends in no trailer; LF_ERR_FORMAT naming path when
 * it ends in one that is damaged or points outside the file. */
int lf_find_embedded_model(const char *path, lf_embedded_model *out, lf_error *err);
/* Writes out_path (mode 0777 before the umask): program's bytes (without a model it
 * already carries), then the GGUF file model_gguf_path. Checks the GGUF's header and
 * tensor table before writing. Writes out_path.part, then renames it. */
int lf_export_executable(const char *program, const char *model_gguf_path, const char *out_path,
                         lf_export_progress_fn progress, void *progress_user, lf_error *err);

/* --------------------------------------------------------- importance matrix */
/* An importance matrix (llama.cpp's "imatrix"): for each weight matrix of a model, the
 * mean square of the activation each of its input columns multiplies, over a
 * calibration text. Quantizers given it spend their precision on the columns that
 * matter (lower KL divergence from the source at the same type). Files are llama.cpp's
 * own formats, GGUF (llama-imatrix's default) or the legacy .dat, so llama-quantize
 * reads ours and we read its. */
typedef struct lf_imatrix lf_imatrix;

typedef enum lf_imatrix_format { LF_IMATRIX_GGUF = 0, LF_IMATRIX_DAT = 1 } lf_imatrix_format;

/* Called after each chunk; return false to stop (the computation returns
 * LF_ERR_CANCELLED). */
typedef bool (*lf_imatrix_progress_fn)(int chunks_done, int n_chunks, void *user);

typedef struct lf_imatrix_params {
    int n_ctx;           /* tokens per chunk (default 512, as llama-imatrix) */
    int n_chunks;        /* at most this many chunks; 0 = every whole chunk of the text */
    int n_threads;       /* 0 = lf_default_thread_count() */
    bool precise_activations; /* as lf_context_params' (closer to float arithmetic) */
    const char *dataset; /* recorded in the file (imatrix.datasets): the text's file name */
    lf_imatrix_progress_fn progress;
    void *user;
} lf_imatrix_params;
lf_imatrix_params lf_imatrix_default_params(void);

/* Runs text through the model as llama-imatrix does: tokenized (BOS first when the
 * tokenizer adds one), cut into chunks of n_ctx tokens, each run from an empty cache
 * with its first token replaced by BOS when the tokenizer adds one; every weight
 * matrix of every layer (not token_embd or output) gets the sum of squares of each
 * input column and the number of tokens. The text must hold at least 2 * n_ctx tokens. */
int lf_imatrix_compute(const lf_model *model, const char *text, size_t len, const lf_imatrix_params *params,
                       lf_imatrix **out, lf_error *err);
/* Reads either format (GGUF by its magic, else .dat); a malformed file is
 * LF_ERR_FORMAT naming the file and the entry. */
int lf_imatrix_load(const char *path, lf_imatrix **out, lf_error *err);
/* Writes path.part and renames it to path when complete. An imatrix loaded from a .dat
 * file can only be saved as .dat (it no longer has the raw sums). */
int lf_imatrix_save(const lf_imatrix *im, const char *path, lf_imatrix_format format, lf_error *err);
void lf_imatrix_free(lf_imatrix *im);

int lf_imatrix_n_entries(const lf_imatrix *im);
/* Tensor name of entry i (in name order), NULL when out of range. */
const char *lf_imatrix_entry_name(const lf_imatrix *im, int i);
/* The importance of the input columns of the weight named tensor_name, as llama-quantize
 * computes it from the file (sum / count; 1 for a matrix never reached; .dat: value /
 * ncall): *n_values = columns (times experts). NULL when the imatrix has no such entry.
 * Quantizing: row r of that weight (n_per_row = columns values) goes to
 * lf_quantize_row_weighted with this pointer (expert e: + e * columns). */
const float *lf_imatrix_importance(const lf_imatrix *im, const char *tensor_name, int64_t *n_values);
/* Chunks the statistics were computed on, and the first dataset named (NULL when none):
 * what llama-quantize records as quantize.imatrix.chunks_count and
 * quantize.imatrix.dataset. */
int lf_imatrix_chunk_count(const lf_imatrix *im);
const char *lf_imatrix_dataset(const lf_imatrix *im);
/* --------------------------------------------------------------- perplexity */
/* How well a model predicts a text, and how far a model (a quantization, say) strays
 * from a base model on it, computed as llama.cpp's llama-perplexity does. */

/* A per-token quantity's mean (with its standard error) and spread over the scored
 * tokens: percentiles interpolate linearly between sorted values (p99_9 is the 99.9th). */
typedef struct lf_distribution {
    double mean, mean_stderr;
    double max, p99_9, p99, p95, p90, p75, median, p25, p10, p5, p1, p0_1, min;
} lf_distribution;

typedef struct lf_perplexity_result {
    int n_ctx;
    int n_chunks, n_chunks_total; /* chunks done, and chunks the text (and n_chunks) allow */
    int64_t n_tokens;             /* the text's tokens */
    int64_t n_scored;             /* tokens whose probability counted */
    double ppl, ppl_stderr;       /* exp(mean negative log-likelihood), +/- its standard error */
    double seconds;               /* running the chunks (tokenizing and loading excluded) */
    bool interrupted;             /* the progress callback stopped the run: figures so far */
    /* With a base model (else zero). KL(base || model) per token in nats; delta_p is the
     * model's probability of the right token minus the base's. The correlation is that of
     * the two models' per-token log-likelihoods. Percentiles only in the final result. */
    double base_ppl, base_ppl_stderr;
    double ln_ppl_ratio, ln_ppl_ratio_stderr, ppl_ratio, ppl_ratio_stderr, delta_ppl, delta_ppl_stderr;
    double ln_ppl_correlation;
    lf_distribution kl, delta_p;
    double delta_p_rms, delta_p_rms_stderr;
    double top1_agreement, top1_agreement_stderr; /* fraction of tokens both rank first alike */
} lf_perplexity_result;

/* Called after each chunk with the figures so far; return false to stop after it. */
typedef bool (*lf_perplexity_progress_fn)(const lf_perplexity_result *so_far, void *user);

typedef struct lf_perplexity_params {
    int n_ctx;                /* tokens per chunk (default 512, as llama-perplexity); >= 4 */
    int n_chunks;             /* at most this many chunks; 0 = every whole chunk of the text */
    int n_threads;            /* 0 = lf_default_thread_count() */
    bool precise_activations; /* as lf_context_params' (both models) */
    lf_kv_type type_k, type_v; /* KV cache types (both models; default F16) */
    const char *name;         /* the text's name in messages (its file name) */
    lf_perplexity_progress_fn progress;
    void *user;
} lf_perplexity_params;
lf_perplexity_params lf_perplexity_default_params(void);

/* Tokenizes text (BOS first when the tokenizer adds one), cuts it into
 * n_chunks_total = min(tokens / n_ctx, n_chunks) chunks and runs each from an empty
 * cache, its first token replaced by BOS when the tokenizer adds one; the tokens of the
 * second half of each chunk (positions n_ctx/2 + 1 .. n_ctx - 1) are scored by the
 * logits of the position before. The text must hold at least 2 * n_ctx tokens.
 * With base (NULL: none), each chunk also runs through base and every scored position
 * compares the two distributions, as llama-perplexity --kl-divergence (but over the
 * exact base distribution, not its 16-bit log-probability file). base must have the
 * same vocabulary and tokenize the text alike (else LF_ERR_ARG naming both models).
 * Memory: the two models and one chunk's scored logits for each. */
int lf_perplexity(const lf_model *model, const lf_model *base, const char *text, size_t len,
                  const lf_perplexity_params *params, lf_perplexity_result *result, lf_error *err);
/* ----------------------------------------------------------------- quantize */
/* Progress of lf_quantize_model, reported after each slab of rows is written. */
typedef struct lf_quantize_progress {
    int tensor_index, n_tensors;  /* 0-based index of the tensor being written */
    const char *tensor_name;
    const char *type_name;        /* its type in the output */
    uint64_t bytes_read, bytes_to_read; /* source tensor bytes done so far / in all */
    uint64_t bytes_written;       /* output tensor bytes so far */
    double elapsed_ms;
    bool tensor_done;             /* this report ends the tensor */
} lf_quantize_progress;

typedef struct lf_quantize_params {
    /* A file type as llama-quantize names it (case-insensitive): F32, F16, BF16, Q8_0,
     * Q4_0, Q4_1, Q5_0, Q5_1, the K-quant mixes Q2_K, Q3_K_S/M/L, Q4_K_S/M, Q5_K_S/M,
     * Q6_K and the aliases Q3_K, Q4_K, Q5_K (= *_M), COPY, or llama.cpp's file-type
     * number. NULL (the default): as quantize and dtype say, or COPY. */
    const char *type;
    /* Instead of type: a torchchat scheme and dtype, as lf_model_params.quantize and
     * .dtype (JSON text or a file), each tensor typed as conversion at load types it:
     * attention and feed-forward matrices the scheme's linear type, output.weight its
     * output type, token_embd.weight its embedding type, other float matrices dtype,
     * norms as they are; rows a type cannot take fall back as the mixes do. Tied
     * embeddings whose two roles get different types are written as token_embd.weight
     * and a separate output.weight. general.file_type is the most frequent matrix
     * type's. type and either of these: LF_ERR_ARG. type NULL (or "COPY") and neither:
     * every tensor keeps its type (llama-quantize's COPY). The load parameters'
     * quantize and dtype are not used. */
    const char *quantize, *dtype;
    /* Every quantizable matrix gets the file type's base type (no per-tensor mix), as
     * llama-quantize --pure. */
    bool pure;
    /* Tensor types (F32, F16, BF16, Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, Q2_K … Q6_K) for
     * output.weight and token_embd.weight; NULL = as the mix says. With pure these name
     * a scheme by role: matrices, embedding, output. */
    const char *output_tensor_type, *token_embedding_type;
    /* An importance matrix file (lf_imatrix_load's formats), as llama-quantize --imatrix:
     * each converted matrix is quantized with its entry's importance (an entry of another
     * size is an error naming the file and tensor, the token embedding excepted); Q4_0
     * and Q5_0 then write the first eighth of ffn_down as Q4_1/Q5_1, Q2_K_S becomes
     * possible, and the output records quantize.imatrix.*. NULL = none. */
    const char *imatrix_path;
    int n_threads;                /* 0 = lf_default_thread_count() */
    void (*progress)(const lf_quantize_progress *p, void *user);
    void *progress_user;
} lf_quantize_params;
lf_quantize_params lf_quantize_default_params(void);

/* Writes the model at src (anything lf_model_load reads, with load's options; NULL for
 * none) to out_path as a GGUF of the given type, choosing each tensor's type as
 * llama.cpp's llama-quantize does and quantizing each block byte for byte as ggml's
 * reference quantizers. One tensor at a time: memory stays near one tensor's rows
 * whatever the model's size. The file is written as out_path + ".part" and renamed when
 * complete; on any failure nothing is left under either name. A quantized source is
 * requantized through f32 (LF_LOG_WARN). Non-finite weights, and weights whose block
 * scales would overflow fp16, are refused naming the tensor and row. */
int lf_quantize_model(const char *src, const lf_model_params *load, const char *out_path, const lf_quantize_params *p,
                      lf_error *err);

/* The file types lf_quantize_params.type accepts, for help and error texts. */
typedef struct lf_quantize_type_info {
    const char *name;          /* "Q4_K_M" */
    const char *alias_of;      /* "Q4_K" names "Q4_K_M"; NULL for the canonical names */
    int file_type;             /* general.file_type (llama_ftype) */
    double bits_per_weight;    /* of the base tensor type */
    const char *description;
} lf_quantize_type_info;
/* Sets *types to the table and returns its length. */
int lf_quantize_types(const lf_quantize_type_info **types);

/* ------------------------------------------------- multiple-choice benchmarks */
/* The tasks of lm-evaluation-harness that score each answer by its log-likelihood:
 * hellaswag, winogrande, arc_easy, arc_challenge, piqa and mmlu, read from the files
 * the data sets publish (and from Hugging Face `datasets` rows saved as JSON Lines). */
typedef enum lf_eval_task_kind {
    LF_TASK_HELLASWAG, LF_TASK_WINOGRANDE, LF_TASK_ARC_EASY, LF_TASK_ARC_CHALLENGE, LF_TASK_PIQA, LF_TASK_MMLU
} lf_eval_task_kind;
/* "hellaswag", "winogrande", "arc-easy", "arc-challenge", "piqa", "mmlu" (lm-eval's
 * arc_easy and arc_challenge spellings are accepted too). */
bool lf_eval_task_from_name(const char *name, lf_eval_task_kind *out);
const char *lf_eval_task_name(lf_eval_task_kind kind);

typedef struct lf_eval_task lf_eval_task; /* the items of one data file (or directory) */
/* Reads path: JSON Lines for every task but mmlu, whose path is one of Hendrycks'
 * SUBJECT_{dev,val,test}.csv files, a directory of them, or JSON Lines of Hugging Face
 * rows. labels_path: piqa's separate labels file (one 0/1 per line); NULL when the rows
 * carry "label". A row of the wrong shape is an error naming the file, line and field. */
int lf_eval_task_load(lf_eval_task_kind kind, const char *path, const char *labels_path, lf_eval_task **out,
                      lf_error *err);
/* The same from bytes (name is for messages); labels may be NULL. For fuzzing and tests. */
int lf_eval_task_load_buffer(lf_eval_task_kind kind, const void *data, size_t size, const char *name,
                             const void *labels, size_t labels_size, lf_eval_task **out, lf_error *err);
void lf_eval_task_free(lf_eval_task *task);
int lf_eval_task_size(const lf_eval_task *task);
lf_eval_task_kind lf_eval_task_get_kind(const lf_eval_task *task);

typedef struct lf_eval_task_progress {
    int done, total;  /* items */
    int correct;      /* by acc, so far */
    uint64_t tokens;  /* decoded so far */
} lf_eval_task_progress;

typedef struct lf_eval_task_params {
    int limit;        /* the first limit items; 0 = all */
    int num_fewshot;  /* solved examples before each question */
    /* Where the examples come from (the train/dev split); NULL = the evaluated task,
     * never the item itself. mmlu takes the first num_fewshot of the item's subject (as
     * lm-eval's first_n sampler); the other tasks num_fewshot drawn without replacement
     * by a partial Fisher-Yates shuffle of the pool driven by splitmix64 seeded with
     * seed + 0x9E3779B97F4A7C15 * (item index + 1) (README: not Python's random). */
    const lf_eval_task *fewshot;
    uint64_t seed;    /* default 1234, as lm-eval */
    /* Called after every item; returning false stops there (the result is marked
     * interrupted and holds the items done). NULL: none. */
    bool (*progress)(const lf_eval_task_progress *p, void *user);
    void *progress_user;
} lf_eval_task_params;
lf_eval_task_params lf_eval_task_default_params(void);

typedef struct lf_eval_item_result {
    int index, label, pred, pred_norm, n_choices;
    double *loglik;   /* n_choices sums of log-probabilities of each continuation */
    int *lengths;     /* each choice's length in characters (acc_norm's divisor) */
    int subject;      /* index into subjects, -1 outside mmlu */
} lf_eval_item_result;

typedef struct lf_eval_subject_result {
    const char *name; /* "abstract_algebra" */
    int n;
    double acc, acc_stderr;
} lf_eval_subject_result;

typedef struct lf_eval_task_result {
    int n;                                /* items scored */
    double acc, acc_stderr;               /* stderr: sample std / sqrt(n) (0 when n < 2) */
    bool has_acc_norm;                    /* hellaswag, arc, piqa */
    double acc_norm, acc_norm_stderr;
    bool interrupted;
    uint64_t tokens;                      /* tokens decoded */
    lf_eval_item_result *items;
    int n_subjects;                       /* mmlu: per subject; the overall stderr pools them */
    lf_eval_subject_result *subjects;
} lf_eval_task_result;

/* Scores the task's items on ctx's model: for each choice the log-likelihood of its
 * continuation given its context, tokenized as lm-eval's _encode_pair with the model's
 * BOS first when its tokenizer adds one. The shared context is decoded once per item
 * (the KV cache is reused), each choice's tokens in one batch. ctx is cleared first. */
int lf_eval_task_run(lf_context *ctx, const lf_eval_task *task, const lf_eval_task_params *params,
                     lf_eval_task_result **out, lf_error *err);
void lf_eval_task_result_free(lf_eval_task_result *result);

/* Wall-clock milliseconds from a monotonic clock (for frontends' timing). */
double lf_time_ms(void);

#ifdef __cplusplus
}
#endif
#endif
