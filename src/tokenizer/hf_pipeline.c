/* tokenizer.json's normalizer, pre_tokenizer, decoder and post_processor, matched against
 * the pipelines lf_tokenizer implements:
 *   byte-level:  [Split(GPT-2 or Llama 3 regex)] ByteLevel, or [Digits] ByteLevel (SmolLM2);
 *   SentencePiece-style: spaces replaced by "▁" (normalizer Replace, or Metaspace), with
 *                "▁" prepended (normalizer Prepend, or Metaspace's prepend_scheme). */
#include <string.h>

#include "core/error.h"
#include "format/json_file.h"
#include "tokenizer/load_hf.h"

static const char SPACE_MARK[] = "\xE2\x96\x81"; /* U+2581 */

static const struct {
    const char *regex;
    pretokenizer_kind kind;
} known_regexes[] = {
    {"'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+", PRETOK_GPT2},
    {"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|"
     "\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+",
     PRETOK_LLAMA3},
};

#define MAX_STEPS 8

/* A component, or the components of a Sequence, as a flat list. */
static int flatten(const json_t *node, const char *list_key, const char *part, const char *name,
                   const json_t **steps, int *n, lf_error *err) {
    *n = 0;
    if (!node) return LF_OK;
    const char *type = json_string_value(lf_json_member(node, "type"));
    if (!type) return lf_fail(err, LF_ERR_FORMAT, "%s: %s has no \"type\"", name, part);
    if (strcmp(type, "Sequence") != 0) {
        steps[(*n)++] = node;
        return LF_OK;
    }
    const json_t *list = lf_json_member(node, list_key);
    if (!json_is_array(list) || json_array_size(list) > MAX_STEPS)
        return lf_fail(err, LF_ERR_FORMAT, "%s: %s Sequence has no \"%s\" list (or more than %d)", name, part, list_key,
                       MAX_STEPS);
    for (size_t i = 0; i < json_array_size(list); i++) {
        const json_t *s = json_array_get(list, i);
        if (!json_is_string(lf_json_member(s, "type")))
            return lf_fail(err, LF_ERR_FORMAT, "%s: %s step %zu has no \"type\"", name, part, i);
        steps[(*n)++] = s;
    }
    return LF_OK;
}

static bool is_type(const json_t *step, const char *type) {
    return strcmp(json_string_value(lf_json_member(step, "type")), type) == 0;
}

static bool flag(const json_t *step, const char *key, bool fallback) {
    const json_t *v = lf_json_member(step, key);
    return json_is_boolean(v) ? json_is_true(v) : fallback;
}

static const char *string_of(const json_t *step, const char *key) {
    return json_string_value(lf_json_member(step, key));
}

/* A Replace step's pattern: {"String": s} or {"Regex": r}; only plain strings are used. */
static bool replaces(const json_t *step, const char *from, const char *to) {
    const char *pattern = string_of(lf_json_member(step, "pattern"), "String");
    const char *content = string_of(step, "content");
    return is_type(step, "Replace") && pattern && content && !strcmp(pattern, from) && !strcmp(content, to);
}

static int unsupported(const char *name, const char *part, const json_t *step, const char *why, lf_error *err) {
    return lf_fail(err, LF_ERR_UNSUPPORTED, "%s: %s %s %s", name, part,
                   step ? json_string_value(lf_json_member(step, "type")) : "", why);
}

static int byte_level(const json_t **pre, int n, const char *name, hf_pipeline *p, lf_error *err) {
    const json_t *bl = pre[n - 1];
    if (!is_type(bl, "ByteLevel")) return unsupported(name, "pre_tokenizer", bl, "after ByteLevel is not supported", err);
    if (flag(bl, "add_prefix_space", false))
        return unsupported(name, "pre_tokenizer", bl, "with add_prefix_space is not supported", err);
    bool regex = flag(bl, "use_regex", true);
    p->kind = TOKENIZER_BPE;
    if (n == 1 && regex) {
        p->pretok = PRETOK_GPT2;
        return LF_OK;
    }
    if (n == 2 && regex && is_type(pre[0], "Digits") && flag(pre[0], "individual_digits", false)) {
        p->pretok = PRETOK_SMOLLM;
        return LF_OK;
    }
    if (n == 2 && !regex && is_type(pre[0], "Split")) {
        const json_t *pattern = lf_json_member(pre[0], "pattern");
        const char *re = string_of(pattern, "Regex"), *behavior = string_of(pre[0], "behavior");
        if (!re || !behavior || strcmp(behavior, "Isolated") != 0 || flag(pre[0], "invert", false))
            return unsupported(name, "pre_tokenizer", pre[0], "other than an isolating regex is not supported", err);
        for (size_t i = 0; i < sizeof known_regexes / sizeof known_regexes[0]; i++)
            if (strcmp(re, known_regexes[i].regex) == 0) {
                p->pretok = known_regexes[i].kind;
                return LF_OK;
            }
        return lf_fail(err, LF_ERR_UNSUPPORTED,
                       "%s: pre_tokenizer regex '%.200s' is not supported (GPT-2's and Llama 3's are)", name, re);
    }
    return unsupported(name, "pre_tokenizer", pre[0],
                       "before ByteLevel is not one of the GPT-2, Llama 3 or SmolLM2 pipelines", err);
}

