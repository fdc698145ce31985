/* The library's warnings (it never prints; it logs through a callback) shown on stderr. */
#ifndef LF_CLI_WARNINGS_H
#define LF_CLI_WARNINGS_H

#include <stdbool.h>

/* on: print library messages of level warning and above as "warning: ..."; off: silence. */
void cli_show_warnings(bool on);

#endif
