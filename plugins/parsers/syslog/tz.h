/*
 * tz.h - time zones for the syslog parser: UTC offsets at any instant and local time -> UTC,
 * without libc's time zone functions, so lookups are thread-safe, do no I/O and never touch
 * the TZ environment variable.
 *
 * A zone is loaded once (ls_tz_load, at plugin init) from a TZif file (RFC 8536, the format of
 * /usr/share/zoneinfo) or from a POSIX TZ string ("CET-1CEST,M3.5.0,M10.5.0/3"). It becomes a
 * sorted table of transitions (UTC instant -> offset) plus, for instants after the last
 * transition, the POSIX rule of the file's footer, evaluated arithmetically. Lookups
 * (ls_tz_offset, ls_tz_local_to_utc) are pure: a binary search and integer arithmetic.
 *
 * Leap seconds are ignored: times are POSIX seconds, as everywhere else in LogStream.
 *
 * Memory: struct ls_tz is embedded by its user; ls_tz_load / ls_tz_from_* fill it (the
 * transition table is malloc()ed, bounded by the input's size) and ls_tz_release frees it. A
 * zeroed struct ls_tz is valid and means UTC. After loading it is read-only and may be shared
 * between threads.
 */
#ifndef LS_SYSLOG_TZ_H
#define LS_SYSLOG_TZ_H

#include <stddef.h>
#include <stdint.h>

/* One transition: from `at` (UTC seconds since the epoch) on, local = UTC + off seconds. */
struct ls_tz_trans {
    int64_t at;
    int32_t off;
};

/* When one DST boundary falls in a year: POSIX "Jn", "n" or "Mm.w.d", at `secs` local time. */
struct ls_tz_date {
    int kind;     /* 'J': day n 1..365, Feb 29 never counted; 'D': day n 0..365; 'M': m.w.d */
    int n;        /* J and D */
    int m, w, d;  /* M: month 1..12, week 1..5 (5 = last), weekday 0..6 (0 = Sunday) */
    int32_t secs; /* time of day of the change, local time in effect before it; may be < 0 or
                   * > 24h (POSIX.1-2017 allows -167h..167h) */
};

/* A POSIX TZ rule: standard offset, and optionally DST with its two yearly boundaries. */
struct ls_tz_rule {
    int32_t std_off; /* seconds east of UTC (POSIX writes west: "CET-1" is +3600) */
    int32_t dst_off;
    int has_dst;
    struct ls_tz_date start, end;
};

struct ls_tz {
    struct ls_tz_trans *trans; /* owned; NULL when n == 0 */
    size_t n;
    int32_t before_off; /* offset before the first transition (or always, with no rule) */
    int has_rule;       /* after the last transition (or always, when n == 0) use `rule` */
    struct ls_tz_rule rule;
    int fixed; /* 1: the offset is before_off at every instant (UTC, fixed offsets) */
};

/* Largest zone file ls_tz_load reads, and most transitions kept from one. */
#define LS_TZ_MAX_FILE  (256 * 1024)
#define LS_TZ_MAX_TRANS 20000

/* Load `spec` into tz (zeroed or released before):
 *   "UTC" (any case; also "Z")  -> UTC;
 *   "local"                     -> what libc's localtime() would use: the TZ environment
 *                                  variable when set (":Name", "Name", "/path" or a POSIX
 *                                  string; "" is UTC), else /etc/localtime, else UTC;
 *   an IANA name ("Europe/Berlin") -> the file under $TZDIR or /usr/share/zoneinfo;
 *   otherwise a POSIX TZ string ("EST5EDT,M3.2.0,M11.1.0", "<+0530>-5:30").
 * Returns 0, or -1 with a one-line reason in err (e.g. "unknown time zone
 * \"Europe/Berlni\": /usr/share/zoneinfo/Europe/Berlni: No such file or directory"). Reads files
 * (init only): not for per-record use. */
int ls_tz_load(struct ls_tz *tz, const char *spec, char *err, size_t errsize);

/* Pure parsers behind ls_tz_load: a TZif file's bytes; a POSIX TZ string of len bytes.
 * Return 0 or -1 (tz is then left released/zeroed). */
int ls_tz_from_tzif(struct ls_tz *tz, const unsigned char *buf, size_t len);
int ls_tz_from_posix(struct ls_tz *tz, const char *s, size_t len);

/* Free the table and zero tz (which then means UTC). */
void ls_tz_release(struct ls_tz *tz);

/* Seconds east of UTC in effect at UTC instant t. */
int32_t ls_tz_offset(const struct ls_tz *tz, int64_t t);

/* The UTC instant of local wall-clock time `local` (seconds since the epoch as if the local
 * time were UTC). Ambiguous times (the repeated hour when DST ends) give the earlier instant;
 * times in a gap (the hour skipped when DST starts) are read with the offset before the gap,
 * so 02:30 on a day Berlin jumps 02:00 -> 03:00 is 01:30 UTC (03:30 CEST). */
int64_t ls_tz_local_to_utc(const struct ls_tz *tz, int64_t local);

/* Proleptic Gregorian calendar arithmetic (valid for any year an int64 ns time can hold). */
int64_t ls_tz_days_from_civil(int64_t y, int m, int d);
void ls_tz_civil_from_days(int64_t days, int64_t *y, int *m, int *d);
int ls_tz_month_days(int64_t y, int m);

#endif /* LS_SYSLOG_TZ_H */
