#include "llamafast.h"

#define LF_STR(x) #x
#define LF_XSTR(x) LF_STR(x)

const char *lf_version(void) {
    return LF_XSTR(LF_VERSION_MAJOR) "." LF_XSTR(LF_VERSION_MINOR) "." LF_XSTR(LF_VERSION_PATCH);
}
