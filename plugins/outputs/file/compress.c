/* compress.c - gzip (zlib) and lz4 (frame format) file compression; see compress.h. */
#include "compress.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <lz4frame.h>
#include <zlib.h>

#define CHUNK (256u * 1024) /* bytes read per step */

const char *fo_compress_suffix(int type)
{
    switch (type) {
    case FO_COMPRESS_GZIP:
        return ".gz";
    case FO_COMPRESS_LZ4:
        return ".lz4";
    default:
        return "";
    }
}

static void *xmalloc(size_t n)
{
    void *p = malloc(n);

    if (!p) {
        fprintf(stderr, "logstream: file output: out of memory allocating %zu bytes\n", n);
        abort();
    }
    return p;
}

static int write_all(int fd, const void *buf, size_t len)
{
    const char *p = buf;

    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            return n < 0 ? -errno : -EIO;
        }
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

/* Read up to CHUNK bytes; returns the count (0 at the end) or -errno. */
static ssize_t read_chunk(int fd, unsigned char *buf)
{
    size_t got = 0;

    while (got < CHUNK) {
        ssize_t n = read(fd, buf + got, CHUNK - got);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            return -errno;
        }
        if (n == 0) {
            break;
        }
        got += (size_t)n;
    }
    return (ssize_t)got;
}

/* Called before each chunk: service the caller, then honour a stop request. */
static int step(const atomic_int *stop, void (*between)(void *), void *arg)
{
    if (between) {
        between(arg);
    }
    return stop && atomic_load(stop) ? -ECANCELED : 0;
}

/* ---- gzip -------------------------------------------------------------------------------- */

/* Deflate what z holds with `flush` and write the output; returns 0 or -errno. */
static int deflate_out(z_stream *z, int flush, unsigned char *out, int dst_fd)
{
    int zrc, rc;

    do {
        z->next_out = out;
        z->avail_out = CHUNK;
        zrc = deflate(z, flush);
        if (zrc == Z_STREAM_ERROR) {
            return -EIO;
        }
        rc = write_all(dst_fd, out, CHUNK - z->avail_out);
        if (rc < 0) {
            return rc;
        }
    } while (z->avail_out == 0);
    return flush == Z_FINISH && zrc != Z_STREAM_END ? -EIO : 0;
}

static int gzip_fd(int level, int src_fd, int dst_fd, const atomic_int *stop,
                   void (*between)(void *), void *arg)
{
    unsigned char *in = xmalloc(CHUNK), *out = xmalloc(CHUNK);
    z_stream z;
    int rc;

    memset(&z, 0, sizeof z);
    if (level < 1 || level > 9) {
        level = level < 1 ? 1 : 9;
    }
    if (deflateInit2(&z, level, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
        rc = -EIO;
        goto out_free;
    }
    for (;;) {
        ssize_t n;

        if ((rc = step(stop, between, arg)) < 0) {
            break;
        }
        n = read_chunk(src_fd, in);
        if (n < 0) {
            rc = (int)n;
            break;
        }
        z.next_in = in;
        z.avail_in = (uInt)n;
        rc = deflate_out(&z, n == 0 ? Z_FINISH : Z_NO_FLUSH, out, dst_fd);
        if (rc < 0 || n == 0) {
            break;
        }
    }
    deflateEnd(&z);
out_free:
    free(in);
    free(out);
    return rc;
}

/* ---- lz4 --------------------------------------------------------------------------------- */

static int lz4_fd(int level, int src_fd, int dst_fd, const atomic_int *stop,
                  void (*between)(void *), void *arg)
{
    LZ4F_preferences_t prefs;
    LZ4F_cctx *cctx = NULL;
    unsigned char *in = xmalloc(CHUNK), *out;
    size_t cap, n;
    int rc;

    memset(&prefs, 0, sizeof prefs);
    prefs.frameInfo.contentChecksumFlag = LZ4F_contentChecksumEnabled;
    prefs.frameInfo.blockSizeID = LZ4F_max256KB;
    prefs.compressionLevel = level < 0 ? 0 : level > 12 ? 12 : level;
    cap = LZ4F_compressBound(CHUNK, &prefs) + LZ4F_HEADER_SIZE_MAX;
    out = xmalloc(cap);
    if (LZ4F_isError(LZ4F_createCompressionContext(&cctx, LZ4F_VERSION))) {
        rc = -EIO;
        goto out_free;
    }
    n = LZ4F_compressBegin(cctx, out, cap, &prefs);
    if (LZ4F_isError(n)) {
        rc = -EIO;
        goto out_ctx;
    }
    rc = write_all(dst_fd, out, n);
    while (rc == 0) {
        ssize_t got;

        if ((rc = step(stop, between, arg)) < 0) {
            break;
        }
        got = read_chunk(src_fd, in);
        if (got < 0) {
            rc = (int)got;
            break;
        }
        n = got ? LZ4F_compressUpdate(cctx, out, cap, in, (size_t)got, NULL)
                : LZ4F_compressEnd(cctx, out, cap, NULL);
        if (LZ4F_isError(n)) {
            rc = -EIO;
            break;
        }
        rc = write_all(dst_fd, out, n);
        if (got == 0) {
            break;
        }
    }
out_ctx:
    LZ4F_freeCompressionContext(cctx);
out_free:
    free(in);
    free(out);
    return rc;
}

int fo_compress_fd(int type, int level, int src_fd, int dst_fd, const atomic_int *stop,
                   void (*between)(void *), void *arg)
{
    int rc;

    if (type == FO_COMPRESS_GZIP) {
        rc = gzip_fd(level, src_fd, dst_fd, stop, between, arg);
    } else if (type == FO_COMPRESS_LZ4) {
        rc = lz4_fd(level, src_fd, dst_fd, stop, between, arg);
    } else {
        return -EINVAL;
    }
    if (rc == 0 && fsync(dst_fd) < 0) {
        rc = -errno;
    }
    return rc;
}
