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
    if (access(name_or_path, F_OK) == 0) return name_or_path;
    const known_model *m = known_model_find(name_or_path);
    /* the default model as `make model` fetches it, next to a checkout */
    if (m && !strcmp(m->alias, "smollm2")) {
        int n = snprintf(buf, cap, "models/%s", m->model_file);
        if (n >= 0 && (size_t)n < cap && access(buf, R_OK) == 0) return buf;
    }
    return cli_downloaded_model(name_or_path, buf, cap) ? buf : name_or_path;
}

/* Looked up once: the executable does not change while it runs. */
static int embedded_state; /* 0 unknown, 1 present, -1 absent or damaged */
static lf_embedded_model embedded;

static bool find_embedded(void) {
    if (embedded_state == 0) {
        lf_error err = {0};
        int rc = lf_find_embedded_model(CLI_EMBEDDED_MODEL, &embedded, &err);
        if (rc) print_escaped(stderr, "error: %s\n", err.message);
        embedded_state = !rc && embedded.size ? 1 : -1;
    }
    return embedded_state == 1;
}

const char *cli_default_model(void) { return find_embedded() ? CLI_EMBEDDED_MODEL : NULL; }

bool cli_embedded_model(const char *path, lf_embedded_model *where) {
    if (strcmp(path, CLI_EMBEDDED_MODEL) != 0 || !find_embedded()) return false;
    *where = embedded;
    return true;
}
