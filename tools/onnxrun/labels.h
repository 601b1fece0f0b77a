/*
 * labels.h - class names for the onnxrun command line: the 1000 ImageNet
 * classes built in (data/imagenet_labels.txt, torchvision's order, embedded
 * at build time), and user label files (--labels FILE).
 *
 * Use:
 *   or_labels user;  char err[512];
 *   if (path && or_labels_load(path, &user, err, sizeof err)) { puts(err); ... }
 *   const char *name = or_labels_get(path ? &user : NULL, class_index);  // NULL: no name
 *   or_labels_free(&user);
 *
 * Independent of image.h and of the onnxrun library. No global mutable
 * state: safe from any thread.
 */
#ifndef ONNXRUN_TOOLS_LABELS_H
#define ONNXRUN_TOOLS_LABELS_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#define OR_IMAGENET_CLASSES 1000           /* number of built-in labels */
#define OR_LABELS_MAX_FILE ((size_t)64 << 20)   /* label files above 64 MiB are refused */

/* The built-in ImageNet label of class `index` (0 .. 999), e.g. 0 ->
 * "tench", 281 -> "tabby cat"; NULL out of range. Static storage. */
const char *or_imagenet_label(int index);

typedef enum or_labels_status {
    OR_LABELS_OK = 0,
    OR_LABELS_E_ARG,     /* NULL path or out */
    OR_LABELS_E_IO,      /* cannot open or read the file */
    OR_LABELS_E_FORMAT,  /* no labels, a NUL byte, or the file is too large */
    OR_LABELS_E_NOMEM,
} or_labels_status;

/* A list of labels read from a file. */
typedef struct or_labels {
    int count;           /* number of labels, >= 1 after a successful load */
    char **names;        /* names[0 .. count): NUL-terminated, owned by the list */
} or_labels;

/* Reads a label file: line i (counting from 1) is the label of class i - 1.
 * Lines end with "\n" or "\r\n"; a final line without a newline counts, an
 * empty line at the very end (after the last newline) does not; spaces and
 * tabs at the ends of a line are trimmed; a line left empty gives an empty
 * label ""; a UTF-8 byte order mark at the start is skipped. Errors name
 * the file ("labels.txt: cannot open: No such file or directory",
 * "labels.txt: no labels", "labels.txt: line 3: NUL byte"); *out is then
 * empty. On success free with or_labels_free. */
or_labels_status or_labels_load(const char *path, or_labels *out, char *err, size_t err_size);

/* Frees the names and zeroes *labels. Accepts NULL and an empty list. */
void or_labels_free(or_labels *labels);

/* Label `index` of labels, or of the built-in ImageNet list if labels is
 * NULL; NULL if index is out of range. */
const char *or_labels_get(const or_labels *labels, int index);

#ifdef __cplusplus
}
#endif

#endif
