/*
 * env.c - ${ENV} expansion of configuration scalars: `${NAME}` and `${NAME:-default}` are
 * replaced, `$$` is a literal `$`, any other `$` stays. A reference that starts with a lowercase
 * letter (`${app}`, `${host}`) is left as it is: those name record fields in plugins' path and
 * message templates, so environment variables are the ones that start with an uppercase letter
 * or '_'. Pure apart from getenv(), so that it can be tested and fuzzed without a YAML file.
 */
#include <stdlib.h>
#include <string.h>

#include "conf_internal.h"
#include "confutil_internal.h"
#include "util.h"

#define ENV_NAME_MAX 255

static int env_name_ok(const char *s, size_t len)
{
    if (len == 0 || len > ENV_NAME_MAX || (s[0] >= '0' && s[0] <= '9')) {
        return 0;
    }
    for (size_t i = 0; i < len; i++) {
        char c = s[i];

        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_')) {
            return 0;
        }
    }
    return 1;
}

/* Expand one ${...} reference whose body is ref[0..len); append the value to out. */
static int expand_ref(struct ls_errors *errs, const struct ls_node *at, const char *path,
                      const char *ref, size_t len, struct ls_sbuf *out)
{
    const char *sep = NULL, *val;
    char name[ENV_NAME_MAX + 1], buf[LS_CLIP_SIZE];
    size_t nlen = len;

    for (size_t i = 0; i + 1 < len; i++) {
        if (ref[i] == ':' && ref[i + 1] == '-') {
            sep = ref + i;
            nlen = i;
            break;
        }
    }
    if (!env_name_ok(ref, nlen)) {
        ls_errors_add(errs, at, path,
                      "invalid environment variable reference '${%s}' (write $$ for a "
                      "literal $)",
                      ls_clip(buf, sizeof buf, ref, len));
        return -1;
    }
    memcpy(name, ref, nlen);
    name[nlen] = '\0';
    val = getenv(name);
    if (sep && (!val || !*val)) {
        ls_sbuf_add(out, sep + 2, len - nlen - 2);
        return 0;
    }
    if (!val) {
        ls_errors_add(errs, at, path, "environment variable '%s' is not set", name);
        return -1;
    }
    ls_sbuf_addstr(out, val);
    return 0;
}

int ls_env_expand(const char *s, size_t len, struct ls_sbuf *out, struct ls_errors *errs,
                  const struct ls_node *at, const char *path)
{
    size_t i = 0;
    int rc = 0;

    while (i < len) {
        const char *end;

        if (s[i] != '$' || i + 1 >= len || (s[i + 1] != '$' && s[i + 1] != '{')) {
            ls_sbuf_add(out, s + i, 1);
            i++;
            continue;
        }
        if (s[i + 1] == '$') {
            ls_sbuf_add(out, "$", 1);
            i += 2;
            continue;
        }
        end = memchr(s + i + 2, '}', len - i - 2);
        if (!end) {
            ls_errors_add(errs, at, path, "unterminated '${' (write $$ for a literal $)");
            rc = -1;
            break;
        }
        if (s[i + 2] >= 'a' && s[i + 2] <= 'z') {
            /* ${app}, ${host}, ...: a record field for a plugin's template, not ours */
            ls_sbuf_add(out, s + i, (size_t)(end - s) - i + 1);
        } else if (expand_ref(errs, at, path, s + i + 2, (size_t)(end - s) - i - 2, out) < 0) {
            rc = -1;
        }
        i = (size_t)(end - s) + 1;
    }
    return rc;
}
