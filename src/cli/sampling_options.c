#include "cli/sampling_options.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli/args.h"
#include "frontend/print_escaped.h"

void cli_sampling_init(cli_sampling *o, const lf_sampler_params *defaults) {
    *o = (cli_sampling){.params = *defaults};
    o->params.logit_bias = NULL;
    o->params.n_logit_bias = 0;
}

void cli_sampling_free(cli_sampling *o) {
    free(o->bias);
    *o = (cli_sampling){0};
}

/* llama.cpp's TOKEN(+|-)BIAS, as 15043+1 or 15043-inf (-inf bans the token). */
static bool add_logit_bias(const char *flag, const char *text, cli_sampling *o) {
    char *end;
    errno = 0;
    long token = strtol(text, &end, 10);
    bool ok = !errno && end != text && token >= 0 && token <= INT32_MAX && (*end == '+' || *end == '-');
    double bias = 0;
    if (ok) {
        const char *b = end + 1;
        errno = 0;
        bias = strtod(b, &end);
        if (*end || end == b || errno || isnan(bias)) ok = false;
        if (b[-1] == '-') bias = -bias;
        if (bias == INFINITY) ok = false; /* +inf would not force a token: it breaks the softmax */
    }
    if (!ok) {
        print_escaped(stderr,
                      "error: %s: '%s' is not TOKEN+BIAS or TOKEN-BIAS (a token id, then a finite bias or -inf to "
                      "ban it, e.g. 15043+1 or 15043-inf)\n",
                      flag, text);
        return false;
    }
    if (o->params.n_logit_bias == o->cap_bias) {
        int cap = o->cap_bias ? 2 * o->cap_bias : 8;
        lf_logit_bias *p = realloc(o->bias, (size_t)cap * sizeof *p);
        if (!p) {
            fprintf(stderr, "error: out of memory\n");
            return false;
        }
        o->bias = p;
        o->cap_bias = cap;
    }
    o->bias[o->params.n_logit_bias++] = (lf_logit_bias){(int32_t)token, (float)bias};
    o->params.logit_bias = o->bias;
    return true;
}

int cli_sampling_option(int argc, char **argv, int *i, cli_sampling *o) {
    static const char *const flags[] = {"--temperature", "--temp", "--top-k", "--top-p", "--min-p", "--typical-p",
                                        "--repeat-penalty", "--repeat-last-n", "--presence-penalty",
                                        "--frequency-penalty", "--logit-bias", "--seed", "-s"};
    const char *a = argv[*i];
    size_t k = 0, n = sizeof flags / sizeof flags[0];
    while (k < n && strcmp(a, flags[k])) k++;
    if (k == n) return 0;
    const char *v = cli_value(argc, argv, i);
    if (!v) return -1;
    lf_sampler_params *p = &o->params;
    bool ok;
    if (!strcmp(a, "--temperature") || !strcmp(a, "--temp")) ok = cli_float(a, v, 0, 100, &p->temperature);
    else if (!strcmp(a, "--top-k")) ok = cli_int(a, v, 0, 1 << 24, &p->top_k);
    else if (!strcmp(a, "--top-p")) ok = cli_float(a, v, 1e-6, 1, &p->top_p);
    else if (!strcmp(a, "--min-p")) ok = cli_float(a, v, 0, 1, &p->min_p);
    else if (!strcmp(a, "--typical-p")) ok = cli_float(a, v, 0, 1, &p->typical_p);
    else if (!strcmp(a, "--repeat-penalty")) ok = cli_float(a, v, 0, 100, &p->repeat_penalty);
    else if (!strcmp(a, "--repeat-last-n")) ok = cli_int(a, v, -1, 1 << 24, &p->repeat_last_n);
    else if (!strcmp(a, "--presence-penalty")) ok = cli_float(a, v, -100, 100, &p->presence_penalty);
    else if (!strcmp(a, "--frequency-penalty")) ok = cli_float(a, v, -100, 100, &p->frequency_penalty);
    else if (!strcmp(a, "--logit-bias")) ok = add_logit_bias(a, v, o);
    else {
        unsigned long long s; /* --seed, -s */
        ok = cli_u64(a, v, &s);
        p->seed = s;
        o->seed_set = true;
    }
    return ok ? 1 : -1;
}

void cli_sampling_usage(FILE *out, const cli_sampling *o, const char *seed_default) {
    const lf_sampler_params *p = &o->params;
    fprintf(out,
            "  sampling, in this order (llama.cpp's): logit bias, penalties, top-k, typical-p,\n"
            "  top-p, min-p, temperature:\n"
            "  --logit-bias TOKEN+B    add B to the logit of token id TOKEN (TOKEN-B subtracts;\n"
            "                          TOKEN-inf bans it); repeat for more tokens\n"
            "  --repeat-penalty F      divide a positive logit (multiply a negative one) of the\n"
            "                          tokens seen in the last N by F (default %g; 0, 1 = off)\n"
            "  --repeat-last-n N       window of the penalties, prompt included (default %d;\n"
            "                          0 = off, -1 = everything)\n"
            "  --presence-penalty F    subtract F from the logit of tokens seen (default %g)\n"
            "  --frequency-penalty F   subtract F times their count (default %g)\n"
            "  --top-k K               keep the K most likely tokens (default %d, 0 = off)\n"
            "  --typical-p P           locally typical sampling mass (default %g; 0, 1 = off)\n"
            "  --top-p P               nucleus sampling mass (default %g = off)\n"
            "  --min-p P               keep tokens at least P times as likely as the most\n"
            "                          likely one (default %g = off)\n"
            "  --temperature T         0 = greedy: the most likely token left (default %g)\n"
            "  -s, --seed N            random seed for reproducible sampling (default: %s)\n",
            p->repeat_penalty, p->repeat_last_n, p->presence_penalty, p->frequency_penalty, p->top_k, p->typical_p,
            p->top_p, p->min_p, p->temperature, seed_default);
}
