#include "cli/grammar_options.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/args.h"
#include "cli/read_file.h"
#include "frontend/print_escaped.h"

static const char *const names[] = {"--grammar", "--grammar-file", "--json-schema", "--json-schema-file"};

int cli_grammar_option(int argc, char **argv, int *i, cli_grammar_options *o) {
    const char *a = argv[*i];
    size_t k = 0, n = sizeof names / sizeof *names;
    while (k < n && strcmp(a, names[k])) k++;
    if (k == n) return 0;
    const char *v = cli_value(argc, argv, i);
    if (!v) return -1;
    if (o->option) {
        print_escaped(stderr, "error: %s and %s: give one grammar or schema, not two\n", o->option, names[k]);
        return -1;
    }
    o->option = names[k];
    o->value = v;
    return 1;
}

bool cli_grammar_text(const cli_grammar_options *o, char **text, bool *is_schema) {
    *text = NULL;
    *is_schema = false;
    if (!o->option) return true;
    *is_schema = strstr(o->option, "schema") != NULL;
    if (!strstr(o->option, "file")) {
        if (!(*text = strdup(o->value))) fprintf(stderr, "error: out of memory\n");
        return *text != NULL;
    }
    size_t len;
    char *data = cli_read_file(o->value, &len);
    if (!data) {
        print_escaped(stderr, "error: %s %s: %s\n", o->option, o->value, strerror(errno));
        return false;
    }
    if (memchr(data, 0, len)) print_escaped(stderr, "error: %s %s: the file holds a NUL byte\n", o->option, o->value);
    else if (!(*text = malloc(len + 1))) fprintf(stderr, "error: out of memory\n");
    else memcpy(*text, data, len), (*text)[len] = 0;
    free(data);
    return *text != NULL;
}

bool cli_grammar_load(const cli_grammar_options *o, lf_grammar **out) {
    char *text;
    bool is_schema;
    *out = NULL;
    if (!o->option) return true;
    if (!cli_grammar_text(o, &text, &is_schema)) return false;
    lf_error err = {0};
    int rc = is_schema ? lf_grammar_from_json_schema(text, out, &err) : lf_grammar_parse(text, NULL, out, &err);
    free(text);
    if (rc) print_escaped(stderr, "error: %s: %s\n", o->option, err.message);
    return rc == LF_OK;
}
