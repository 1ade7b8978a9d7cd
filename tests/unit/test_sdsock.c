/* test_sdsock.c - plugins/common/sdsock.c: adopting sockets passed the way systemd passes them
 * (fds from 3 on, LISTEN_FDS, LISTEN_PID), set up by the test itself before the first call. */
#define _GNU_SOURCE

#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <cmocka.h>

#include "../../plugins/common/sdsock.h"

enum { TCP4, UDP4, TCP6_ANY, TCP4_BOUND_ONLY, UNIX_STREAM, UNIX_DGRAM_ABSTRACT, NPASSED };

static int port[NPASSED];
static int have_v6;
static char dir[64], unix_path[128], abstract_name[64];

static int inet_socket(int family, int type, const char *addr, int do_listen, int *out_port)
{
    struct sockaddr_storage ss = {0};
    socklen_t sl;
    int fd = socket(family, type, 0);

    assert_true(fd >= 0);
    if (family == AF_INET) {
        struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
        sin->sin_family = AF_INET;
        inet_pton(AF_INET, addr, &sin->sin_addr);
        sl = sizeof *sin;
    } else {
        struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
        sin6->sin6_family = AF_INET6;
        inet_pton(AF_INET6, addr, &sin6->sin6_addr);
        sl = sizeof *sin6;
    }
    if (bind(fd, (struct sockaddr *)&ss, sl) < 0) {
        close(fd);
        return -1;
    }
    if (do_listen) {
        assert_int_equal(listen(fd, 4), 0);
    }
    sl = sizeof ss;
    assert_int_equal(getsockname(fd, (struct sockaddr *)&ss, &sl), 0);
    *out_port = ntohs(family == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port
                                        : ((struct sockaddr_in6 *)&ss)->sin6_port);
    return fd;
}

static int unix_socket(int type, const char *name, size_t len, int do_listen)
{
    struct sockaddr_un sun = {.sun_family = AF_UNIX};
    int fd = socket(AF_UNIX, type, 0);

    assert_true(fd >= 0);
    memcpy(sun.sun_path, name, len);
    assert_int_equal(bind(fd, (struct sockaddr *)&sun,
                          (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len)),
                     0);
    if (do_listen) {
        assert_int_equal(listen(fd, 4), 0);
    }
    return fd;
}

/* Make the sockets and put them at fds 3.. as systemd does, then set LISTEN_*. */
static void pass_sockets(void)
{
    int fds[NPASSED];
    char buf[32];

    fds[TCP4] = inet_socket(AF_INET, SOCK_STREAM, "127.0.0.1", 1, &port[TCP4]);
    fds[UDP4] = inet_socket(AF_INET, SOCK_DGRAM, "127.0.0.1", 0, &port[UDP4]);
    fds[TCP6_ANY] = inet_socket(AF_INET6, SOCK_STREAM, "::", 1, &port[TCP6_ANY]);
    have_v6 = fds[TCP6_ANY] >= 0;
    if (!have_v6) {
        fds[TCP6_ANY] = inet_socket(AF_INET, SOCK_STREAM, "0.0.0.0", 1, &port[TCP6_ANY]);
    }
    fds[TCP4_BOUND_ONLY] =
        inet_socket(AF_INET, SOCK_STREAM, "127.0.0.1", 0, &port[TCP4_BOUND_ONLY]);
    snprintf(dir, sizeof dir, "/tmp/test_sdsock.XXXXXX");
    assert_non_null(mkdtemp(dir));
    snprintf(unix_path, sizeof unix_path, "%s/stream.sock", dir);
    fds[UNIX_STREAM] = unix_socket(SOCK_STREAM, unix_path, strlen(unix_path), 1);
    snprintf(abstract_name, sizeof abstract_name, "@test_sdsock.%ld", (long)getpid());
    {
        char raw[64];
        size_t n = strlen(abstract_name);
        memcpy(raw, abstract_name, n);
        raw[0] = '\0';
        fds[UNIX_DGRAM_ABSTRACT] = unix_socket(SOCK_DGRAM, raw, n, 0);
    }
    /* move them out of the way, then to 3.. in order */
    for (int i = 0; i < NPASSED; i++) {
        int hi = fcntl(fds[i], F_DUPFD, 100);
        assert_true(hi >= 100);
        close(fds[i]);
        fds[i] = hi;
    }
    for (int i = 0; i < NPASSED; i++) {
        assert_int_equal(dup2(fds[i], 3 + i), 3 + i);
        close(fds[i]);
    }
    snprintf(buf, sizeof buf, "%d", NPASSED);
    setenv("LISTEN_FDS", buf, 1);
    snprintf(buf, sizeof buf, "%ld", (long)getpid());
    setenv("LISTEN_PID", buf, 1);
}

static int local_port(int fd)
{
    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;

    assert_int_equal(getsockname(fd, (struct sockaddr *)&ss, &sl), 0);
    return ntohs(ss.ss_family == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port
                                         : ((struct sockaddr_in6 *)&ss)->sin6_port);
}

