/* llama-fast eval: the multiple-choice tasks (cmd_eval_task.c). */
#include "cli/commands.h"

int cmd_eval(int argc, char **argv) { return cmd_eval_task(argc, argv); }
