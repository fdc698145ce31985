/* Subcommands of the llama-fast program; each lives in its own file and uses only the
 * public API (llamafast.h). Each returns the process exit status. */
#ifndef LF_CLI_COMMANDS_H
#define LF_CLI_COMMANDS_H

int cmd_generate(int argc, char **argv);
int cmd_chat(int argc, char **argv);
int cmd_bench(int argc, char **argv);
int cmd_info(int argc, char **argv);
int cmd_tokenize(int argc, char **argv);
int cmd_imatrix(int argc, char **argv);
int cmd_template(int argc, char **argv);
int cmd_server(int argc, char **argv);
int cmd_browser(int argc, char **argv);
int cmd_list(int argc, char **argv);
int cmd_download(int argc, char **argv);
/* `llama-fast download NAME` without printing the path: 0, or an exit status after an
 * error message. */
int cli_download(const char *name);
int cmd_where(int argc, char **argv);
int cmd_remove(int argc, char **argv);
int cmd_export(int argc, char **argv);
int cmd_quantize(int argc, char **argv);
int cmd_eval(int argc, char **argv);
/* eval --task NAME (a task other than wikitext): the multiple-choice tasks. */
int cmd_eval_task(int argc, char **argv);

#endif
