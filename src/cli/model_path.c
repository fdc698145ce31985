#include "cli/model_path.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SMOLLM2_FILE "SmolLM2-135M-Instruct.Q4_1.gguf"

const char *cli_resolve_model(const char *name_or_path, char *buf, size_t cap) {
    if (access(name_or_path, F_OK) == 0 || strcmp(name_or_path, "smollm2") != 0) return name_or_path;
    const char *home = getenv("LLAMA_FAST_HOME");
    char store[2048];
    if (home && *home) snprintf(store, sizeof store, "%s", home);
    else snprintf(store, sizeof store, "%s/.llama-fast", getenv("HOME") ? getenv("HOME") : ".");
    char candidates[2][2300];
    snprintf(candidates[0], sizeof candidates[0], "models/" SMOLLM2_FILE);
    snprintf(candidates[1], sizeof candidates[1], "%s/models/" SMOLLM2_FILE, store);
    for (int i = 0; i < 2; i++)
        if (access(candidates[i], R_OK) == 0 && strlen(candidates[i]) < cap) {
            memcpy(buf, candidates[i], strlen(candidates[i]) + 1);
            return buf;
        }
    return name_or_path;
}
