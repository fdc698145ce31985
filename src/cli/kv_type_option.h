/* The KV cache type options every command that runs a model takes: --kv-type T for keys
 * and values, and llama.cpp's spellings -ctk/--cache-type-k T and -ctv/--cache-type-v T
 * for one of them. */
#ifndef LF_CLI_KV_TYPE_OPTION_H
#define LF_CLI_KV_TYPE_OPTION_H

#include "llamafast.h"

#define CLI_KV_TYPE_USAGE                                                                \
    "  --kv-type f32|f16|q8_0  KV cache type (default f16; q8_0 halves its memory and\n" \
    "                          the bytes attention reads, f32 keeps exact values)\n"    \
    "  -ctk, --cache-type-k T, -ctv, --cache-type-v T\n"                                 \
    "                          the KV cache type of keys or of values alone\n"

/* Parses argv[*i] when it is one of these options (advancing *i past its value): 1 when
 * consumed, 0 when it is not one of them, -1 after printing an error (a missing value or
 * a type other than f32, f16, q8_0, named with the flag). */
int cli_kv_type_option(int argc, char **argv, int *i, lf_kv_type *type_k, lf_kv_type *type_v);

/* "f16" when keys and values share the type, else "q8_0/f16" (keys/values); in buf. */
const char *cli_kv_types_label(lf_kv_type type_k, lf_kv_type type_v, char *buf, size_t cap);

#endif