/* The adopted fd is a new close-on-exec descriptor of the passed socket `which`. */
static void assert_adopted(int fd, int which)
{
    struct stat a, b;

    assert_true(fd >= 3 + NPASSED);
    assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
    assert_int_equal(fstat(fd, &a), 0);
    assert_int_equal(fstat(3 + which, &b), 0);
    assert_int_equal(a.st_ino, b.st_ino);
    close(fd);
}

static void assert_none(int fd)
{
    assert_int_equal(fd, -1);
    assert_int_equal(errno, ENOENT);
}

static void test_count_and_env_kept(void **unused)
{
    (void)unused;
    assert_int_equal(ls_sd_listen_fds(), NPASSED);
    assert_int_equal(ls_sd_listen_fds(), NPASSED);
    /* left for the other inputs */
    assert_non_null(getenv("LISTEN_FDS"));
    assert_non_null(getenv("LISTEN_PID"));
}

static void test_inet_exact_match(void **unused)
{
    int fd;

    (void)unused;
    fd = ls_sd_adopt_inet(SOCK_STREAM, "127.0.0.1", port[TCP4]);
    assert_int_equal(local_port(fd), port[TCP4]);
    assert_adopted(fd, TCP4);
    /* again: each adopter gets its own descriptor of the same socket */
    assert_adopted(ls_sd_adopt_inet(SOCK_STREAM, "127.0.0.1", port[TCP4]), TCP4);
    assert_adopted(ls_sd_adopt_inet(SOCK_DGRAM, "127.0.0.1", port[UDP4]), UDP4);
}

static void test_inet_mismatches(void **unused)
{
    (void)unused;
    assert_none(ls_sd_adopt_inet(SOCK_DGRAM, "127.0.0.1", port[TCP4]));  /* type */
    assert_none(ls_sd_adopt_inet(SOCK_STREAM, "127.0.0.1", port[UDP4])); /* type */
    assert_none(ls_sd_adopt_inet(SOCK_STREAM, "127.0.0.2", port[TCP4])); /* address */
    assert_none(ls_sd_adopt_inet(SOCK_STREAM, "0.0.0.0", port[TCP4]));   /* not the wildcard */
    assert_none(
        ls_sd_adopt_inet(SOCK_STREAM, "127.0.0.1", port[TCP4] == 65535 ? 1 : port[TCP4] + 1));
    /* bound but not listening: not a stream listener to adopt */
    assert_none(ls_sd_adopt_inet(SOCK_STREAM, "127.0.0.1", port[TCP4_BOUND_ONLY]));
    assert_none(ls_sd_adopt_inet(SOCK_STREAM, "127.0.0.1", 0));
    assert_none(ls_sd_adopt_inet(SOCK_STREAM, "127.0.0.1", 70000));
    assert_none(ls_sd_adopt_inet(SOCK_STREAM, "no such host name.invalid", port[TCP4]));
}

static void test_inet_wildcard_and_names(void **unused)
{
    (void)unused;
    assert_adopted(ls_sd_adopt_inet(SOCK_STREAM, NULL, port[TCP6_ANY]), TCP6_ANY);
    assert_adopted(ls_sd_adopt_inet(SOCK_STREAM, "", port[TCP6_ANY]), TCP6_ANY);
    assert_adopted(ls_sd_adopt_inet(SOCK_STREAM, "*", port[TCP6_ANY]), TCP6_ANY);
    if (have_v6) {
        assert_adopted(ls_sd_adopt_inet(SOCK_STREAM, "::", port[TCP6_ANY]), TCP6_ANY);
    }
    /* a name resolving to the bound address */
    assert_adopted(ls_sd_adopt_inet(SOCK_STREAM, "localhost", port[TCP4]), TCP4);
}

static void test_unix(void **unused)
{
    char other[160];

    (void)unused;
    assert_adopted(ls_sd_adopt_unix(SOCK_STREAM, unix_path), UNIX_STREAM);
    assert_none(ls_sd_adopt_unix(SOCK_DGRAM, unix_path));
    snprintf(other, sizeof other, "%s/other.sock", dir);
    assert_none(ls_sd_adopt_unix(SOCK_STREAM, other));
    assert_adopted(ls_sd_adopt_unix(SOCK_DGRAM, abstract_name), UNIX_DGRAM_ABSTRACT);
    assert_none(ls_sd_adopt_unix(SOCK_STREAM, abstract_name));
    assert_none(ls_sd_adopt_unix(SOCK_DGRAM, abstract_name + 1)); /* a path, not abstract */
    assert_none(ls_sd_adopt_unix(SOCK_DGRAM, ""));
    assert_none(ls_sd_adopt_unix(SOCK_DGRAM, NULL));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_count_and_env_kept),
        cmocka_unit_test(test_inet_exact_match),
        cmocka_unit_test(test_inet_mismatches),
        cmocka_unit_test(test_inet_wildcard_and_names),
        cmocka_unit_test(test_unix),
    };
    int rc;

    pass_sockets();
    rc = cmocka_run_group_tests(tests, NULL, NULL);
    unlink(unix_path);
    rmdir(dir);
    return rc;
}
