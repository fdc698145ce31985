/* llama-fast template MODEL --messages FILE.json [--add-generation-prompt] [--tools FILE.json]
 *                    [--template FILE.jinja]
 *                    [--bos TEXT --eos TEXT]
 * Prints the prompt a conversation becomes under the model's chat template, exactly
 * (nothing added, no trailing newline), so users can see what their model is fed. */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "cli/load.h"
#include "cli/read_file.h"
#include "frontend/print_escaped.h"
#include "llamafast.h"

static void usage(FILE *out) {
    fprintf(out,
            "usage: llama-fast template MODEL --messages FILE.json [--add-generation-prompt] [--tools FILE.json]\n"
            "                           [--template FILE.jinja] [--bos TEXT --eos TEXT]\n"
            "  MODEL                    a .gguf file or \"smollm2\" (its template, BOS and EOS)\n"
            "  --messages FILE.json     [{\"role\": \"user\", \"content\": \"...\"}, ...] or\n"
            "                           {\"messages\": [...], \"tools\": [...]}; messages may carry\n"
            "                           tool_calls, tool_call_id and name as OpenAI's API has them\n"
            "  --tools FILE.json        OpenAI's tools array, for the template's `tools`\n"
            "  --add-generation-prompt  end with the opening of the assistant's answer\n"
            "  --template FILE.jinja    use this Jinja chat template instead of the model's\n"
            "  --bos TEXT --eos TEXT    render with these BOS/EOS texts instead of the model's\n"
            "                           (to try another model's template; give both)\n"
            "Prints the rendered prompt exactly, without a trailing newline.\n");
}

/* Reads the conversation: a JSON array of {"role", "content"} objects, or an object
 * holding one under "messages". Prints the problem and returns NULL when it is not. */
static lf_chat_message *read_messages(const char *path, json_t **root_out, size_t *n_out) {
    json_error_t jerr;
    json_t *root = json_load_file(path, 0, &jerr);
    if (!root) {
        print_escaped(stderr, "template: %s: %s (line %d, column %d)\n", path, jerr.text, jerr.line, jerr.column);
        return NULL;
    }
    json_t *list = json_is_object(root) ? json_object_get(root, "messages") : root;
    if (!json_is_array(list)) {
        print_escaped(stderr, "template: %s: expected a JSON array of messages or an object with \"messages\"\n", path);
        json_decref(root);
        return NULL;
    }
    size_t n = json_array_size(list);
    lf_chat_message *msgs = calloc(n ? n : 1, sizeof *msgs);
    if (!msgs) {
        fprintf(stderr, "template: out of memory\n");
        json_decref(root);
        return NULL;
    }
    for (size_t i = 0; i < n; i++) {
        json_t *m = json_array_get(list, i);
        json_t *role = json_object_get(m, "role"), *content = json_object_get(m, "content");
        const char *problem = !json_is_object(m)                                  ? "is not an object"
                              : !json_is_string(role) || !*json_string_value(role) ? "has no \"role\" string"
                              : content && !json_is_string(content) && !json_is_null(content)
                                  ? "has a \"content\" that is not a string"
                                  : NULL;
        if (problem) {
            print_escaped(stderr, "template: %s: message %zu %s\n", path, i, problem);
            free(msgs);
            json_decref(root);
            return NULL;
        }
        msgs[i].role = json_string_value(role);
        msgs[i].content = json_is_string(content) ? json_string_value(content) : NULL;
        msgs[i].tool_call_id = json_string_value(json_object_get(m, "tool_call_id"));
        msgs[i].name = json_string_value(json_object_get(m, "name"));
        json_t *calls = json_object_get(m, "tool_calls");
        /* kept in the document, for it to free with the rest */
        if (calls && !json_is_null(calls)) {
            char *text = json_dumps(calls, JSON_COMPACT | JSON_ENCODE_ANY);
            json_t *held = text ? json_string(text) : NULL;
            free(text);
            if (!held || json_object_set_new(m, "tool_calls_text", held)) {
                fprintf(stderr, "template: out of memory\n");
                free(msgs);
                json_decref(root);
                return NULL;
            }
            msgs[i].tool_calls = json_string_value(held);
        }
    }
    *root_out = root;
    *n_out = n;
    return msgs;
}

/* The tools of --tools FILE, else the "tools" of the messages document, as JSON text
 * (malloc'd); NULL when there are none, or (with a message) when FILE does not parse. */
