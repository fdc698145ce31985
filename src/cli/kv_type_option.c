#include "cli/kv_type_option.h"

#include <stdio.h>
#include <string.h>

#include "cli/args.h"
#include "frontend/print_escaped.h"

int cli_kv_type_option(int argc, char **argv, int *i, lf_kv_type *type_k, lf_kv_type *type_v) {
    const char *a = argv[*i];
    bool keys = !strcmp(a, "-ctk") || !strcmp(a, "--cache-type-k");
    bool values = !strcmp(a, "-ctv") || !strcmp(a, "--cache-type-v");
    if (!strcmp(a, "--kv-type")) keys = values = true;
    if (!keys && !values) return 0;
    const char *v = cli_value(argc, argv, i);
    if (!v) return -1;
    lf_kv_type t;
    if (!lf_kv_type_from_name(v, &t)) {
        print_escaped(stderr, "error: %s: unknown KV cache type '%s' (f32, f16 or q8_0)\n", a, v);
        return -1;
    }
    if (keys) *type_k = t;
    if (values) *type_v = t;
    return 1;
}

const char *cli_kv_types_label(lf_kv_type type_k, lf_kv_type type_v, char *buf, size_t cap) {
    if (type_k == type_v) snprintf(buf, cap, "%s", lf_kv_type_name(type_k));
    else snprintf(buf, cap, "%s/%s", lf_kv_type_name(type_k), lf_kv_type_name(type_v));
    return buf;
}
