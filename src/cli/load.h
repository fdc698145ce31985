/* Model loading shared by the subcommands: alias resolution, error printing. */
#ifndef LF_CLI_LOAD_H
#define LF_CLI_LOAD_H

#include "llamafast.h"

/* Where a model's parts come from besides its own files: --tokenizer-path for llama2.c
 * models, --params-path / --params-table for PyTorch checkpoints without params.json;
 * and how its weights are converted at load: --quantize, --dtype. */
typedef struct cli_model_source {
    const char *tokenizer_path, *params_path, *params_table;
    const char *quantize, *dtype;
    bool repack; /* lf_model_params.repack: set by commands that batch streams (server, bench -np) */
} cli_model_source;

/* --no-repack (llama.cpp's flag): no repacked copy of the weights for batched streams.
 * True when a is it. */
bool cli_no_repack_option(const char *a, bool *no_repack);
#define CLI_REPACK_USAGE                                                                        \
    "  --no-repack             keep no repacked copy of the weights for batches of\n"          \
    "                          streams: saves as much memory as the weights take, for\n"      \
    "                          slower batched decoding (the copy is made where the CPU\n"     \
    "                          has a kernel for it: AVX-512 VNNI; Q4_0, Q4_1, IQ4_NL,\n"       \
    "                          Q8_0)\n"

/* --quantize SCHEME and --dtype TYPE, for commands that keep them elsewhere (server).
 * Returns 1 when consumed, 0 when argv[*i] is neither, -1 after printing an error. */
int cli_weight_option(int argc, char **argv, int *i, const char **quantize, const char **dtype);
#define CLI_WEIGHT_USAGE                                                                        \
    "  --quantize SCHEME       quantize the weights at load with a torchchat scheme: JSON\n"   \
    "                          text or a JSON file, e.g. '{\"linear:int4\": {\"groupsize\": 32},\n" \
    "                          \"embedding\": {\"bitwidth\": 8, \"groupsize\": 0}}' (int4/32 is\n"  \
    "                          Q4_0, int8 is Q8_0, groupsize 256 the K-quants; see README)\n"    \
    "  --dtype TYPE            f32, f16 or bf16 (or fp32, fp16, bfloat16, ...): the type of\n"   \
    "                          the float weight matrices --quantize leaves\n"

/* Parses argv[*i] when it is one of those options (advancing *i past its value).
 * Returns 1 when consumed, 0 when it is not one of them, -1 after printing an error. */
int cli_model_source_option(int argc, char **argv, int *i, cli_model_source *s);
/* Their help lines. */
#define CLI_MODEL_SOURCE_USAGE                                                                  \
    "  --tokenizer-path PATH   tokenizer.model / tokenizer.bin / .gguf to use instead of\n"      \
    "                          the model's own (needed for llama2.c .bin models)\n"              \
    "  --params-path FILE      params.json of a PyTorch checkpoint that has none beside it\n"   \
    "  --params-table NAME     its shape by name instead: stories15M, stories42M,\n"            \
    "                          stories110M, 7B, 13B, 70B, CodeLlama-7B, Mistral-7B,\n"          \
    "                          Meta-Llama-3-8B, Meta-Llama-3.1-8B, Meta-Llama-3.2-1B/3B\n"     \
    CLI_WEIGHT_USAGE

/* The load parameters of the model file path (resolved): src's parts (src may be NULL;
 * its quantize and dtype too when weights is true) and, for an executable carrying a
 * model, where that lies. 0, or -1 after printing why the embedded model is damaged. */
int cli_model_params(const char *path, const cli_model_source *src, bool weights, lf_model_params *mp);

/* Loads MODEL (path or alias; a known model not in the store yet is downloaded first
 * unless cli_refuse_downloads); prints the error and returns NULL on failure. src may be
 * NULL. */
lf_model *cli_load_model(const char *name_or_path, const cli_model_source *src);
/* --no-download: a known model that is not in the store is an error, not a download. */
void cli_refuse_downloads(bool refuse);

#endif
