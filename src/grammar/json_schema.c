/* JSON Schema → GBNF. Each schema becomes a rule s<N>; $ref targets get one rule each (so
 * recursive schemas work); the JSON building blocks (json-string, json-value, ...) follow
 * as fixed rules. Whitespace between tokens is bounded (json-ws), and so are the digits
 * of numbers, so that a model cannot wander off in padding forever. Objects list the
 * required properties first, then the optional ones, each in the order the schema gives
 * them. A keyword that would constrain a value but is not supported is refused; keywords
 * that only annotate (title, description, default, ...) are ignored. oneOf is taken as
 * anyOf (a value matching several branches is not excluded). */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "grammar/gbnf_writer.h"
#include "grammar/grammar.h"
#include "grammar/regex_gbnf.h"

#define MAX_DEPTH 64
#define MAX_PROPERTIES 200

static const char json_rules[] =
    "json-ws ::= | \" \" | \"\\n\" [ \\t]{0,20}\n"
    "json-char ::= [^\"\\\\\\x00-\\x1F\\x7F] | \"\\\\\" ([\"\\\\/bfnrt] | \"u\" [0-9a-fA-F]{4})\n"
    "json-string ::= \"\\\"\" json-char* \"\\\"\"\n"
    "json-integer ::= \"-\"? (\"0\" | [1-9] [0-9]{0,15})\n"
    "json-number ::= json-integer (\".\" [0-9]{1,16})? ([eE] [-+]? [0-9]{1,3})?\n"
    "json-boolean ::= \"true\" | \"false\"\n"
    "json-null ::= \"null\"\n"
    "json-value ::= json-object | json-array | json-string | json-number | json-boolean | json-null\n"
    "json-object ::= \"{\" json-ws (json-string json-ws \":\" json-ws json-value json-ws (\",\" json-ws json-string json-ws \":\" json-ws json-value json-ws)*)? \"}\"\n"
    "json-array ::= \"[\" json-ws (json-value json-ws (\",\" json-ws json-value json-ws)*)? \"]\"\n";

static const char *const annotation_keywords[] = {"title", "description", "$schema", "$id", "$comment", "default",
                                                  "examples", "deprecated", "readOnly", "writeOnly", "$defs",
                                                  "definitions"};
static const char *const supported_keywords[] = {"type", "properties", "required", "additionalProperties", "items",
                                                 "minItems", "maxItems", "enum", "const", "anyOf", "oneOf",
                                                 "minLength", "maxLength", "pattern", "$ref"};

typedef struct schema_ref {
    char *ref;
    int rule;
} schema_ref;

typedef struct converter {
    gbnf_writer rules;
    json_t *root;
    int n_rules;
    schema_ref *refs;
    size_t n_refs;
    int depth;
    lf_error *err;
} converter;

static bool in_list(const char *key, const char *const *list, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (!strcmp(key, list[i])) return true;
    return false;
}

static int check_keywords(converter *c, json_t *schema, const char *path) {
    const char *key;
    json_t *v;
    json_object_foreach(schema, key, v) {
        if (!in_list(key, annotation_keywords, sizeof annotation_keywords / sizeof *annotation_keywords) &&
            !in_list(key, supported_keywords, sizeof supported_keywords / sizeof *supported_keywords))
            return lf_fail(c->err, LF_ERR_UNSUPPORTED, "json schema: %s: keyword '%s' is not supported", path, key);
    }
    return LF_OK;
}

static int visit(converter *c, json_t *schema, const char *path, int *rule);

static void sub_path(char *out, size_t cap, const char *path, const char *a, const char *b) {
    snprintf(out, cap, "%s/%s%s%s", path, a, b ? "/" : "", b ? b : "");
}

static void write_json_literal(gbnf_writer *w, json_t *v) {
    char *s = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
    if (!s) {
        w->oom = true;
        return;
    }
    gw_literal(w, s, strlen(s));
    free(s);
}

static int get_count(converter *c, json_t *schema, const char *key, const char *path, uint32_t *out) {
    json_t *v = json_object_get(schema, key);
    if (!v) return 0;
    if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > GRAMMAR_MAX_REPEAT)
        return lf_fail(c->err, LF_ERR_ARG, "json schema: %s: '%s' must be an integer from 0 to %u", path, key,
                       GRAMMAR_MAX_REPEAT);
    *out = (uint32_t)json_integer_value(v);
    return 0;
}

