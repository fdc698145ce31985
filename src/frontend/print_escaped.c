#include "frontend/print_escaped.h"

#include <stdarg.h>
#include <stdlib.h>

#include "llamafast.h"

void print_escaped(FILE *f, const char *fmt, ...) {
    char small[1024];
    va_list ap, again;
    va_start(ap, fmt);
    va_copy(again, ap);
    int n = lf_vformat_escaped(small, sizeof small, fmt, ap);
    /* Without memory for a longer message, its first kilobyte is still worth showing. */
    char *big = n >= (int)sizeof small ? malloc((size_t)n + 1) : NULL;
    if (big) lf_vformat_escaped(big, (size_t)n + 1, fmt, again);
    fputs(big ? big : small, f);
    free(big);
    va_end(again);
    va_end(ap);
}
