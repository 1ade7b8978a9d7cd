/*
 * sockfile.c - the `unix` input's socket file: safe replacement of a stale one, creation with
 * the configured mode and owner, removal at stop.
 *
 * Permissions without touching the process umask (other threads create files concurrently):
 * Linux creates the file with the mode of the socket's inode minus the umask, so the inode is
 * given the configured mode (fchmod) before bind, and the file gets exactly that mode (chmod)
 * right after. In between it is never more permissive than configured.
 *
 * A stale file (no process bound to it: connect() is refused) is unlinked and replaced; a
 * path a listener still serves, or a path that is not a socket, is left alone and start fails.
 * A path "@name" is a name in Linux's abstract namespace: no file at all.
 */
#define _GNU_SOURCE

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "unix.h"

static int fill_addr(struct sockaddr_un *sa, const char *path)
{
    memset(sa, 0, sizeof *sa);
    sa->sun_family = AF_UNIX;
    if (strlen(path) >= sizeof sa->sun_path) {
        return -1;
    }
    strcpy(sa->sun_path, path);
    return 0;
}

/* "@name": Linux's abstract namespace - no file, no permissions, gone with the socket. */
static int is_abstract(const char *path)
{
    return path[0] == '@';
}

static int bind_abstract(struct unix_state *st, int type)
{
    const char *path = st->conf->path;
    struct sockaddr_un sa;
    size_t len = strlen(path);
    int fd;

    fill_addr(&sa, path);
    sa.sun_path[0] = '\0';
    fd = socket(AF_UNIX, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        ls_log(st->ins, LS_LOG_ERROR, "socket %s: %s", path, strerror(errno));
        return -1;
    }
    if (bind(fd, (struct sockaddr *)&sa,
             (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len)) < 0) {
        ls_log(st->ins, LS_LOG_ERROR, "bind %s: %s", path, strerror(errno));
        close(fd);
        return -1;
    }
    return fd;
}

