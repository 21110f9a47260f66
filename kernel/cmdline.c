/*
 * The command line is cut once, at boot, into key and value strings in a
 * static copy (no heap yet), and each lookup scans them.  The scan runs
 * backwards, so the last word for a key wins: whoever appends to a
 * default line overrides it.
 */
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

int cmdline_get_u64(const char *key, uint64_t *out)
{
    const char *v = cmdline_get(key);
    if (!v)
        return -ENOENT;
    return parse_u64(v, out);
}

bool cmdline_list_next(const char **list, const char **item, size_t *len)
{
    const char *comma;

    if (!*list)
        return false;
    comma = strchr(*list, ',');
    *item = *list;
    *len = comma ? (size_t)(comma - *list) : strlen(*list);
    *list = comma ? comma + 1 : NULL;
    return true;
}

bool cmdline_list_contains(const char *list, const char *item)
{
    size_t n = strlen(item), len;
    const char *p;

    while (cmdline_list_next(&list, &p, &len))
        if (len == n && memcmp(p, item, n) == 0)
            return true;
    return false;
}
