/*
 * external.c - tensor data stored outside the model file (TensorProto
 * data_location = EXTERNAL, external_data keys "location", "offset",
 * "length"). The file must lie inside the model's folder: absolute paths,
 * ".." components and symlinks that resolve elsewhere are refused, and
 * offset/length are checked against the file's size. The file is mapped
 * once per model (or_ld_map; many tensors share one file) and the tensor is
 * a view into it when its offset is aligned for the dtype, a copy if not.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

/* Strict unsigned decimal; false on anything else or overflow. */
static bool parse_u64(const char *s, uint64_t *out)
{
    uint64_t v = 0;
    if (!s || !*s) return false;
    for (; *s; s++) {
        if (*s < '0' || *s > '9') return false;
        if (!or_mul_ok(v, 10, &v) || !or_add_ok(v, (uint64_t)(*s - '0'), &v)) return false;
    }
    *out = v;
    return true;
}

/* Whether a relative path has a ".." component ('/' or '\\' separated). */
static bool has_dotdot(const char *p)
{
    for (const char *c = p; *c;) {
        size_t n = strcspn(c, "/\\");
        if (n == 2 && c[0] == '.' && c[1] == '.') return true;
        c += n;
        if (*c) c++;
    }
    return false;
}

/* See internal.h. Refusals (absolute path, "..", symlink escape, bad
 * offset/length) -> ONNXRUN_E_INVALID, missing file -> ONNXRUN_E_IO, a
 * model loaded from a buffer -> ONNXRUN_E_UNSUPPORTED. */
or_status or_ld_external(or_ld *ld, const Onnx__TensorProto *tp, const char *what, uint64_t want,
                         or_tensor *t, bool *mapped)
{
    const char *loc = NULL;
    uint64_t offset = 0, length = 0;
    bool has_length = false;
    t->data = NULL;
    *mapped = false;
    for (size_t i = 0; i < tp->n_external_data; i++) {
        const Onnx__StringStringEntryProto *e = tp->external_data[i];
        const char *k = e->key ? e->key : "", *v = e->value ? e->value : "";
        if (!strcmp(k, "location")) {
            loc = v;
        } else if (!strcmp(k, "offset")) {
            if (!parse_u64(v, &offset))
                return or_ld_fail(ld, ONNXRUN_E_INVALID, "%s: external data offset is not a number", what);
        } else if (!strcmp(k, "length")) {
            if (!parse_u64(v, &length))
                return or_ld_fail(ld, ONNXRUN_E_INVALID, "%s: external data length is not a number", what);
            has_length = true;
        } /* "checksum" and unknown keys are ignored */
    }
    if (!loc || !*loc) return or_ld_fail(ld, ONNXRUN_E_INVALID, "%s: external data has no location", what);
    or_status st = or_ld_utf8(ld, loc, what, "external data location");
    if (st) return st;
    if (loc[0] == '/' || loc[0] == '\\')
        return or_ld_fail(ld, ONNXRUN_E_INVALID, "%s: external data location '%s' is an absolute path (refused)",
                          what, loc);
    if (has_dotdot(loc))
        return or_ld_fail(ld, ONNXRUN_E_INVALID,
                          "%s: external data location '%s' contains '..' (refused: it must stay in the model's folder)",
                          what, loc);
    if (!ld->dir || !ld->m)
        return or_ld_fail(ld, ONNXRUN_E_UNSUPPORTED,
                          "%s: external data '%s' cannot be read for a model loaded from a buffer", what, loc);
    if (has_length && length != want)
        return or_ld_fail(ld, ONNXRUN_E_INVALID, "%s: external data length %llu but the dims need %llu bytes",
                          what, (unsigned long long)length, (unsigned long long)want);

    /* resolve both paths and require the file to be below the folder */
    char rdir[PATH_MAX], rfile[PATH_MAX];
    size_t dl = strlen(ld->dir), ll = strlen(loc);
    if (dl + ll + 2 > PATH_MAX)
        return or_ld_fail(ld, ONNXRUN_E_INVALID, "%s: external data path '%s' is too long", what, loc);
    char *joined = or_ld_malloc(dl + ll + 2);
    if (!joined) return or_ld_fail(ld, ONNXRUN_E_NOMEM, "out of memory");
    sprintf(joined, "%s/%s", ld->dir, loc);
    if (!realpath(ld->dir, rdir)) {
        st = or_ld_fail(ld, ONNXRUN_E_IO, "%s: cannot resolve the model's folder '%s': %s", what, ld->dir,
                        strerror(errno));
    } else if (!realpath(joined, rfile)) {
        st = or_ld_fail(ld, ONNXRUN_E_IO, "%s: cannot open external data file '%s': %s", what, joined,
                        strerror(errno));
    } else {
        size_t rl = strlen(rdir);
        bool inside = !strcmp(rdir, "/") ? true
                    : !strncmp(rfile, rdir, rl) && rfile[rl] == '/';
        if (!inside)
            st = or_ld_fail(ld, ONNXRUN_E_INVALID,
                            "%s: external data location '%s' resolves outside the model's folder (refused)",
                            what, loc);
    }
    free(joined);
    if (st) return st;

    int fd = open(rfile, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return or_ld_fail(ld, ONNXRUN_E_IO, "%s: cannot open external data file '%s': %s", what, rfile,
                          strerror(errno));
    struct stat sb;
    uint64_t end;
    const uint8_t *base = NULL;
    if (fstat(fd, &sb) < 0) {
        st = or_ld_fail(ld, ONNXRUN_E_IO, "%s: cannot stat '%s': %s", what, rfile, strerror(errno));
    } else if (!S_ISREG(sb.st_mode)) {
        st = or_ld_fail(ld, ONNXRUN_E_INVALID, "%s: external data '%s' is not a regular file", what, loc);
    } else if (!or_add_ok(offset, want, &end) || end > (uint64_t)sb.st_size) {
        st = or_ld_fail(ld, ONNXRUN_E_INVALID,
                        "%s: external data offset %llu + %llu bytes lies beyond the end of '%s' (%lld bytes)",
                        what, (unsigned long long)offset, (unsigned long long)want, loc, (long long)sb.st_size);
    } else if (!has_length && end != (uint64_t)sb.st_size) {
        st = or_ld_fail(ld, ONNXRUN_E_INVALID,
                        "%s: external data '%s' has %llu bytes after offset %llu but the dims need %llu",
                        what, loc, (unsigned long long)((uint64_t)sb.st_size - offset),
                        (unsigned long long)offset, (unsigned long long)want);
    } else if (!want) {
        /* nothing to map (the file may even be empty): >= 1 byte as always */
        if (!(t->data = or_ld_malloc(1))) st = or_ld_fail(ld, ONNXRUN_E_NOMEM, "out of memory");
    } else if (!(st = or_ld_map(ld, fd, &sb, rfile, &base))) {
        st = or_ld_place(ld, base + offset, want, true, t, mapped);
    }
    close(fd);
    return st;
}