/* 0 when the path is free (absent, or a stale socket now removed); -1 after logging. */
static int clear_path(struct unix_state *st, int type)
{
    const char *path = st->conf->path;
    struct sockaddr_un sa;
    struct stat sb;
    int probe, rc, err;

    if (lstat(path, &sb) < 0) {
        if (errno == ENOENT) {
            return 0;
        }
        ls_log(st->ins, LS_LOG_ERROR, "socket %s: %s", path, strerror(errno));
        return -1;
    }
    if (!S_ISSOCK(sb.st_mode)) {
        ls_log(st->ins, LS_LOG_ERROR,
               "socket %s: the path exists and is not a socket; not "
               "replacing it",
               path);
        return -1;
    }
    fill_addr(&sa, path);
    probe = socket(AF_UNIX, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (probe < 0) {
        ls_log(st->ins, LS_LOG_ERROR, "socket %s: %s", path, strerror(errno));
        return -1;
    }
    rc = connect(probe, (struct sockaddr *)&sa, sizeof sa);
    err = errno;
    close(probe);
    if (rc == 0 || err == EAGAIN || err == EPROTOTYPE || err == EINPROGRESS) {
        /* EAGAIN: a stream listener with a full backlog; EPROTOTYPE: one of the other type */
        ls_log(st->ins, LS_LOG_ERROR, "socket %s: path held by a running listener", path);
        return -1;
    }
    if (err == ENOENT) {
        return 0; /* removed meanwhile */
    }
    if (err != ECONNREFUSED) {
        ls_log(st->ins, LS_LOG_ERROR, "socket %s: cannot tell whether it is in use: %s", path,
               strerror(err));
        return -1;
    }
    if (unlink(path) < 0 && errno != ENOENT) {
        ls_log(st->ins, LS_LOG_ERROR, "socket %s: removing the stale socket: %s", path,
               strerror(errno));
        return -1;
    }
    ls_log(st->ins, LS_LOG_INFO, "replaced stale socket %s", path);
    return 0;
}

/* Mode, owner and group of the new file; record its identity for unix_sockfile_remove(). */
static int finish_file(struct unix_state *st)
{
    const char *path = st->conf->path;
    struct stat sb;

    if (chmod(path, st->file_mode) < 0) {
        ls_log(st->ins, LS_LOG_ERROR, "socket %s: chmod %04o: %s", path, (unsigned)st->file_mode,
               strerror(errno));
        return -1;
    }
    if ((st->uid != (uid_t)-1 || st->gid != (gid_t)-1) && lchown(path, st->uid, st->gid) < 0) {
        ls_log(st->ins, LS_LOG_ERROR, "socket %s: chown %s:%s: %s", path,
               st->conf->owner ? st->conf->owner : "-", st->conf->group ? st->conf->group : "-",
               strerror(errno));
        return -1;
    }
    if (lstat(path, &sb) < 0) {
        ls_log(st->ins, LS_LOG_ERROR, "socket %s: %s", path, strerror(errno));
        return -1;
    }
    st->file.dev = sb.st_dev;
    st->file.ino = sb.st_ino;
    return 0;
}

int unix_sockfile_open(struct unix_state *st, int type)
{
    const char *path = st->conf->path;
    struct sockaddr_un sa;
    int fd;

    if (fill_addr(&sa, path) < 0) {
        ls_log(st->ins, LS_LOG_ERROR, "socket %s: path longer than %zu bytes", path,
               sizeof sa.sun_path - 1);
        return -1;
    }
    if (is_abstract(path)) {
        return bind_abstract(st, type);
    }
    if (clear_path(st, type) < 0) {
        return -1;
    }
    fd = socket(AF_UNIX, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        ls_log(st->ins, LS_LOG_ERROR, "socket %s: %s", path, strerror(errno));
        return -1;
    }
    /* The file is created with the inode's mode minus the umask: never wider than asked. */
    if (fchmod(fd, st->file_mode) < 0 || bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
        ls_log(st->ins, LS_LOG_ERROR, "bind %s: %s", path, strerror(errno));
        goto out_close;
    }
    st->file.created = 1;
    if (finish_file(st) < 0) {
        goto out_unlink;
    }
    return fd;

out_unlink:
    unlink(path);
    st->file.created = 0;
out_close:
    close(fd);
    return -1;
}

void unix_sockfile_remove(struct unix_state *st)
{
    const char *path = st->conf->path;
    struct stat sb;

    if (!st->file.created) {
        return;
    }
    st->file.created = 0;
    if (lstat(path, &sb) < 0) {
        return;
    }
    if (!S_ISSOCK(sb.st_mode) || sb.st_dev != st->file.dev || sb.st_ino != st->file.ino) {
        ls_log(st->ins, LS_LOG_WARN, "socket %s was replaced by someone else; not removing it",
               path);
        return;
    }
    if (unlink(path) < 0) {
        ls_log(st->ins, LS_LOG_WARN, "removing socket %s: %s", path, strerror(errno));
    }
}

/* "0666", "660", "0o640": 1 to 4 octal digits, at most 0777. */
static int parse_mode(const char *s, mode_t *out)
{
    unsigned long v = 0;
    size_t n = 0;

    if (s[0] == '0' && (s[1] == 'o' || s[1] == 'O')) {
        s += 2;
    }
    for (; s[n]; n++) {
        if (n >= 4 || s[n] < '0' || s[n] > '7') {
            return -1;
        }
        v = v * 8 + (unsigned long)(s[n] - '0');
    }
    if (n == 0 || v > 0777) {
        return -1;
    }
    *out = (mode_t)v;
    return 0;
}

/* A name or a number. */
static int resolve_id(const char *s, int user, unsigned long *out)
{
    char buf[4096];
    char *end;
    unsigned long v;

    errno = 0;
    v = strtoul(s, &end, 10);
    if (s[0] >= '0' && s[0] <= '9' && *end == '\0' && errno == 0 && v < 0xffffffffUL) {
        *out = v;
        return 0;
    }
    if (user) {
        struct passwd pw, *res = NULL;
        if (getpwnam_r(s, &pw, buf, sizeof buf, &res) != 0 || !res) {
            return -1;
        }
        *out = res->pw_uid;
    } else {
        struct group gr, *res = NULL;
        if (getgrnam_r(s, &gr, buf, sizeof buf, &res) != 0 || !res) {
            return -1;
        }
        *out = res->gr_gid;
    }
    return 0;
}

int unix_sockfile_conf(struct unix_state *st)
{
    const struct unix_conf *c = st->conf;
    struct sockaddr_un sa;
    unsigned long id;

    if (fill_addr(&sa, c->path) < 0) {
        ls_log(st->ins, LS_LOG_ERROR, "option 'path': longer than %zu bytes",
               sizeof sa.sun_path - 1);
        return LS_EINVAL;
    }
    if (parse_mode(c->socket_mode ? c->socket_mode : "0666", &st->file_mode) < 0) {
        ls_log(st->ins, LS_LOG_ERROR,
               "option 'socket_mode': expected octal permissions like "
               "\"0660\", got \"%s\"",
               c->socket_mode);
        return LS_EINVAL;
    }
    st->uid = (uid_t)-1;
    st->gid = (gid_t)-1;
    if (c->owner) {
        if (resolve_id(c->owner, 1, &id) < 0) {
            ls_log(st->ins, LS_LOG_ERROR, "option 'owner': no such user \"%s\"", c->owner);
            return LS_EINVAL;
        }
        st->uid = (uid_t)id;
    }
    if (c->group) {
        if (resolve_id(c->group, 0, &id) < 0) {
            ls_log(st->ins, LS_LOG_ERROR, "option 'group': no such group \"%s\"", c->group);
            return LS_EINVAL;
        }
        st->gid = (gid_t)id;
    }
    return LS_OK;
}
