/* The weights of a Hugging Face model directory, or of a PyTorch checkpoint (read into
 * the same tensor table), as the binder sees them: tensors renamed to GGUF names, used
 * in place where their dtype and alignment allow, converted once at load where not. */
#ifndef LF_MODEL_HF_WEIGHTS_H
#define LF_MODEL_HF_WEIGHTS_H

#include "format/safetensors.h"
#include "model/model.h"

struct lf_hf_weights {
    char *dir;
    const char *config_name; /* what gives the shapes, for messages: "config.json", "params.json" */
    safetensors_set set;
    lf_tensor_view *views;
    int n_views;
    void **owned; /* buffers of converted tensors */
    int n_owned;
    /* Lazy mode (lf_model_load_lazy): per view, the head count whose rotate-half Q/K row
     * order is still to be undone when rows are read (0: rows are in GGUF order). */
    int *unpermute_heads;
};

/* How a checkpoint names its tensors: Hugging Face (model.layers.N.self_attn.q_proj, Q/K
 * rows in rotate-half order), or Meta / torchchat / gpt-fast (layers.N.attention.wq or a
 * fused wqkv, rows already in the adjacent-pair order the runtime uses). */
typedef enum checkpoint_layout { CHECKPOINT_HF, CHECKPOINT_META } checkpoint_layout;

/* Fills m->tensors from w->set for the shapes m->cfg implies; the output matrix is used
 * unless tied. Every missing, misshapen or uncomputable tensor is named by its checkpoint
 * name. */
int hf_weights_map(lf_model *m, struct lf_hf_weights *w, bool tied, checkpoint_layout layout, lf_error *err);
void hf_weights_free(struct lf_hf_weights *w);

#endif
