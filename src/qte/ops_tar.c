/*
 * ops_tar.c - ustar over gzip (format in ops_tar.h).
 *
 * The writer streams: header, data in 64 KiB pieces, padding. The reader
 * reads one header block at a time, checks its checksum and name, and
 * copies the member's bytes into dir/name (parents created 0750), so an
 * archive never has to fit in memory.
 */
#include "qte/ops_tar.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "common/util.h"

struct qte_tar {
    gzFile gz;
};

/* v as width - 1 octal digits (zero-padded) and a NUL. */
static void octal(char *dst, size_t width, uint64_t v)
{
    dst[width - 1] = 0;
    for (size_t i = width - 1; i-- > 0; v >>= 3)
        dst[i] = (char)('0' + (v & 7));
}

static unsigned checksum(const unsigned char *h)
{
    unsigned sum = 0;
    for (int i = 0; i < 512; i++)
        sum += (i >= 148 && i < 156) ? ' ' : h[i];
    return sum;
}

static int header(qte_tar *t, const char *name, uint64_t size, int64_t mtime)
{
    unsigned char h[512] = {0};
    if (strlen(name) >= 100)
        return -ENAMETOOLONG;
    memcpy(h, name, strlen(name));
    octal((char *)h + 100, 8, 0640);
    octal((char *)h + 108, 8, 0);
    octal((char *)h + 116, 8, 0);
    octal((char *)h + 124, 12, size);
    octal((char *)h + 136, 12, (uint64_t)(mtime > 0 ? mtime : 0));
    h[156] = '0';
    memcpy(h + 257, "ustar", 6);
    memcpy(h + 263, "00", 2);
    octal((char *)h + 148, 7, checksum(h));
    h[155] = ' ';
    return gzwrite(t->gz, h, 512) == 512 ? 0 : -EIO;
}

static int pad(qte_tar *t, uint64_t size)
{
    static const unsigned char z[512];
    size_t n = (size_t)((512 - size % 512) % 512);
    return n == 0 || gzwrite(t->gz, z, (unsigned)n) == (int)n ? 0 : -EIO;
}

qte_tar *qte_tar_create(const char *path)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
    if (fd < 0)
        return NULL;
    qte_tar *t = calloc(1, sizeof(*t));
    t->gz = t ? gzdopen(fd, "wb6") : NULL;
    if (!t || !t->gz) {
        close(fd);
        free(t);
        errno = ENOMEM;
        return NULL;
    }
    return t;
}

int qte_tar_add(qte_tar *t, const char *name, const void *data, size_t n,
                int64_t mtime)
{
    int rc = header(t, name, n, mtime);
    if (rc == 0 && n && gzwrite(t->gz, data, (unsigned)n) != (int)n)
        rc = -EIO;
    return rc ? rc : pad(t, n);
}

int qte_tar_add_file(qte_tar *t, const char *name, const char *src)
{
    struct stat st;
    char buf[65536];
    uint64_t left;
    int fd = open(src, O_RDONLY | O_CLOEXEC);
    if (fd < 0 || fstat(fd, &st) != 0) {
        int e = errno;
        if (fd >= 0)
            close(fd);
        return -e;
    }
    left = (uint64_t)st.st_size;
    int rc = header(t, name, left, st.st_mtime);
    while (rc == 0 && left > 0) {
        ssize_t r = read(fd, buf, left < sizeof(buf) ? left : sizeof(buf));
        if (r <= 0)
            rc = r < 0 ? -errno : -EIO;
        else if (gzwrite(t->gz, buf, (unsigned)r) != (int)r)
            rc = -EIO;
        else
            left -= (uint64_t)r;
    }
    close(fd);
    return rc ? rc : pad(t, (uint64_t)st.st_size);
}

int qte_tar_close(qte_tar *t)
{
    static const unsigned char z[1024];
    int rc = gzwrite(t->gz, z, sizeof(z)) == (int)sizeof(z) ? 0 : -EIO;
    if (gzclose(t->gz) != Z_OK)
        rc = -EIO;
    free(t);
    return rc;
}

static bool name_safe(const char *n)
{
    return n[0] && n[0] != '/' && !strstr(n, "..");
}

static int mkparents(const char *dir, const char *name)
{
    char p[1024];
    if (snprintf(p, sizeof(p), "%s/%s", dir, name) >= (int)sizeof(p))
        return -ENAMETOOLONG;
    for (char *s = p + strlen(dir) + 1; *s; s++) {
        if (*s != '/')
            continue;
        *s = 0;
        if (mkdir(p, 0750) != 0 && errno != EEXIST)
            return -errno;
        *s = '/';
    }
    return 0;
}

/* Copy size bytes (plus padding) of the current member into dir/name. */
static int copy_member(gzFile gz, const char *dir, const char *name,
                       uint64_t size)
{
    char path[1024];
    char buf[65536];
    uint64_t left = size;
    int rc = mkparents(dir, name);
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    int fd = rc == 0
                 ? open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640)
                 : -1;
    if (fd < 0)
        return rc ? rc : -errno;
    while (rc == 0 && left > 0) {
        unsigned want = left < sizeof(buf) ? (unsigned)left : sizeof(buf);
        int r = gzread(gz, buf, want);
        if (r != (int)want)
            rc = -EIO;
        else
            rc = util_write_all(fd, buf, (size_t)r);
        left -= want;
    }
    if (close(fd) != 0 && rc == 0)
        rc = -errno;
    size_t padn = (size_t)((512 - size % 512) % 512);
    if (rc == 0 && padn && gzread(gz, buf, (unsigned)padn) != (int)padn)
        rc = -EIO;
    return rc;
}

int qte_tar_extract(const char *path, const char *dir, char *err, size_t errlen)
{
    gzFile gz = gzopen(path, "rb");
    unsigned char h[512];
    int n = 0;
    if (!gz) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno ? errno : EIO));
        return -EIO;
    }
    for (;;) {
        if (gzread(gz, h, 512) != 512) {
            snprintf(err, errlen, "%s: truncated archive", path);
            n = -EIO;
            break;
        }
        bool zero = true;
        for (int i = 0; i < 512 && zero; i++)
            zero = h[i] == 0;
        if (zero)
            break;
        char name[101];
        memcpy(name, h, 100);
        name[100] = 0;
        unsigned stored = (unsigned)strtoul((char *)h + 148, NULL, 8);
        uint64_t size = strtoull((char *)h + 124, NULL, 8);
        if (stored != checksum(h) || !name_safe(name) ||
            (h[156] != '0' && h[156] != 0 && h[156] != '5')) {
            snprintf(err, errlen, "%s: bad member header (%s)", path, name);
            n = -EINVAL;
            break;
        }
        if (h[156] == '5' && size == 0)
            continue; /* a directory entry (GNU tar adds them): parents
                         are created for the files anyway */
        int rc = copy_member(gz, dir, name, size);
        if (rc != 0) {
            snprintf(err, errlen, "%s: %s: %s", path, name, strerror(-rc));
            n = rc;
            break;
        }
        n++;
    }
    gzclose(gz);
    return n;
}
