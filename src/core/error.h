/* Error reporting and logging shared by every module. */
#ifndef LF_CORE_ERROR_H
#define LF_CORE_ERROR_H

#include "llamafast.h"

/* Fills err (if non-NULL) with code and a printf-style message; returns code. */
int lf_fail(lf_error *err, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void lf_log(lf_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