static char *read_tools(const char *path, json_t *messages_root) {
    json_t *tools = json_is_object(messages_root) ? json_object_get(messages_root, "tools") : NULL;
    json_error_t jerr;
    json_t *from_file = path ? json_load_file(path, 0, &jerr) : NULL;
    if (path && !from_file) {
        print_escaped(stderr, "template: %s: %s (line %d, column %d)\n", path, jerr.text, jerr.line, jerr.column);
        return NULL;
    }
    if (from_file) tools = from_file;
    char *text = tools && !json_is_null(tools) ? json_dumps(tools, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
    json_decref(from_file);
    return text;
}

/* The model's own rendering, or with --bos/--eos the given texts and the template from
 * --template or the model. */
static int render(const lf_model *model, const char *tmpl, const char *bos, const char *eos,
                  const lf_chat_message *msgs, size_t n, const char *tools, bool add_generation_prompt,
                  char **prompt, lf_error *err) {
    if (!bos) return lf_chat_apply_template_tools(model, tmpl, msgs, n, tools, add_generation_prompt, prompt, err);
    if (!tmpl) {
        lf_model_info info;
        lf_model_get_info(model, &info);
        tmpl = info.chat_template;
    }
    if (!tmpl) {
        snprintf(err->message, sizeof err->message, "the model has no chat template; give --template");
        return err->code = LF_ERR_ARG;
    }
    return lf_chat_template_render_tools(tmpl, msgs, n, tools, add_generation_prompt, bos, eos, prompt, err);
}

int cmd_template(int argc, char **argv) {
    const char *model_name = NULL, *messages_path = NULL, *template_path = NULL, *bos = NULL, *eos = NULL;
    const char *tools_path = NULL;
    bool add_generation_prompt = false;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            return 0;
        } else if (!strcmp(a, "--messages") && i + 1 < argc) {
            messages_path = argv[++i];
        } else if (!strcmp(a, "--tools") && i + 1 < argc) {
            tools_path = argv[++i];
        } else if (!strcmp(a, "--template") && i + 1 < argc) {
            template_path = argv[++i];
        } else if (!strcmp(a, "--bos") && i + 1 < argc) {
            bos = argv[++i];
        } else if (!strcmp(a, "--eos") && i + 1 < argc) {
            eos = argv[++i];
        } else if (!strcmp(a, "--add-generation-prompt")) {
            add_generation_prompt = true;
        } else if (a[0] != '-' && !model_name) {
            model_name = a;
        } else {
            print_escaped(stderr, "template: unexpected argument '%s'\n", a);
            usage(stderr);
            return 2;
        }
    }
    if (!model_name || !messages_path || !bos != !eos) {
        if (!bos != !eos) fprintf(stderr, "template: --bos and --eos go together\n");
        usage(stderr);
        return 2;
    }
    char *tmpl = NULL;
    if (template_path) {
        size_t len;
        tmpl = cli_read_file(template_path, &len);
        if (!tmpl) {
            print_escaped(stderr, "template: %s: %s\n", template_path, strerror(errno));
            return 1;
        }
        tmpl[len] = 0; /* cli_read_file leaves room for it */
        if (strlen(tmpl) != len) {
            print_escaped(stderr, "template: %s: contains a NUL byte\n", template_path);
            free(tmpl);
            return 1;
        }
    }
    json_t *root = NULL;
    size_t n = 0;
    lf_chat_message *msgs = read_messages(messages_path, &root, &n);
    char *tools = msgs ? read_tools(tools_path, root) : NULL;
    lf_model *model = msgs && (tools || !tools_path) ? cli_load_model(model_name, NULL) : NULL;
    int status = 1;
    if (model) {
        char *prompt = NULL;
        lf_error err = {0};
        if (render(model, tmpl, bos, eos, msgs, n, tools, add_generation_prompt, &prompt, &err) == LF_OK) {
            fwrite(prompt, 1, strlen(prompt), stdout);
            status = fflush(stdout) == 0 ? 0 : 1;
        } else {
            print_escaped(stderr, "template: %s%s%s\n", template_path ? template_path : "", template_path ? ": " : "",
                          err.message);
        }
        free(prompt);
        lf_model_free(model);
    }
    free(tools);
    free(msgs);
    json_decref(root);
    free(tmpl);
    return status;
}