/* {min,max} for a repetition; max UINT32_MAX when absent. */
static int get_bounds(converter *c, json_t *schema, const char *kmin, const char *kmax, const char *path, uint32_t *min,
                      uint32_t *max) {
    *min = 0, *max = UINT32_MAX;
    if (get_count(c, schema, kmin, path, min) || get_count(c, schema, kmax, path, max)) return -1;
    if (*max < *min) return lf_fail(c->err, LF_ERR_ARG, "json schema: %s: '%s' is above '%s'", path, kmin, kmax);
    return 0;
}

static void write_repeat(gbnf_writer *w, uint32_t min, uint32_t max) {
    if (max == UINT32_MAX) gw_printf(w, "{%u,}", min);
    else gw_printf(w, "{%u,%u}", min, max);
}

static int string_body(converter *c, json_t *schema, const char *path, gbnf_writer *w) {
    uint32_t min, max;
    json_t *pattern = json_object_get(schema, "pattern");
    if (get_bounds(c, schema, "minLength", "maxLength", path, &min, &max)) return -1;
    gw_printf(w, "\"\\\"\" ");
    if (pattern) {
        char where[300];
        sub_path(where, sizeof where, path, "pattern", NULL);
        if (!json_is_string(pattern)) return lf_fail(c->err, LF_ERR_ARG, "json schema: %s must be a string", where);
        if (min != 0 || max != UINT32_MAX)
            return lf_fail(c->err, LF_ERR_UNSUPPORTED, "json schema: %s: 'pattern' together with minLength/maxLength is not supported", path);
        char *text = strndup(json_string_value(pattern), json_string_length(pattern));
        if (!text) return lf_fail(c->err, LF_ERR_NOMEM, "out of memory");
        int rc = strlen(text) == json_string_length(pattern) ? regex_to_gbnf(text, where, w, c->err)
                                                             : lf_fail(c->err, LF_ERR_ARG, "json schema: %s holds a NUL character", where);
        free(text);
        if (rc) return rc;
    } else if (min == 0 && max == UINT32_MAX) gw_printf(w, "json-char*");
    else gw_printf(w, "json-char"), write_repeat(w, min, max);
    gw_printf(w, " \"\\\"\"");
    return 0;
}

static int array_body(converter *c, json_t *schema, const char *path, gbnf_writer *w) {
    uint32_t min, max;
    int item = -1;
    json_t *items = json_object_get(schema, "items");
    char p[300];
    sub_path(p, sizeof p, path, "items", NULL);
    if (get_bounds(c, schema, "minItems", "maxItems", path, &min, &max)) return -1;
    if (items && !json_is_object(items) && !json_is_boolean(items))
        return lf_fail(c->err, LF_ERR_UNSUPPORTED, "json schema: %s: only one schema for all items is supported", p);
    if (items && visit(c, items, p, &item)) return -1;
    char name[32];
    if (item < 0) snprintf(name, sizeof name, "json-value");
    else snprintf(name, sizeof name, "s%d", item);
    gw_printf(w, "\"[\" json-ws ");
    if (max == 0) {
        gw_printf(w, "\"]\"");
        return 0;
    }
    if (min == 0) gw_printf(w, "(");
    gw_printf(w, "%s json-ws (\",\" json-ws %s json-ws)", name, name);
    write_repeat(w, min ? min - 1 : 0, max == UINT32_MAX ? max : max - 1);
    gw_printf(w, min == 0 ? ")? \"]\"" : " \"]\"");
    return 0;
}

typedef struct kv_list {
    char **text;
    size_t n;
} kv_list;

static void kv_free(kv_list *l) {
    for (size_t i = 0; i < l->n; i++) free(l->text[i]);
    free(l->text);
}

