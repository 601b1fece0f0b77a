/*
 * cli_labels.c - where the classify form's class labels come from: a file
 * (--labels, one label per line, read by labels.h), a model's `labels`
 * metadata (a comma-separated list), or ImageNet's 1000 built-in labels
 * (labels.h). All three look the same to the classify form.
 */
#include <stdlib.h>
#include <string.h>

#include "cli_labels.h"
#include "labels.h"

/* Splits l->text in place at `sep` into l->names. */
static int split(cli_labels *l, char sep)
{
    size_t n = 1;
    for (const char *p = l->text; *p; p++) n += *p == sep;
    l->names = calloc(n, sizeof *l->names);
    if (!l->names) return -1;
    char *p = l->text;
    for (;;) {
        l->names[l->n++] = p;
        char *e = strchr(p, sep);
        if (!e) break;
        *e = 0;
        p = e + 1;
    }
    return 0;
}

int cli_labels_from_list(const char *list, cli_labels *l, char *err, size_t err_len)
{
    memset(l, 0, sizeof *l);
    l->text = strdup(list);
    if (!l->text || split(l, ',')) {
        cli_labels_free(l);
        snprintf(err, err_len, "out of memory");
        return -1;
    }
    return 0;
}

int cli_labels_from_file(const char *path, cli_labels *l, char *err, size_t err_len)
{
    memset(l, 0, sizeof *l);
    if (or_labels_load(path, &l->file, err, err_len)) return -1;
    l->names = calloc((size_t)l->file.count, sizeof *l->names);
    if (!l->names) {
        cli_labels_free(l);
        snprintf(err, err_len, "%s: out of memory", path);
        return -1;
    }
    for (int i = 0; i < l->file.count; i++) l->names[i] = l->file.names[i];
    l->n = (size_t)l->file.count;
    return 0;
}

int cli_labels_imagenet(cli_labels *l, char *err, size_t err_len)
{
    memset(l, 0, sizeof *l);
    l->names = calloc(OR_IMAGENET_CLASSES, sizeof *l->names);
    if (!l->names) {
        snprintf(err, err_len, "out of memory");
        return -1;
    }
    for (int i = 0; i < OR_IMAGENET_CLASSES; i++) l->names[i] = or_imagenet_label(i);
    l->n = OR_IMAGENET_CLASSES;
    return 0;
}

const char *cli_label(const cli_labels *l, int64_t k)
{
    return l && k >= 0 && (uint64_t)k < l->n ? l->names[k] : NULL;
}

void cli_labels_free(cli_labels *l)
{
    if (!l) return;
    free(l->names);
    free(l->text);
    or_labels_free(&l->file);
    memset(l, 0, sizeof *l);
}
