/*
 * envfile.c - parser for KEY=VALUE environment files.
 *
 * Lines are read with getline into one buffer reused for the whole file;
 * the line is edited in place (trim, unquote) before the callback runs.
 */
#include "common/envfile.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

int envfile_read(const char *path, envfile_cb cb, void *ud,
                 void (*bad_line)(int lineno, void *ud))
{
    FILE *f = fopen(path, "r");
    char *line = NULL;
    size_t cap = 0;
    int lineno = 0;
    int rc = 0;

    if (!f)
        return -errno;
    while (getline(&line, &cap, f) >= 0) {
        char *s = trim(line);
        char *eq;
        char *val;
        size_t vl;

        lineno++;
        if (*s == '\0' || *s == '#')
            continue;
        if (strncmp(s, "export ", 7) == 0)
            s = trim(s + 7);
        eq = strchr(s, '=');
        if (!eq) {
            if (bad_line)
                bad_line(lineno, ud);
            continue;
        }
        *eq = '\0';
        s = trim(s);
        val = trim(eq + 1);
        vl = strlen(val);
        if (vl >= 2 && (val[0] == '"' || val[0] == '\'') &&
            val[vl - 1] == val[0]) {
            val[vl - 1] = '\0';
            val++;
        }
        if (!valid_key(s)) {
            if (bad_line)
                bad_line(lineno, ud);
            continue;
        }
        rc = cb(s, val, ud);
        if (rc != 0)
            break;
    }
    if (rc == 0 && ferror(f))
        rc = -EIO;
    free(line);
    fclose(f);
    return rc;
}
