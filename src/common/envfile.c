/*
 * envfile.c - parser for KEY=VALUE environment files.
 *
 * envfile_slurp opens the file with O_NONBLOCK (so a FIFO cannot block the
 * open), checks with fstat that it is a regular file no larger than the
 * limit, and reads it into one heap buffer, never more than limit + 1
 * bytes (so a file growing underneath, or /dev/zero passed off as a file,
 * cannot grow memory). envfile_read_err then splits that buffer into lines
 * in place, edits each line (trim, unquote) and runs the callback. The
 * buffer is freed before returning; nothing is kept between calls.
 */
#include "common/envfile.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char *trim(char *s)
{
    char *e;

    while (*s && isspace((unsigned char)*s))
        s++;
    e = s + strlen(s);
    while (e > s && isspace((unsigned char)e[-1]))
        *--e = '\0';
    return s;
}

static int valid_key(const char *k)
{
    if (!*k || isdigit((unsigned char)*k))
        return 0;
    for (; *k; k++)
        if (!isalnum((unsigned char)*k) && *k != '_')
            return 0;
    return 1;
}

static void set_err(char *err, size_t errlen, const char *text)
{
    if (err && errlen)
        snprintf(err, errlen, "%s", text);
}

static const char *type_name(mode_t m)
{
    if (S_ISDIR(m))
        return "directory";
    if (S_ISFIFO(m))
        return "FIFO";
    if (S_ISCHR(m))
        return "character device";
    if (S_ISBLK(m))
        return "block device";
    if (S_ISSOCK(m))
        return "socket";
    return "special file";
}

/* Read at most max + 1 bytes of fd into a new buffer (NUL-terminated). */
static int read_bounded(int fd, size_t max, char **out, size_t *len)
{
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap + 1);

    if (!buf)
        return -ENOMEM;
    for (;;) {
        if (n == cap) {
            size_t nc = cap * 2 > max + 1 ? max + 1 : cap * 2;
            char *nb = nc > cap ? realloc(buf, nc + 1) : NULL;
            if (!nb) {
                free(buf);
                return nc > cap ? -ENOMEM : -EFBIG;
            }
            buf = nb;
            cap = nc;
        }
        ssize_t r = read(fd, buf + n, cap - n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            int e = errno;
            free(buf);
            return -e;
        }
        if (r == 0)
            break;
        n += (size_t)r;
    }
    if (n > max) {
        free(buf);
        return -EFBIG;
    }
    buf[n] = '\0';
    *out = buf;
    *len = n;
    return 0;
}

int envfile_slurp(const char *path, size_t max, char **out, size_t *len,
                  char *err, size_t errlen)
{
    struct stat st;
    char why[128];
    int fd, rc;

    *out = NULL;
    *len = 0;
    if (max > ENVFILE_MAX_BYTES)
        max = ENVFILE_MAX_BYTES;
    fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) {
        rc = -errno;
        set_err(err, errlen, strerror(-rc));
        return rc;
    }
    if (fstat(fd, &st) != 0) {
        rc = -errno;
        set_err(err, errlen, strerror(-rc));
        close(fd);
        return rc;
    }
    if (!S_ISREG(st.st_mode)) {
        snprintf(why, sizeof(why), "not a regular file (%s)",
                 type_name(st.st_mode));
        set_err(err, errlen, why);
        close(fd);
        return S_ISDIR(st.st_mode) ? -EISDIR : -EINVAL;
    }
    rc = st.st_size > (off_t)max ? -EFBIG : read_bounded(fd, max, out, len);
    close(fd);
    if (rc == -EFBIG) {
        snprintf(why, sizeof(why), "larger than %zu bytes", max);
        set_err(err, errlen, why);
    } else if (rc != 0) {
        set_err(err, errlen, strerror(-rc));
    }
    return rc;
}

/* Edit one line in place and deliver its pair. Returns the callback's
 * value, or 0 for a skipped line. */
static int one_line(char *line, int lineno, envfile_cb cb, void *ud,
                    void (*bad_line)(int lineno, void *ud))
{
    char *s = trim(line);
    char *eq;
    char *val;
    size_t vl;

    if (*s == '\0' || *s == '#')
        return 0;
    if (strncmp(s, "export ", 7) == 0)
        s = trim(s + 7);
    eq = strchr(s, '=');
    if (!eq) {
        if (bad_line)
            bad_line(lineno, ud);
        return 0;
    }
    *eq = '\0';
    s = trim(s);
    val = trim(eq + 1);
    vl = strlen(val);
    if (vl >= 2 && (val[0] == '"' || val[0] == '\'') && val[vl - 1] == val[0]) {
        val[vl - 1] = '\0';
        val++;
    }
    if (!valid_key(s)) {
        if (bad_line)
            bad_line(lineno, ud);
        return 0;
    }
    return cb(s, val, ud);
}

int envfile_read_err(const char *path, envfile_cb cb, void *ud,
                     void (*bad_line)(int lineno, void *ud), char *err,
                     size_t errlen)
{
    char *buf, *p, *end;
    size_t len;
    int lineno = 0;
    int rc = envfile_slurp(path, ENVFILE_MAX_BYTES, &buf, &len, err, errlen);

    if (rc != 0)
        return rc;
    end = buf + len;
    p = memchr(buf, '\0', len);
    if (p) {
        char why[64];
        for (char *q = buf; q < p; q++)
            lineno += *q == '\n';
        snprintf(why, sizeof(why), "NUL byte at line %d", lineno + 1);
        set_err(err, errlen, why);
        free(buf);
        return -EILSEQ;
    }
    for (p = buf; rc == 0 && p < end;) {
        char *nl = memchr(p, '\n', (size_t)(end - p));
        char *le = nl ? nl : end;

        lineno++;
        *le = '\0';
        rc = one_line(p, lineno, cb, ud, bad_line);
        p = le + 1;
    }
    free(buf);
    return rc;
}

int envfile_read(const char *path, envfile_cb cb, void *ud,
                 void (*bad_line)(int lineno, void *ud))
{
    return envfile_read_err(path, cb, ud, bad_line, NULL, 0);
}
