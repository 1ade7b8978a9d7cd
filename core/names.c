/* names.c - syslog severity and facility names (RFC 5424 §6.2.1, with the usual aliases). */
#include <string.h>
#include <strings.h>

#include "logstream/plugin.h"

static const char *const sev_names[8] = {"emerg",   "alert",  "crit", "err",
                                         "warning", "notice", "info", "debug"};

static const char *const fac_names[24] = {
    "kern",   "user",   "mail",     "daemon", "auth",   "syslog",   "lpr",     "news",
    "uucp",   "cron",   "authpriv", "ftp",    "ntp",    "security", "console", "solaris-cron",
    "local0", "local1", "local2",   "local3", "local4", "local5",   "local6",  "local7"};

struct alias {
    const char *name;
    int value;
};

static const struct alias sev_aliases[] = {{"emergency", 0},     {"panic", 0}, {"critical", 2},
                                           {"error", 3},         {"warn", 4},  {"information", 6},
                                           {"informational", 6}, {NULL, 0}};

static int word_eq(const char *s, size_t len, const char *word)
{
    return strlen(word) == len && strncasecmp(s, word, len) == 0;
}

LS_EXPORT const char *ls_severity_name(int severity)
{
    if (severity < 0 || severity > 7) {
        return NULL;
    }
    return sev_names[severity];
}

LS_EXPORT const char *ls_facility_name(int facility)
{
    if (facility < 0 || facility > 23) {
        return NULL;
    }
    return fac_names[facility];
}

LS_EXPORT int ls_severity_parse(const char *s, size_t len)
{
    for (int i = 0; i < 8; i++) {
        if (word_eq(s, len, sev_names[i])) {
            return i;
        }
    }
    for (const struct alias *a = sev_aliases; a->name; a++) {
        if (word_eq(s, len, a->name)) {
            return a->value;
        }
    }
    return -1;
}

LS_EXPORT int ls_facility_parse(const char *s, size_t len)
{
    for (int i = 0; i < 24; i++) {
        if (word_eq(s, len, fac_names[i])) {
            return i;
        }
    }
    return -1;
}
