/* The weights of a Hugging Face model directory as the binder sees them: safetensors
 * tensors renamed to GGUF names, used in place where their dtype and alignment allow,
 * converted once at load where not. */
#ifndef LF_MODEL_HF_WEIGHTS_H
#define LF_MODEL_HF_WEIGHTS_H

#include "format/safetensors.h"
#include "model/model.h"

struct lf_hf_weights {
    char *dir;
    safetensors_set set;
    lf_tensor_view *views;
    int n_views;
    void **owned; /* buffers of converted tensors */
    int n_owned;
};

/* Fills m->tensors from w->set for the shapes m->cfg implies; lm_head.weight is used
 * unless tied. Every missing, misshapen or uncomputable tensor is named by its HF name. */
int hf_weights_map(lf_model *m, struct lf_hf_weights *w, bool tied, lf_error *err);
void hf_weights_free(struct lf_hf_weights *w);

#endif
