/* The names quantize takes: llama-quantize's file types (each a base tensor type and a
 * general.file_type number) and the tensor types an override may name. */
#ifndef LF_CONVERT_QUANT_TYPES_H
#define LF_CONVERT_QUANT_TYPES_H

#include "kernels/kernels.h"
#include "llamafast.h"

/* llama.cpp's llama_ftype values for the file types quantize writes. */
typedef enum quant_ftype {
    FTYPE_ALL_F32 = 0, FTYPE_F16 = 1, FTYPE_Q4_0 = 2, FTYPE_Q4_1 = 3, FTYPE_Q8_0 = 7, FTYPE_Q5_0 = 8,
    FTYPE_Q5_1 = 9, FTYPE_Q2_K = 10, FTYPE_Q3_K_S = 11, FTYPE_Q3_K_M = 12, FTYPE_Q3_K_L = 13, FTYPE_Q4_K_S = 14,
    FTYPE_Q4_K_M = 15, FTYPE_Q5_K_S = 16, FTYPE_Q5_K_M = 17, FTYPE_Q6_K = 18, FTYPE_Q2_K_S = 21, FTYPE_BF16 = 32
} quant_ftype;

/* The file type named name (a table name, case-insensitive, or its number) and its
 * base tensor type; LF_ERR_ARG with a message listing the names when there is none. */
int quant_ftype_parse(const char *name, quant_ftype *ftype, lf_type *base, lf_error *err);
/* A tensor type an override may name (F32, F16, BF16 and what lf_quantize_row writes);
 * what names the option in messages. */
int quant_tensor_type_parse(const char *name, const char *what, lf_type *type, lf_error *err);
/* llama-quantize's COPY (case-insensitive): every tensor keeps its type. */
bool quant_is_copy(const char *name);
/* The file type llama.cpp's loader guesses for a file whose most frequent tensor type is
 * t (Q3_K, Q4_K, Q5_K: their _M mixes); ALL_F32 for a type it has none for here. */
quant_ftype quant_ftype_of_type(lf_type t);
/* Stored as-is rather than quantized: F32, F16, BF16. */
bool quant_type_is_float(lf_type t);

#endif
