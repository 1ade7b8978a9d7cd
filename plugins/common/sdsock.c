/* sdsock.c - adopt sockets passed by systemd socket activation; see sdsock.h. */
#define _GNU_SOURCE

#include "sdsock.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <systemd/sd-daemon.h>

static pthread_once_t listen_once = PTHREAD_ONCE_INIT;
static int listen_count;

static void listen_init(void)
{
    int n = sd_listen_fds(0); /* keep LISTEN_* for the other inputs */

    listen_count = n > 0 ? n : 0;
}

int ls_sd_listen_fds(void)
{
    pthread_once(&listen_once, listen_init);
    return listen_count;
}

/* Stream sockets must be listening; for datagram sockets the question does not arise. */
static int want_listening(int type)
{
    return type == SOCK_STREAM ? 1 : -1;
}

static int adopt(int fd)
{
    return fcntl(fd, F_DUPFD_CLOEXEC, 0);
}

static int none(void)
{
    errno = ENOENT;
    return -1;
}

static int match_inet(int type, const struct addrinfo *res)
{
    int n = ls_sd_listen_fds();

    for (int fd = SD_LISTEN_FDS_START; fd < SD_LISTEN_FDS_START + n; fd++) {
        for (const struct addrinfo *ai = res; ai; ai = ai->ai_next) {
            if (sd_is_socket_sockaddr(fd, type, ai->ai_addr, (unsigned)ai->ai_addrlen,
                                      want_listening(type)) > 0) {
                return fd;
            }
        }
    }
    return -1;
}

int ls_sd_adopt_inet(int type, const char *host, int port)
{
    struct addrinfo hints = {.ai_socktype = type, .ai_flags = AI_PASSIVE | AI_NUMERICSERV};
    struct addrinfo *res = NULL;
    char service[16];
    int fd;

    if (ls_sd_listen_fds() == 0 || port <= 0 || port > 65535) {
        return none();
    }
    if (host && (host[0] == '\0' || strcmp(host, "*") == 0)) {
        host = NULL;
    }
    snprintf(service, sizeof service, "%d", port);
    if (getaddrinfo(host, service, &hints, &res) != 0) {
        return none();
    }
    fd = match_inet(type, res);
    freeaddrinfo(res);
    return fd < 0 ? none() : adopt(fd);
}

int ls_sd_adopt_unix(int type, const char *path)
{
    char name[sizeof(((struct sockaddr_un *)0)->sun_path)];
    size_t len;
    int n = ls_sd_listen_fds();

    if (n == 0 || !path || path[0] == '\0') {
        return none();
    }
    len = strlen(path);
    if (len >= sizeof name) {
        return none();
    }
    memcpy(name, path, len + 1);
    if (name[0] == '@') {
        name[0] = '\0'; /* abstract namespace: the length says where the name ends */
    }
    for (int fd = SD_LISTEN_FDS_START; fd < SD_LISTEN_FDS_START + n; fd++) {
        if (sd_is_socket_unix(fd, type, want_listening(type), name, len) > 0) {
            return adopt(fd);
        }
    }
    return none();
}
