/* llama-fast eval --task NAME: the multiple-choice tasks (a placeholder until they land). */
#include <stdio.h>

#include "cli/commands.h"
#include "cli/eval_options.h"
#include "frontend/print_escaped.h"

int cmd_eval_task(int argc, char **argv) {
    const char *task = cli_eval_task_name(argc, argv);
    print_escaped(stderr, "error: eval: --task %s is not available\n", task ? task : "");
    return 2;
}
