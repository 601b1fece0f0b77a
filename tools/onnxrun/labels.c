/*
 * labels.c - the built-in ImageNet labels (an array generated at build time
 * from data/imagenet_labels.txt by tools/embed_labels.cmake) and the reader
 * for user label files. See labels.h.
 */
#include "labels.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* generated: imagenet_labels.c in the build tree */
extern const char *const or_imagenet_labels_data[];
extern const int or_imagenet_labels_count;

const char *or_imagenet_label(int index)
{
    if (index < 0 || index >= or_imagenet_labels_count)
        return NULL;
    return or_imagenet_labels_data[index];
}

const char *or_labels_get(const or_labels *labels, int index)
{
    if (!labels)
        return or_imagenet_label(index);
    if (!labels->names || index < 0 || index >= labels->count)
        return NULL;
    return labels->names[index];
}

void or_labels_free(or_labels *labels)
{
    if (!labels)
        return;
    if (labels->names)
        for (int i = 0; i < labels->count; i++)
            free(labels->names[i]);
    free(labels->names);
    labels->names = NULL;
    labels->count = 0;
}

__attribute__((format(printf, 4, 5)))
static or_labels_status fail(char *err, size_t err_size, or_labels_status st, const char *fmt, ...)
{
    if (err && err_size) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, err_size, fmt, ap);
        va_end(ap);
    }
    return st;
}

/* Reads the whole file into a NUL-terminated malloc'd buffer. */
static or_labels_status read_file(const char *path, char **buf, size_t *len, char *err, size_t err_size)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return fail(err, err_size, OR_LABELS_E_IO, "%s: cannot open: %s", path, strerror(errno));
    size_t cap = 4096, n = 0;
    char *b = malloc(cap + 1);
    or_labels_status st = OR_LABELS_OK;
    while (b) {
        size_t got = fread(b + n, 1, cap - n, f);
        n += got;
        if (got == 0) {
            if (ferror(f))
                st = fail(err, err_size, OR_LABELS_E_IO, "%s: read error: %s", path, strerror(errno));
            break;
        }
        if (n == cap) {
            if (cap > OR_LABELS_MAX_FILE) {
                st = fail(err, err_size, OR_LABELS_E_FORMAT, "%s: file larger than %zu bytes", path,
                          OR_LABELS_MAX_FILE);
                break;
            }
            char *nb = realloc(b, cap * 2 + 1);
            if (!nb) {
                free(b);
                b = NULL;
                break;
            }
            b = nb;
            cap *= 2;
        }
    }
    fclose(f);
    if (!b)
        return fail(err, err_size, OR_LABELS_E_NOMEM, "%s: out of memory reading the file", path);
    if (!st && n > OR_LABELS_MAX_FILE)
        st = fail(err, err_size, OR_LABELS_E_FORMAT, "%s: file larger than %zu bytes", path,
                  OR_LABELS_MAX_FILE);
    if (st) {
        free(b);
        return st;
    }
    b[n] = '\0';
    *buf = b;
    *len = n;
    return OR_LABELS_OK;
}

static int is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r';
}

or_labels_status or_labels_load(const char *path, or_labels *out, char *err, size_t err_size)
{
    if (err && err_size)
        err[0] = '\0';
    if (out) {
        out->count = 0;
        out->names = NULL;
    }
    if (!path || !out)
        return fail(err, err_size, OR_LABELS_E_ARG, "or_labels_load: path or out is NULL");
    char *text = NULL;
    size_t len = 0;
    or_labels_status st = read_file(path, &text, &len, err, err_size);
    if (st)
        return st;
    const char *p = text, *end = text + len;
    if (len >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0)
        p += 3;
    /* count lines: each "\n" ends one; text after the last "\n" is one more */
    size_t lines = 0;
    for (const char *q = p; q < end; q++) {
        if (*q == '\0') {
            st = fail(err, err_size, OR_LABELS_E_FORMAT, "%s: line %zu: NUL byte", path, lines + 1);
            goto done;
        }
        lines += *q == '\n';
    }
    if (end > p && end[-1] != '\n')
        lines++;
    if (lines == 0) {
        st = fail(err, err_size, OR_LABELS_E_FORMAT, "%s: no labels", path);
        goto done;
    }
    /* lines <= 64 MiB < INT_MAX */
    out->names = calloc(lines, sizeof *out->names);
    if (!out->names) {
        st = fail(err, err_size, OR_LABELS_E_NOMEM, "%s: out of memory for %zu labels", path, lines);
        goto done;
    }
    for (size_t i = 0; i < lines; i++) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *e = nl ? nl : end, *s = p;
        while (s < e && is_blank(*s))
            s++;
        while (e > s && is_blank(e[-1]))
            e--;
        char *name = malloc((size_t)(e - s) + 1);
        if (!name) {
            st = fail(err, err_size, OR_LABELS_E_NOMEM, "%s: out of memory", path);
            goto done;
        }
        memcpy(name, s, (size_t)(e - s));
        name[e - s] = '\0';
        out->names[i] = name;
        out->count = (int)i + 1;
        p = nl ? nl + 1 : end;
    }
done:
    free(text);
    if (st)
        or_labels_free(out);
    return st;
}
