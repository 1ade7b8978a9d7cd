/*
 * compress.h - stream one file into a gzip or lz4 file. No host calls: the worker (worker.c)
 * opens, renames and logs; this only moves bytes, so it is unit-tested on its own.
 *
 * gzip is zlib's deflate with windowBits 31 (a gzip member `gzip -t` accepts); lz4 is the LZ4
 * frame format with the content checksum (`lz4 -t` verifies it).
 */
#ifndef LS_FILE_COMPRESS_H
#define LS_FILE_COMPRESS_H

#include <stdatomic.h>

#include "rotate.h"

/* ".gz", ".lz4", or "" for FO_COMPRESS_NONE. */
const char *fo_compress_suffix(int type);

/* Compress everything read from src_fd (to its end) into dst_fd, then fsync(dst_fd). `level`:
 * gzip 1..9, lz4 0..12 (0: the fast default); out-of-range levels are clamped. Before each
 * chunk of input it calls between(arg) when given, and stops with -ECANCELED once *stop is
 * non-zero. Returns 0, or a negative errno (-EIO for a codec failure). dst_fd is left as
 * written so far on failure: the caller removes it. */
int fo_compress_fd(int type, int level, int src_fd, int dst_fd, const atomic_int *stop,
                   void (*between)(void *), void *arg);

#endif /* LS_FILE_COMPRESS_H */
