/*
 * fuzz_file_path.c - libFuzzer target for the file output's templates
 * (plugins/outputs/file/template.c; build it with that file, syslogfmt.c and format.c).
 *
 * Input: "<template>\n<app>\n<host>" (missing parts are empty). Checks, for any input:
 * - fixed path templates rendered with the input's app and host never leave their directory:
 *   the component count is that of the template, no component is empty, "." or "..", and no
 *   byte is a control character;
 * - the input's own template, when it compiles, renders as a path (shorter than FO_PATH_MAX, no
 *   crash) and as a line that ends with its only "\n" beyond those of its literal parts.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../plugins/outputs/file/template.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *sev(int s)
{
    return s == 6 ? "info" : NULL;
}

static void check_components(const char *p, size_t want)
{
    size_t comps = 0, start = 0;

    for (size_t i = 0;; i++) {
        if ((unsigned char)p[i] < 0x20 && p[i] != '\0') {
            abort();
        }
        if (p[i] != '/' && p[i] != '\0') {
            continue;
        }
        if (i == start || (i - start == 1 && p[start] == '.') ||
            (i - start == 2 && p[start] == '.' && p[start + 1] == '.')) {
            abort();
        }
        comps++;
        start = i + 1;
        if (p[i] == '\0') {
            break;
        }
    }
    if (comps != want) {
        abort();
    }
}

static void fixed_paths(const struct ls_record *r, const struct fo_render_ctx *c)
{
    static const struct {
        const char *tmpl;
        size_t comps;
    } cases[] = {{"base/${app}/${host}${app}.log", 3},
                 {"b/.${app}/${field.f}-%Y", 3},
                 {"${host}/${app}", 2}};
    char out[FO_PATH_MAX], err[256];

    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct fo_path p;
        if (fo_path_init(&p, cases[i].tmpl, 1, err, sizeof err) != 0 ||
            fo_path_render(&p, r, c, out, sizeof out) <= 0) {
            abort();
        }
        check_components(out, cases[i].comps);
        fo_path_release(&p);
    }
}

static size_t count_nl(const char *s, size_t n)
{
    size_t k = 0;

    for (size_t i = 0; i < n; i++) {
        k += s[i] == '\n';
    }
    return k;
}

static void own_template(const char *tmpl, const struct ls_record *r, const struct fo_render_ctx *c)
{
    struct fo_template t;
    struct fo_path p;
    struct ls_fmt_buf b = {0};
    char out[FO_PATH_MAX], err[256];
    size_t lit_nl = 0;

    if (fo_template_compile(&t, tmpl, err, sizeof err) != 0) {
        return;
    }
    for (size_t i = 0; i < t.nsegs; i++) {
        if (t.segs[i].var == FO_VAR_LITERAL) {
            lit_nl += count_nl(t.segs[i].text, t.segs[i].len);
        }
    }
    fo_template_line(&b, &t, r, c);
    if (b.len == 0 || b.data[b.len - 1] != '\n' || count_nl(b.data, b.len) != lit_nl + 1) {
        abort();
    }
    ls_fmt_buf_release(&b);
    fo_template_release(&t);
    if (fo_path_init(&p, tmpl, 0, err, sizeof err) != 0) {
        abort(); /* compiled as a line: compiles as a path */
    }
    int n = fo_path_render(&p, r, c, out, sizeof out);
    if (n >= 0 && (size_t)n != strlen(out)) {
        abort();
    }
    fo_path_release(&p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *s = (const char *)data, *end = s + size;
    const char *nl1 = memchr(s, '\n', size);
    const char *app = nl1 ? nl1 + 1 : end;
    const char *nl2 = memchr(app, '\n', (size_t)(end - app));
    const char *host = nl2 ? nl2 + 1 : end;
    char *tmpl = malloc((size_t)((nl1 ? nl1 : end) - s) + 1);
    struct ls_fmt_ctx fmt = {"in", "pipe", sev, NULL};
    struct ls_fmt_clock clk = {.utc = 1};
    struct fo_render_ctx c = {&fmt, "localhost", &clk, NULL};
    struct ls_record r;
    struct ls_field f;

    if (!tmpl) {
        return 0;
    }
    memcpy(tmpl, s, (size_t)((nl1 ? nl1 : end) - s));
    tmpl[(nl1 ? nl1 : end) - s] = '\0';
    memset(&r, 0, sizeof r);
    memset(&f, 0, sizeof f);
    r.severity = 6;
    r.facility = -1;
    r.time = r.received = (int64_t)size * 1000000007;
    r.app.ptr = app;
    r.app.len = (size_t)((nl2 ? nl2 : end) - app);
    r.host.ptr = host;
    r.host.len = (size_t)(end - host);
    r.message = r.app;
    r.raw.ptr = s;
    r.raw.len = size;
    f.key.ptr = "f";
    f.key.len = 1;
    f.type = LS_FIELD_STRING;
    f.v.s = r.host;
    r.fields = r.fields_tail = &f;
    r.nfields = 1;

    fixed_paths(&r, &c);
    own_template(tmpl, &r, &c);
    free(tmpl);
    return 0;
}