static int kv_add(converter *c, kv_list *l, const char *key, json_t *value_schema, const char *path) {
    int rule = -1;
    if (value_schema && visit(c, value_schema, path, &rule)) return -1;
    gbnf_writer w = {0};
    if (key) {
        json_t *k = json_string(key);
        if (!k) return lf_fail(c->err, LF_ERR_NOMEM, "out of memory");
        write_json_literal(&w, k);
        json_decref(k);
    } else gw_printf(&w, "json-string");
    if (rule < 0) gw_printf(&w, " json-ws \":\" json-ws json-value json-ws");
    else gw_printf(&w, " json-ws \":\" json-ws s%d json-ws", rule);
    char **t = realloc(l->text, (l->n + 1) * sizeof *t);
    if (t) l->text = t;
    if (!t || w.oom) {
        gw_free(&w);
        return lf_fail(c->err, LF_ERR_NOMEM, "out of memory");
    }
    l->text[l->n++] = w.s;
    return 0;
}

static bool is_required(json_t *required, const char *name) {
    size_t i;
    json_t *r;
    json_array_foreach(required, i, r) if (!strcmp(json_string_value(r), name)) return true;
    return false;
}

static int object_body(converter *c, json_t *schema, const char *path, gbnf_writer *w) {
    json_t *props = json_object_get(schema, "properties"), *required = json_object_get(schema, "required");
    json_t *extra = json_object_get(schema, "additionalProperties");
    if (props && !json_is_object(props)) return lf_fail(c->err, LF_ERR_ARG, "json schema: %s/properties must be an object", path);
    if (required && !json_is_array(required)) return lf_fail(c->err, LF_ERR_ARG, "json schema: %s/required must be an array", path);
    if (extra && !json_is_object(extra) && !json_is_boolean(extra))
        return lf_fail(c->err, LF_ERR_ARG, "json schema: %s/additionalProperties must be a boolean or a schema", path);
    size_t i;
    json_t *r;
    json_array_foreach(required, i, r) if (!json_is_string(r)) return lf_fail(c->err, LF_ERR_ARG, "json schema: %s/required must hold strings", path);
    if (json_object_size(props) > MAX_PROPERTIES)
        return lf_fail(c->err, LF_ERR_UNSUPPORTED, "json schema: %s: more than %d properties", path, MAX_PROPERTIES);
    bool open = !json_is_false(extra);
    kv_list req = {0}, opt = {0}, more = {0};
    int rc = 0;
    /* required ones, in the order of properties, then those only named in required */
    const char *key;
    json_t *v;
    char p[300];
    json_object_foreach(props, key, v) {
        sub_path(p, sizeof p, path, "properties", key);
        if (!rc) rc = kv_add(c, is_required(required, key) ? &req : &opt, key, v, p);
    }
    json_array_foreach(required, i, r) {
        if (rc || json_object_get(props, json_string_value(r))) continue;
        if (!open) rc = lf_fail(c->err, LF_ERR_ARG, "json schema: %s: required property '%s' is not among the properties, and additionalProperties is false", path, json_string_value(r));
        else rc = kv_add(c, &req, json_string_value(r), json_is_object(extra) ? extra : NULL, path);
    }
    sub_path(p, sizeof p, path, "additionalProperties", NULL);
    if (!rc && open) rc = kv_add(c, &more, NULL, json_is_object(extra) ? extra : NULL, p);
    if (!rc) {
        gw_printf(w, "\"{\" json-ws ");
        if (req.n) {
            for (i = 0; i < req.n; i++) gw_printf(w, "%s%s ", i ? "\",\" json-ws " : "", req.text[i]);
            for (i = 0; i < opt.n; i++) gw_printf(w, "(\",\" json-ws %s)? ", opt.text[i]);
            if (more.n) gw_printf(w, "(\",\" json-ws %s)* ", more.text[0]);
        } else if (opt.n || more.n) {
            /* which property comes first decides where the commas go */
            gw_printf(w, "(");
            for (size_t first = 0; first < opt.n; first++) {
                gw_printf(w, "%s%s ", first ? "| " : "", opt.text[first]);
                for (i = first + 1; i < opt.n; i++) gw_printf(w, "(\",\" json-ws %s)? ", opt.text[i]);
                if (more.n) gw_printf(w, "(\",\" json-ws %s)* ", more.text[0]);
            }
            if (more.n) gw_printf(w, "%s%s (\",\" json-ws %s)* ", opt.n ? "| " : "", more.text[0], more.text[0]);
            gw_printf(w, ")? ");
        }
        gw_printf(w, "\"}\"");
    }
    kv_free(&req);
    kv_free(&opt);
    kv_free(&more);
    return rc;
}

