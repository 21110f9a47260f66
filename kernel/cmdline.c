#include <errno.h>
#include <string.h>
#include <minnow/cmdline.h>
#include <minnow/parse.h>

static char buf[CMDLINE_MAX];
static const char *keys[CMDLINE_MAX_ARGS];
static const char *values[CMDLINE_MAX_ARGS];
static int nr_args;

int cmdline_init(const char *line)
{
    int rc = 0;
    char *p = buf;

    nr_args = 0;
    strncpy(buf, line ? line : "", sizeof(buf) - 1);
    buf[sizeof(buf) - 1] = '\0';

    for (;;) {
        while (*p == ' ' || *p == '\t' || *p == '\n')
            *p++ = '\0';
        if (!*p)
            break;
        if (nr_args == CMDLINE_MAX_ARGS) {
            rc = -E2BIG;
            break;
        }
        bool has_value = false;
        keys[nr_args] = p;
        values[nr_args] = "";
        for (; *p && *p != ' ' && *p != '\t' && *p != '\n'; p++) {
            if (*p == '=' && !has_value) {   /* the first '=' splits key and value */
                *p = '\0';
                values[nr_args] = p + 1;
                has_value = true;
            }
        }
        nr_args++;
    }
    return rc;
}

const char *cmdline_get(const char *key)
{
    for (int i = nr_args - 1; i >= 0; i--)
        if (strcmp(keys[i], key) == 0)
            return values[i];
    return NULL;
}

bool cmdline_has(const char *key)
{
    return cmdline_get(key) != NULL;
}

int cmdline_get_size(const char *key, uint64_t *out)
{
    const char *v = cmdline_get(key);
    if (!v)
        return -ENOENT;
    return parse_size(v, out);
}

bool cmdline_list_contains(const char *key, const char *item, bool allow_all)
{
    const char *v = cmdline_get(key);
    size_t n = strlen(item);

    if (!v)
        return false;
    while (*v) {
        const char *end = strchr(v, ',');
        size_t len = end ? (size_t)(end - v) : strlen(v);
        if ((len == n && strncmp(v, item, n) == 0) ||
            (allow_all && len == 3 && strncmp(v, "all", 3) == 0))
            return true;
        if (!end)
            break;
        v = end + 1;
    }
    return false;
}