/* Spaces must become "▁" exactly once: by the normalizer, or by a Metaspace pre-tokenizer. */
static int sentencepiece_style(const json_t **norm, int n_norm, const json_t **pre, int n_pre, const char *name,
                               hf_pipeline *p, lf_error *err) {
    bool replaced = false;
    p->kind = TOKENIZER_SPM;
    p->add_space_prefix = false;
    for (int i = 0; i < n_norm; i++) {
        if (replaces(norm[i], " ", SPACE_MARK)) replaced = true;
        else if (is_type(norm[i], "Prepend") && string_of(norm[i], "prepend") &&
                 !strcmp(string_of(norm[i], "prepend"), SPACE_MARK))
            p->add_space_prefix = true;
        else return unsupported(name, "normalizer", norm[i], "is not supported", err);
    }
    if (n_pre > 1 || (n_pre == 1 && !is_type(pre[0], "Metaspace")))
        return unsupported(name, "pre_tokenizer", pre[n_pre - 1], "is not supported with a SentencePiece-style vocabulary",
                           err);
    if (n_pre == 1) {
        const char *rep = string_of(pre[0], "replacement"), *scheme = string_of(pre[0], "prepend_scheme");
        if (replaced || (rep && strcmp(rep, SPACE_MARK) != 0))
            return unsupported(name, "pre_tokenizer", pre[0], "must replace spaces by U+2581, once", err);
        /* Metaspace puts "▁" before each piece of text between special tokens ("always")
         * or only before the first ("first"), unless it starts with a space already. */
        p->add_space_prefix = scheme ? strcmp(scheme, "never") != 0 : flag(pre[0], "add_prefix_space", true);
        p->metaspace = true;
        p->first_only = scheme && strcmp(scheme, "first") == 0;
        replaced = true;
    }
    if (!replaced)
        return lf_fail(err, LF_ERR_UNSUPPORTED,
                       "%s: neither byte-level (ByteLevel pre-tokenizer) nor SentencePiece-style (spaces as U+2581)",
                       name);
    return LF_OK;
}

/* Decoding is lf_tokenizer's own; a decoder that would decode otherwise is only noted. */
static void check_decoder(const json_t *root, const char *name, const hf_pipeline *p) {
    const json_t *steps[MAX_STEPS];
    int n = 0;
    if (flatten(lf_json_member(root, "decoder"), "decoders", "decoder", name, steps, &n, NULL)) return;
    for (int i = 0; i < n; i++) {
        bool expected = p->kind == TOKENIZER_BPE
                            ? is_type(steps[i], "ByteLevel")
                            : is_type(steps[i], "ByteFallback") || is_type(steps[i], "Fuse") ||
                                  is_type(steps[i], "Strip") || is_type(steps[i], "Metaspace") ||
                                  replaces(steps[i], SPACE_MARK, " ");
        if (!expected)
            lf_log(LF_LOG_WARN, "%s: decoder %s is not applied", name, json_string_value(lf_json_member(steps[i], "type")));
    }
}

/* TemplateProcessing's "single" template: a leading special token is the BOS it adds. */
static void read_post_processor(const json_t *root, const char *name, hf_pipeline *p) {
    const json_t *steps[MAX_STEPS];
    int n = 0;
    p->template_bos = NULL;
    if (flatten(lf_json_member(root, "post_processor"), "processors", "post_processor", name, steps, &n, NULL)) return;
    for (int i = 0; i < n; i++) {
        const json_t *single = lf_json_member(steps[i], "single");
        if (!is_type(steps[i], "TemplateProcessing") || !json_is_array(single)) continue;
        for (size_t k = 0; k < json_array_size(single); k++) {
            const json_t *special = lf_json_member(json_array_get(single, k), "SpecialToken");
            if (special && k == 0) p->template_bos = string_of(special, "id");
            else if (special) lf_log(LF_LOG_WARN, "%s: the post-processor's trailing special token is not added", name);
        }
    }
}

int hf_pipeline_read(const json_t *root, const char *name, hf_pipeline *p, lf_error *err) {
    *p = (hf_pipeline){.kind = TOKENIZER_BPE, .pretok = PRETOK_GPT2};
    const json_t *norm[MAX_STEPS], *pre[MAX_STEPS];
    int n_norm, n_pre, rc;
    if ((rc = flatten(lf_json_member(root, "normalizer"), "normalizers", "normalizer", name, norm, &n_norm, err)) ||
        (rc = flatten(lf_json_member(root, "pre_tokenizer"), "pretokenizers", "pre_tokenizer", name, pre, &n_pre, err)))
        return rc;
    bool has_byte_level = false;
    for (int i = 0; i < n_pre; i++) has_byte_level |= is_type(pre[i], "ByteLevel");
    if (has_byte_level) {
        if (n_norm) return unsupported(name, "normalizer", norm[0], "is not supported with a byte-level vocabulary", err);
        rc = byte_level(pre, n_pre, name, p, err);
    } else {
        rc = sentencepiece_style(norm, n_norm, pre, n_pre, name, p, err);
    }
    if (rc) return rc;
    p->ignore_merges_wanted = flag(lf_json_member(root, "model"), "ignore_merges", false);
    check_decoder(root, name, p);
    read_post_processor(root, name, p);
    return LF_OK;
}
