#include "convert/model_metadata.h"

#include "core/error.h"

int convert_write_model_metadata(const lf_model *m, gguf_writer *w, lf_error *err) {
    (void)w;
    return lf_fail(err, LF_ERR_UNSUPPORTED, "%s: writing GGUF metadata for a %s source is not supported", m->name,
                   m->format);
}
