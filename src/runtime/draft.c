#include "runtime/draft.h"

#include <string.h>

#include "core/error.h"
#include "runtime/context.h"
#include "runtime/sampler.h"

int lf_draft_lookup(const int32_t *hist, int n, int ngram, int32_t *out, int k) {
    if (ngram < 1 || ngram >= n) return 0;
    const int32_t *key = hist + n - ngram;
    /* a match must be followed by at least one token before the key itself */
    for (int j = n - ngram - 1; j >= 0; j--) {
        if (hist[j] != key[0] || memcmp(hist + j, key, (size_t)ngram * sizeof *key)) continue;
        int avail = n - (j + ngram), count = avail < k ? avail : k;
        memcpy(out, hist + j + ngram, (size_t)count * sizeof *out);
        return count;
    }
    return 0;
}

int lf_draft_check_vocab(const lf_model *target, const lf_model *draft, lf_error *err) {
    lf_model_info ti, di;
    lf_model_get_info(target, &ti);
    lf_model_get_info(draft, &di);
    if (ti.vocab_size != di.vocab_size)
        return lf_fail(err, LF_ERR_ARG,
                       "the draft model '%s' has %d tokens and the model '%s' has %d: a draft model must have the "
                       "same vocabulary",
                       di.name, di.vocab_size, ti.name, ti.vocab_size);
    const lf_tokenizer *tt = lf_model_tokenizer(target), *dt = lf_model_tokenizer(draft);
    if (!tt || !dt) return LF_OK; /* ids only (llama2.c without a tokenizer): the counts are all there is */
    for (int32_t id = 0; id < ti.vocab_size; id++) {
        char a[256], b[256];
        int na = lf_token_to_bytes(tt, id, a, sizeof a), nb = lf_token_to_bytes(dt, id, b, sizeof b);
        bool same = na == nb && (na < 0 || memcmp(a, b, (size_t)(na < (int)sizeof a ? na : (int)sizeof a)) == 0);
        if (!same)
            return lf_fail(err, LF_ERR_ARG,
                           "the draft model '%s' and the model '%s' differ at token %d ('%.*s' against '%.*s'): a "
                           "draft model must have the same vocabulary",
                           di.name, ti.name, (int)id, nb > 0 ? (nb < 40 ? nb : 40) : 0, b,
                           na > 0 ? (na < 40 ? na : 40) : 0, a);
    }
    return LF_OK;
}

int lf_draft_model(lf_context *draft, lf_sampler *s, const int32_t *hist, int n, int32_t *out, float *q, int k,
                   lf_error *err) {
    /* hist[0, n) and k - 1 guesses (the last is never decoded) must fit */
    int room = lf_context_size(draft) - n + 1;
    if (room < 1) return 0;
    if (k > room) k = room;
    int kept = lf_context_keep_prefix(draft, hist, n);
    int rc = lf_decode(draft, hist + kept, n - kept, err);
    if (rc) return rc;
    int vocab = draft->model->cfg.vocab_size;
    for (int i = 0; i < k; i++) {
        const float *logits = lf_context_logits(draft);
        if (lf_sampler_is_greedy(s)) {
            out[i] = lf_sampler_sample(s, logits);
        } else {
            float *qi = q + (size_t)i * vocab;
            lf_sampler_probs(s, logits, qi);
            out[i] = lf_sampler_draw(s, qi);
        }
        if (i + 1 < k && (rc = lf_decode(draft, &out[i], 1, err))) return rc;
    }
    return k;
}
