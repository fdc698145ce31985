/* llama-fast list: the known models, and what is downloaded where. */
#include <dirent.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/args.h"
#include "cli/commands.h"
#include "cli/known_models.h"
#include "cli/model_path.h"
#include "cli/model_store.h"
#include "frontend/print_escaped.h"

static void list_usage(FILE *out) {
    fprintf(out,
            "usage: llama-fast list [--json]\n"
            "\n"
            "Lists the models llama-fast knows by name, whether each is gated on Hugging Face\n"
            "(needs HF_TOKEN), and where it is if downloaded; then other downloaded repositories.\n"
            "Any of these names works as MODEL in the other commands once downloaded.\n"
            "  --json   one JSON array instead of the table\n");
}

/* Repositories downloaded by id: store directories that are not aliases (owner--name). */
static void other_downloads(json_t *json_out) {
    char root[STORE_PATH_MAX];
    if (store_models_root(root, sizeof root, NULL) != LF_OK) return;
    DIR *d = opendir(root);
    if (!d) return;
    bool header = false;
    for (struct dirent *e; (e = readdir(d)) != NULL;) {
        char *sep = strstr(e->d_name, "--");
        if (!sep || known_model_find(e->d_name)) continue;
        char repo[512], path[STORE_PATH_MAX];
        snprintf(repo, sizeof repo, "%.*s/%s", (int)(sep - e->d_name), e->d_name, sep + 2);
        if (!store_valid_repo_id(repo) || !cli_downloaded_model(repo, path, sizeof path)) continue;
        if (json_out) {
            json_array_append_new(json_out, json_pack("{s:s, s:s, s:b, s:s}", "name", repo, "repo", repo, "downloaded",
                                                      1, "path", path));
            continue;
        }
        if (!header) printf("\nother downloads:\n");
        header = true;
        print_escaped(stdout, "  %-40s %s\n", repo, path);
    }
    closedir(d);
}

int cmd_list(int argc, char **argv) {
    bool as_json = false;
    for (int i = 1; i < argc; i++) {
        if (cli_is_help(argv[i])) {
            list_usage(stdout);
            return 0;
        } else if (!strcmp(argv[i], "--json")) as_json = true;
        else {
            print_escaped(stderr, "error: list: unexpected argument '%s' (see --help)\n", argv[i]);
            return 2;
        }
    }
    json_t *arr = as_json ? json_array() : NULL;
    if (!as_json) printf("%-32s %-6s %-42s %-38s %s\n", "MODEL", "ACCESS", "SOURCE", "DESCRIPTION", "DOWNLOADED");
    for (size_t i = 0; i < known_model_count; i++) {
        const known_model *m = &known_models[i];
        char path[STORE_PATH_MAX], names[80];
        bool have = cli_downloaded_model(m->alias, path, sizeof path);
        snprintf(names, sizeof names, "%s%s%s", m->alias, m->alias2 ? ", " : "", m->alias2 ? m->alias2 : "");
        if (as_json) {
            json_t *o = json_pack("{s:s, s:s, s:b, s:s, s:b}", "name", m->alias, "repo", m->repo, "gated", m->gated,
                                  "description", m->description, "downloaded", have);
            if (m->alias2) json_object_set_new(o, "alias", json_string(m->alias2));
            if (have) json_object_set_new(o, "path", json_string(path));
            json_array_append_new(arr, o);
        } else {
            print_escaped(stdout, "%-32s %-6s %-42s %-38s %s\n", names, m->gated ? "gated" : "open", m->repo,
                          m->description, have ? path : "-");
        }
    }
    other_downloads(arr);
    if (as_json) {
        char *text = json_dumps(arr, JSON_INDENT(2));
        if (text) puts(text);
        free(text);
        json_decref(arr);
    }
    return 0;
}
