#include "cli/model_path.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli/known_models.h"
#include "cli/model_store.h"
#include "frontend/print_escaped.h"

bool cli_downloaded_model(const char *name, char *buf, size_t cap) {
    char dir[STORE_PATH_MAX];
    if (store_model_dir(name, dir, sizeof dir, NULL) != LF_OK || !store_is_complete(dir)) return false;
    const known_model *m = known_model_find(name);
    int n = m && m->model_file ? snprintf(buf, cap, "%s/%s", dir, m->model_file) : snprintf(buf, cap, "%s", dir);
    return n >= 0 && (size_t)n < cap && access(buf, R_OK) == 0;
}

const char *cli_resolve_model(const char *name_or_path, char *buf, size_t cap) {
    if (cli_downloaded_model(name_or_path, buf, cap)) return buf;
    if (access(name_or_path, F_OK) == 0) return name_or_path;
    /* the default model where `make run` fetches it, in a checkout (README: Models) */
    const known_model *m = known_model_find(name_or_path);
    if (m && !strcmp(m->alias, "smollm2")) {
        int n = snprintf(buf, cap, "models/%s", m->model_file);
        if (n >= 0 && (size_t)n < cap && access(buf, R_OK) == 0) return buf;
    }
    return name_or_path;
}

/* Looked up once: the executable does not change while it runs. */
static int embedded_rc = 1; /* 1 = not looked up yet */
static lf_embedded_model embedded;
static lf_error embedded_err;

static char self_path[4096]; /* the executable's own path, which messages name */

static int find_embedded(void) {
    if (embedded_rc == 1) {
        ssize_t n = readlink(CLI_SELF_EXE, self_path, sizeof self_path - 1);
        if (n > 0) self_path[n] = 0;
        else snprintf(self_path, sizeof self_path, "%s", CLI_SELF_EXE);
        embedded_rc = lf_find_embedded_model(self_path, &embedded, &embedded_err);
    }
    return embedded_rc;
}

const char *cli_default_model(void) { return find_embedded() != LF_OK || embedded.size ? self_path : NULL; }

int cli_embedded_model(const char *path, lf_embedded_model *where) {
    if (find_embedded() == 1 || strcmp(path, self_path) != 0) return 0;
    if (find_embedded() != LF_OK) {
        print_escaped(stderr, "error: %s\n", embedded_err.message);
        return -1;
    }
    *where = embedded;
    return embedded.size ? 1 : 0;
}
