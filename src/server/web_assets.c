/* Looks up the page's files in the table the build generates (server/web_assets.h). */
#include "server/web_assets.h"

#include <string.h>

const web_asset *web_asset_find(const char *path) {
    for (size_t i = 0; i < web_assets_count; i++)
        if (!strcmp(path, web_assets[i].path)) return &web_assets[i];
    return NULL;
}
