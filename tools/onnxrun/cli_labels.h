/*
 * cli_labels.h - class labels for the classify form: from a file, a
 * comma-separated list (model metadata), or ImageNet's built-in 1000.
 */
#ifndef ONNXRUN_CLI_LABELS_H
#define ONNXRUN_CLI_LABELS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "labels.h"

typedef struct cli_labels {
    size_t n;
    const char **names;  /* n labels; malloc'd array into `text` or static strings */
    char *text;          /* malloc'd backing store of a list, or NULL */
    or_labels file;      /* the labels of a file, or empty */
} cli_labels;

/* Each fills *l (release with cli_labels_free) and returns 0, or writes a
 * message into err and returns -1 with *l empty. */
int cli_labels_from_file(const char *path, cli_labels *l, char *err, size_t err_len);
int cli_labels_from_list(const char *list, cli_labels *l, char *err, size_t err_len);
int cli_labels_imagenet(cli_labels *l, char *err, size_t err_len);

/* Label k, or NULL if there is none. */
const char *cli_label(const cli_labels *l, int64_t k);
void cli_labels_free(cli_labels *l);

#endif /* ONNXRUN_CLI_LABELS_H */