static int type_body(converter *c, json_t *schema, const char *type, const char *path, gbnf_writer *w) {
    static const char *const simple[][2] = {{"number", "json-number"}, {"integer", "json-integer"},
                                            {"boolean", "json-boolean"}, {"null", "json-null"},
                                            {"json_object", "json-object"}};
    for (size_t i = 0; i < sizeof simple / sizeof *simple; i++)
        if (!strcmp(type, simple[i][0])) return gw_printf(w, "%s", simple[i][1]), 0;
    if (!strcmp(type, "string")) return string_body(c, schema, path, w);
    if (!strcmp(type, "array")) return array_body(c, schema, path, w);
    if (!strcmp(type, "object")) return object_body(c, schema, path, w);
    return lf_fail(c->err, LF_ERR_ARG, "json schema: %s/type: unknown type '%s'", path, type);
}

/* The rule of a $ref target, defined on first use (before its body, so it may recurse). */
static int ref_rule(converter *c, const char *ref, const char *path, int *rule) {
    for (size_t i = 0; i < c->n_refs; i++)
        if (!strcmp(c->refs[i].ref, ref)) return *rule = c->refs[i].rule, 0;
    json_t *target = NULL;
    if (!strcmp(ref, "#")) target = c->root;
    else if (!strncmp(ref, "#/$defs/", 8)) target = json_object_get(json_object_get(c->root, "$defs"), ref + 8);
    else if (!strncmp(ref, "#/definitions/", 14))
        target = json_object_get(json_object_get(c->root, "definitions"), ref + 14);
    else
        return lf_fail(c->err, LF_ERR_UNSUPPORTED,
                       "json schema: %s/$ref: only '#', '#/$defs/NAME' and '#/definitions/NAME' are supported, not '%s'",
                       path, ref);
    if (!target) return lf_fail(c->err, LF_ERR_ARG, "json schema: %s/$ref: '%s' is not defined", path, ref);
    schema_ref *refs = realloc(c->refs, (c->n_refs + 1) * sizeof *refs);
    if (!refs) return lf_fail(c->err, LF_ERR_NOMEM, "out of memory");
    c->refs = refs;
    if (!(refs[c->n_refs].ref = strdup(ref))) return lf_fail(c->err, LF_ERR_NOMEM, "out of memory");
    *rule = refs[c->n_refs++].rule = c->n_rules++;
    int defined = *rule;
    return visit(c, target, ref, &defined);
}

/* The alternatives of anyOf/oneOf/enum/type arrays. */
static int alternatives(converter *c, json_t *list, const char *kw, const char *path, gbnf_writer *w, json_t *schema) {
    if (!json_is_array(list) || !json_array_size(list))
        return lf_fail(c->err, LF_ERR_ARG, "json schema: %s/%s must be a non-empty array", path, kw);
    size_t i;
    json_t *v;
    char p[300], idx[24];
    gw_printf(w, "(");
    json_array_foreach(list, i, v) {
        int rule = -1, rc = 0;
        if (i) gw_printf(w, " | ");
        snprintf(idx, sizeof idx, "%zu", i);
        sub_path(p, sizeof p, path, kw, idx);
        if (!strcmp(kw, "enum")) write_json_literal(w, v);
        else if (!strcmp(kw, "type")) {
            if (!json_is_string(v)) return lf_fail(c->err, LF_ERR_ARG, "json schema: %s must be a string", p);
            rc = type_body(c, schema, json_string_value(v), path, w);
        } else if (!(rc = visit(c, v, p, &rule))) gw_printf(w, "s%d", rule);
        if (rc) return rc;
    }
    gw_printf(w, ")");
    return 0;
}

