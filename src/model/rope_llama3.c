/* Llama 3.1 RoPE scaling, shared by every loader whose metadata describes it: long
 * wavelengths are slowed by `factor`, short ones kept, the band between blended. */
#include <math.h>
#include <stdlib.h>

#include "core/error.h"
#include "model/model.h"

int lf_model_llama3_rope_factors(lf_model *m, float factor, float low, float high, float old_ctx, const char *path,
                                 lf_error *err) {
    const lf_model_config *c = &m->cfg;
    if (!(factor > 0) || !(high > low) || !(old_ctx > 0) || c->rope_dim < 2 || c->rope_dim > 4096)
        return lf_fail(err, LF_ERR_FORMAT, "%s: invalid llama3 RoPE scaling parameters", path);
    int n = c->rope_dim / 2;
    m->computed_rope_factors = malloc((size_t)n * sizeof(float));
    if (!m->computed_rope_factors) return lf_fail(err, LF_ERR_NOMEM, "out of memory");
    for (int i = 0; i < n; i++) {
        double freq = pow(c->rope_theta, -2.0 * i / c->rope_dim), wavelen = 2 * M_PI / freq;
        double smooth = (old_ctx / wavelen - low) / (high - low), scaled;
        if (wavelen < old_ctx / high) scaled = freq;
        else if (wavelen > old_ctx / low) scaled = freq / factor;
        else scaled = (1 - smooth) * freq / factor + smooth * freq;
        m->computed_rope_factors[i] = (float)(freq / scaled);
    }
    m->rope_freq_factors = m->computed_rope_factors;
    return LF_OK;
}
