/*
 * sdsock.h - systemd socket activation for the inputs: find, among the sockets systemd passed
 * to the daemon (sd_listen_fds, fds SD_LISTEN_FDS_START ...), the one that matches an input's
 * configured address or path, so the input adopts it instead of binding its own.
 *
 * sd_listen_fds(0) is called once per process (thread-safe, on first use) and the LISTEN_*
 * environment is left in place, so every input instance can look; the passed sockets stay open
 * for the life of the process. An adopting input gets its own duplicate (close-on-exec) and
 * closes it as it would a socket it had bound: a reload that recreates the input adopts the
 * same socket again. Two inputs configured with the same address both get one.
 *
 * Matching (exact; no address is bound or connected by these functions):
 *   - inet: a socket of the same type (SOCK_STREAM / SOCK_DGRAM; stream sockets must be
 *     listening) bound to one of the addresses `host` resolves to, at `port`. host NULL, ""
 *     or "*" means the wildcard: a socket bound to 0.0.0.0:port or [::]:port.
 *   - unix: a socket of the same type bound to `path` ("@name" for the abstract namespace).
 *
 * No logging here: the caller logs "adopted socket from systemd for ..." with its instance.
 */
#ifndef LS_SDSOCK_H
#define LS_SDSOCK_H

/* How many sockets systemd passed to this process (0 when not socket-activated, or when
 * LISTEN_PID names another process). */
int ls_sd_listen_fds(void);

/* A duplicate of the passed inet socket matching (type, host, port), or -1: errno is ENOENT
 * when none matches (bind your own), another value when the duplicate cannot be made. The
 * caller owns the descriptor and closes it. */
int ls_sd_adopt_inet(int type, const char *host, int port);

/* A duplicate of the passed unix socket matching (type, path), or -1 (see above). */
int ls_sd_adopt_unix(int type, const char *path);

#endif /* LS_SDSOCK_H */