static int schema_body(converter *c, json_t *s, const char *path, gbnf_writer *w) {
    json_t *v;
    if (json_is_true(s)) return gw_printf(w, "json-value"), 0;
    if (json_is_false(s)) return lf_fail(c->err, LF_ERR_ARG, "json schema: %s is false: no value matches it", path);
    if (!json_is_object(s)) return lf_fail(c->err, LF_ERR_ARG, "json schema: %s must be an object or a boolean", path);
    if (check_keywords(c, s, path)) return -1;
    if ((v = json_object_get(s, "const"))) return write_json_literal(w, v), 0;
    if ((v = json_object_get(s, "enum"))) return alternatives(c, v, "enum", path, w, s);
    if ((v = json_object_get(s, "anyOf"))) return alternatives(c, v, "anyOf", path, w, s);
    if ((v = json_object_get(s, "oneOf"))) return alternatives(c, v, "oneOf", path, w, s);
    if ((v = json_object_get(s, "$ref"))) {
        if (!json_is_string(v)) return lf_fail(c->err, LF_ERR_ARG, "json schema: %s/$ref must be a string", path);
        int rule = -1, rc = ref_rule(c, json_string_value(v), path, &rule);
        if (!rc) gw_printf(w, "s%d", rule);
        return rc;
    }
    if ((v = json_object_get(s, "type"))) {
        if (json_is_array(v)) return alternatives(c, v, "type", path, w, s);
        if (!json_is_string(v)) return lf_fail(c->err, LF_ERR_ARG, "json schema: %s/type must be a string or an array", path);
        return type_body(c, s, json_string_value(v), path, w);
    }
    if (json_object_get(s, "properties") || json_object_get(s, "required") || json_object_get(s, "additionalProperties"))
        return object_body(c, s, path, w);
    if (json_object_get(s, "items") || json_object_get(s, "minItems") || json_object_get(s, "maxItems"))
        return array_body(c, s, path, w);
    if (json_object_get(s, "pattern") || json_object_get(s, "minLength") || json_object_get(s, "maxLength"))
        return string_body(c, s, path, w);
    return gw_printf(w, "json-value"), 0;
}

/* Writes the rule of schema s; *rule >= 0 on entry names the rule to define (a $ref's). */
static int visit(converter *c, json_t *s, const char *path, int *rule) {
    if (++c->depth > MAX_DEPTH) return lf_fail(c->err, LF_ERR_UNSUPPORTED, "json schema: %s: nested deeper than %d", path, MAX_DEPTH);
    gbnf_writer body = {0};
    int rc = schema_body(c, s, path, &body);
    c->depth--;
    if (!rc && *rule < 0) *rule = c->n_rules++;
    if (!rc) gw_printf(&c->rules, "s%d ::= %.*s\n", *rule, (int)body.n, body.s ? body.s : "");
    if (!rc && (body.oom || c->rules.oom)) rc = lf_fail(c->err, LF_ERR_NOMEM, "out of memory");
    gw_free(&body);
    return rc;
}

int lf_json_schema_to_gbnf(const char *json_text, char **gbnf, lf_error *err) {
    *gbnf = NULL;
    json_error_t jerr;
    json_t *root = json_loads(json_text, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &jerr);
    if (!root)
        return lf_fail(err, LF_ERR_ARG, "json schema: malformed JSON at line %d, column %d: %s", jerr.line, jerr.column, jerr.text);
    converter c = {.root = root, .err = err};
    int rule = -1, rc = visit(&c, root, "#", &rule);
    gbnf_writer out = {0};
    if (!rc) {
        gw_printf(&out, "root ::= s%d\n%.*s%s", rule, (int)c.rules.n, c.rules.s, json_rules);
        if (out.oom) rc = lf_fail(err, LF_ERR_NOMEM, "out of memory");
    }
    for (size_t i = 0; i < c.n_refs; i++) free(c.refs[i].ref);
    free(c.refs);
    gw_free(&c.rules);
    json_decref(root);
    if (rc) {
        gw_free(&out);
        return rc < 0 ? rc : LF_ERR_ARG;
    }
    *gbnf = out.s;
    return LF_OK;
}

int lf_grammar_from_json_schema(const char *json_text, lf_grammar **out, lf_error *err) {
    char *gbnf;
    *out = NULL;
    int rc = lf_json_schema_to_gbnf(json_text, &gbnf, err);
    if (rc) return rc;
    rc = lf_grammar_parse(gbnf, "root", out, err);
    free(gbnf);
    return rc;
}
