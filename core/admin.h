/*
 * admin.h - the admin HTTP server on the main thread's loop: /metrics (Prometheus text) and
 * /health (JSON). It reads the daemon's state through `struct ls_status`, which the main
 * thread owns and updates; all access happens on the main thread.
 */
#ifndef LS_ADMIN_H
#define LS_ADMIN_H

#include "runtime.h"

struct event_base;

struct ls_status {
    unsigned long generation;
    char *last_reload_error; /* NULL when the last reload succeeded (owned) */
    struct ls_runtime *rt;   /* current runtime (borrowed) */
};

struct ls_admin;

/* Listen on `addr` ("host:port"). Returns NULL after logging why. */
struct ls_admin *ls_admin_new(struct event_base *base, const char *addr, struct ls_status *st);
void ls_admin_free(struct ls_admin *a);

/* The /health body and status code, for tests and the server. Caller frees the body. */
char *ls_admin_health(const struct ls_status *st, int *code);

#endif /* LS_ADMIN_H */
