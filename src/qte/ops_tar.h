/*
 * ops_tar.h - the smallest ustar writer and reader, gzip-compressed
 * (zlib), for backup archives: regular files only, names under 100 bytes,
 * no links, no directories (a reader creates the parents it needs).
 *
 * Header block (512 bytes, ustar): name 0/100, mode 100/8, uid 108/8,
 * gid 116/8, size 124/12 (octal), mtime 136/12 (octal), chksum 148/8,
 * typeflag 156/1 ('0'), magic 257/6 "ustar\0", version 263/2 "00"; the
 * data follows, padded to 512; two zero blocks end the archive. Example:
 * a 5-byte member "a.txt" is one header, one data block (5 bytes + 507
 * zeros). GNU tar reads these archives (`tar tzf`).
 */
#ifndef HK_QTE_OPS_TAR_H
#define HK_QTE_OPS_TAR_H

#include <stddef.h>
#include <stdint.h>

typedef struct qte_tar qte_tar;

/* Create path (0640). Returns a writer or NULL with errno set. */
qte_tar *qte_tar_create(const char *path);
/* Append member name with the n bytes at data. Returns 0 or -errno. */
int qte_tar_add(qte_tar *t, const char *name, const void *data, size_t n,
                int64_t mtime);
/* Append the file at src as member name. Returns 0 or -errno. */
int qte_tar_add_file(qte_tar *t, const char *name, const char *src);
/* Write the end blocks and close. Returns 0 or -errno; t is freed either
 * way. */
int qte_tar_close(qte_tar *t);

/*
 * Extract every member of the archive at path into dir (which exists).
 * Member names with "..", a leading '/', or a type other than a regular
 * file are refused. Returns the number of members (>= 0), or -errno with
 * a reason in err.
 */
int qte_tar_extract(const char *path, const char *dir, char *err,
                    size_t errlen);

#endif
