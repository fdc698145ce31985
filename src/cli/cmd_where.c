/* llama-fast where / remove: a downloaded model's path, and deleting it from the store. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli/args.h"
#include "cli/commands.h"
#include "cli/model_path.h"
#include "cli/model_store.h"
#include "frontend/print_escaped.h"

/* The single MODEL argument of where/remove, or NULL after printing the problem. */
static const char *model_argument(const char *cmd, const char *usage, int argc, char **argv, int *exit_code) {
    const char *name = NULL;
    *exit_code = 2;
    for (int i = 1; i < argc; i++) {
        if (cli_is_help(argv[i])) {
            fputs(usage, stdout);
            *exit_code = 0;
            return NULL;
        }
        if (argv[i][0] == '-' || name) {
            print_escaped(stderr, "error: %s: unexpected argument '%s' (see --help)\n", cmd, argv[i]);
            return NULL;
        }
        name = argv[i];
    }
    if (!name) fputs(usage, stderr);
    return name;
}

int cmd_where(int argc, char **argv) {
    int code;
    const char *name = model_argument("where", "usage: llama-fast where MODEL\n\n"
                                               "Prints the path MODEL (an alias or a repository id) stands for:\n"
                                               "its downloaded file or directory. Exits 1 if it is not downloaded.\n",
                                      argc, argv, &code);
    if (!name) return code;
    char dir[STORE_PATH_MAX], buf[STORE_PATH_MAX];
    lf_error err = {0};
    if (store_model_dir(name, dir, sizeof dir, &err) != LF_OK) {
        print_escaped(stderr, "error: where: %s\n", err.message);
        return 1;
    }
    /* the store only, as download and remove: not a file of that name in this directory */
    if (!cli_downloaded_model(name, buf, sizeof buf)) {
        print_escaped(stderr, "error: where: %s is not downloaded (llama-fast download %s)\n", name, name);
        return 1;
    }
    print_escaped(stdout, "%s\n", buf);
    return 0;
}

int cmd_remove(int argc, char **argv) {
    int code;
    const char *name = model_argument("remove", "usage: llama-fast remove MODEL\n\n"
                                                "Deletes MODEL (an alias or a repository id) from the store,\n"
                                                "$LLAMA_FAST_HOME/models/ (default ~/.llama-fast/models/),\n"
                                                "partial downloads included. Nothing outside the store is touched.\n",
                                      argc, argv, &code);
    if (!name) return code;
    char dir[STORE_PATH_MAX];
    lf_error err = {0};
    if (store_model_dir(name, dir, sizeof dir, &err) != LF_OK) {
        print_escaped(stderr, "error: remove: %s\n", err.message);
        return 1;
    }
    if (access(dir, F_OK) != 0) {
        print_escaped(stderr, "error: remove: %s is not in the store (%s)\n", name, dir);
        return 1;
    }
    if (store_remove_dir(dir, &err) != LF_OK) {
        print_escaped(stderr, "error: remove: %s\n", err.message);
        return 1;
    }
    print_escaped(stderr, "removed %s\n", dir);
    return 0;
}
