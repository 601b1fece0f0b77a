/*
 * check.c - runs ONNX test-layout folders through the public API and
 * compares outputs with the references (see check.h).
 */
#include <dirent.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

#define MAX_IO 64

orc_options orc_defaults(void)
{
    return (orc_options){ .rtol = 1e-3, .atol = 1e-7 };
}

static void reasonf(orc_result *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void reasonf(orc_result *r, const char *fmt, ...)
{
    if (r->reason[0]) return; /* keep the first */
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->reason, sizeof r->reason, fmt, ap);
    va_end(ap);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted names in dir starting with prefix (caller frees each and the array). */
static size_t list_dir(const char *dir, const char *prefix, char ***names)
{
    DIR *d = opendir(dir);
    size_t n = 0, cap = 0;
    *names = NULL;
    if (!d) return 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (strncmp(e->d_name, prefix, strlen(prefix)) != 0) continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 8;
            char **nn = realloc(*names, cap * sizeof *nn);
            if (!nn) break;
            *names = nn;
        }
        (*names)[n] = strdup(e->d_name);
        if ((*names)[n]) n++;
    }
    closedir(d);
    qsort(*names, n, sizeof **names, cmp_str);
    return n;
}

static void free_list(char **names, size_t n)
{
    for (size_t i = 0; i < n; i++) free(names[i]);
    free(names);
}

/* Reads input_K.pb / output_K.pb (K = 0, 1, ...) of a data set. */
static size_t load_tensors(const char *set, const char *kind, onnxrun_tensor *t, char **names,
                           orc_result *r, onnxrun_status *st)
{
    size_t n = 0;
    *st = ONNXRUN_OK;
    for (; n < MAX_IO; n++) {
        char path[4096], err[512];
        int len = snprintf(path, sizeof path, "%s/%s_%zu.pb", set, kind, n);
        if (len < 0 || (size_t)len >= sizeof path) { /* never open a truncated path */
            reasonf(r, "path of %s_%zu.pb in '%s' is too long", kind, n, set);
            *st = ONNXRUN_E_IO;
            break;
        }
        FILE *f = fopen(path, "rb");
        if (!f) break;
        fclose(f);
        *st = onnxrun_tensor_load_pb(path, &t[n], &names[n], err, sizeof err);
        if (*st) {
            reasonf(r, "%s", err);
            break;
        }
    }
    return n;
}

static double elem(const onnxrun_tensor *t, int64_t i)
{
    switch (t->dtype) {
    case ONNXRUN_FLOAT: return ((const float *)t->data)[i];
    case ONNXRUN_DOUBLE: return ((const double *)t->data)[i];
    case ONNXRUN_INT64: return (double)((const int64_t *)t->data)[i];
    case ONNXRUN_INT32: return ((const int32_t *)t->data)[i];
    case ONNXRUN_UINT64: return (double)((const uint64_t *)t->data)[i];
    case ONNXRUN_UINT32: return ((const uint32_t *)t->data)[i];
    case ONNXRUN_INT16: return ((const int16_t *)t->data)[i];
    case ONNXRUN_UINT16: return ((const uint16_t *)t->data)[i];
    case ONNXRUN_INT8: return ((const int8_t *)t->data)[i];
    case ONNXRUN_UINT8: case ONNXRUN_BOOL: return ((const uint8_t *)t->data)[i];
    default: return NAN;
    }
}

/* Indices of the k largest values of row[0..n), in order. */
static void topk_idx(const onnxrun_tensor *t, int64_t row, int64_t n, int k, int64_t *idx)
{
    for (int j = 0; j < k; j++) idx[j] = -1;
    for (int64_t i = 0; i < n; i++) {
        double v = elem(t, row * n + i);
        for (int j = 0; j < k; j++)
            if (idx[j] < 0 || v > elem(t, row * n + idx[j])) {
                memmove(idx + j + 1, idx + j, (size_t)(k - j - 1) * sizeof *idx);
                idx[j] = i;
                break;
            }
    }
}

static int compare_values(const onnxrun_tensor *o, const onnxrun_tensor *ref, const char *what,
                          const orc_options *opt, orc_result *r, double *max_abs, double *rel);

/* Compares one output; returns 1 if it matches. Half types (float16,
 * bfloat16) are compared as the float32 values they hold. */
static int compare(const onnxrun_tensor *o, const onnxrun_tensor *ref, const char *what,
                   const orc_options *opt, orc_result *r, double *max_abs, double *rel)
{
    *max_abs = 0;
    *rel = 0;
    if (o->dtype != ref->dtype) {
        reasonf(r, "%s: dtype %s, expected %s", what, onnxrun_dtype_name(o->dtype),
                onnxrun_dtype_name(ref->dtype));
        return 0;
    }
    if (o->dtype != ONNXRUN_FLOAT16 && o->dtype != ONNXRUN_BFLOAT16)
        return compare_values(o, ref, what, opt, r, max_abs, rel);
    int64_t n = onnxrun_tensor_numel(ref);
    float *a = malloc((size_t)(n > 0 ? n : 1) * sizeof *a), *b = malloc((size_t)(n > 0 ? n : 1) * sizeof *b);
    onnxrun_tensor fo = *o, fr = *ref;
    int ok = 0;
    if (a && b && onnxrun_tensor_numel(o) == n && !onnxrun_tensor_to_float(o, a) && !onnxrun_tensor_to_float(ref, b)) {
        fo.dtype = fr.dtype = ONNXRUN_FLOAT;
        fo.data = a;
        fr.data = b;
        ok = compare_values(&fo, &fr, what, opt, r, max_abs, rel);
    } else {
        reasonf(r, "%s: out of memory or a shape that differs from the reference", what);
    }
    free(a);
    free(b);
    return ok;
}

static int compare_values(const onnxrun_tensor *o, const onnxrun_tensor *ref, const char *what,
                          const orc_options *opt, orc_result *r, double *max_abs, double *rel)
{
    int same = o->rank == ref->rank;
    for (int d = 0; same && d < o->rank; d++) same = o->dims[d] == ref->dims[d];
    if (!same) {
        reasonf(r, "%s: shape differs from the reference (rank %d vs %d)", what, o->rank, ref->rank);
        return 0;
    }
    int64_t n = onnxrun_tensor_numel(ref);
    double ref_max = 0;
    int ok = 1;
    int exact = o->dtype != ONNXRUN_FLOAT && o->dtype != ONNXRUN_DOUBLE;
    for (int64_t i = 0; i < n; i++) {
        double a = elem(o, i), b = elem(ref, i);
        if (isnan(a) && isnan(b)) continue;
        if (isinf(b) && a == b) continue;
        double d = fabs(a - b);
        if (isnan(d)) d = INFINITY;
        if (d > *max_abs) *max_abs = d;
        if (fabs(b) > ref_max) ref_max = fabs(b);
        if (exact ? d != 0 : (opt->max_rel <= 0 && !(d <= opt->atol + opt->rtol * fabs(b)))) ok = 0;
    }
    *rel = ref_max > 0 ? *max_abs / ref_max : *max_abs;
    if (!exact && opt->max_rel > 0 && !(*rel <= opt->max_rel)) ok = 0;
    if (!ok) reasonf(r, "%s: max abs error %.3g, relative %.3g", what, *max_abs, *rel);
    if (ok && opt->topk > 0 && o->rank == 2 && !exact) {
        int k = opt->topk > 16 ? 16 : opt->topk;
        if (k > o->dims[1]) k = (int)o->dims[1];
        for (int64_t row = 0; row < o->dims[0] && ok; row++) {
            int64_t a[16], b[16];
            topk_idx(o, row, o->dims[1], k, a);
            topk_idx(ref, row, ref->dims[1], k, b);
            if (memcmp(a, b, (size_t)k * sizeof *a) != 0) {
                reasonf(r, "%s: top-%d indices of row %lld differ", what, k, (long long)row);
                ok = 0;
            }
        }
    }
    return ok;
}

static orc_verdict fail_or_skip(onnxrun_status st)
{
    return st == ONNXRUN_E_UNSUPPORTED ? ORC_SKIP : ORC_FAIL;
}

/* Runs one data set on the session; returns 1 on pass. */
static int run_set(onnxrun_session *s, const onnxrun_model *m, const char *set,
                   const orc_options *opt, orc_result *r, double *set_abs, double *set_rel)
{
    onnxrun_tensor in[MAX_IO] = { 0 }, ref[MAX_IO] = { 0 }, out[MAX_IO];
    char *in_names[MAX_IO] = { 0 }, *ref_names[MAX_IO] = { 0 };
    const char *feed[MAX_IO], *want[MAX_IO];
    onnxrun_status st;
    int pass = 0;
    *set_abs = *set_rel = 0;
    size_t ni = load_tensors(set, "input", in, in_names, r, &st);
    size_t no = st ? 0 : load_tensors(set, "output", ref, ref_names, r, &st);
    if (st) {
        r->verdict = fail_or_skip(st);
        goto out;
    }
    size_t n_model_in = onnxrun_model_input_count(m);
    if (ni != n_model_in) {
        /* optional inputs may be left out by the test; feed by position otherwise */
        if (ni > n_model_in) {
            reasonf(r, "%s: %zu inputs, model has %zu", set, ni, n_model_in);
            goto out;
        }
    }
    /* ONNX's test data before 1.13 stores bfloat16 tensors as uint16 (their
     * bits): read such a tensor as the bfloat16 the model declares */
    for (size_t i = 0; i < ni; i++) {
        onnxrun_value_info info;
        onnxrun_model_input(m, i, &info);
        feed[i] = info.name; /* ONNX test data is positional */
        if (info.dtype == ONNXRUN_BFLOAT16 && in[i].dtype == ONNXRUN_UINT16) in[i].dtype = ONNXRUN_BFLOAT16;
    }
    if (no != onnxrun_model_output_count(m)) {
        reasonf(r, "%s: %zu reference outputs, model has %zu", set, no, onnxrun_model_output_count(m));
        goto out;
    }
    for (size_t i = 0; i < no; i++) {
        onnxrun_value_info info;
        onnxrun_model_output(m, i, &info);
        want[i] = info.name;
        if (info.dtype == ONNXRUN_BFLOAT16 && ref[i].dtype == ONNXRUN_UINT16) ref[i].dtype = ONNXRUN_BFLOAT16;
    }
    st = onnxrun_session_run(s, ni, feed, in, no, want, out);
    if (st) {
        reasonf(r, "%s", onnxrun_session_error(s));
        r->verdict = fail_or_skip(st);
        goto out;
    }
    pass = 1;
    for (size_t i = 0; i < no; i++) {
        double a, rel;
        char what[600];
        snprintf(what, sizeof what, "output '%s'", want[i]);
        if (!compare(&out[i], &ref[i], what, opt, r, &a, &rel)) pass = 0;
        if (a > *set_abs) *set_abs = a;
        if (rel > *set_rel) *set_rel = rel;
    }
out:
    for (size_t i = 0; i < MAX_IO; i++) {
        onnxrun_tensor_release(&in[i]);
        onnxrun_tensor_release(&ref[i]);
        free(in_names[i]);
        free(ref_names[i]);
    }
    return pass;
}

orc_verdict orc_check_dir(const char *dir, const orc_options *opt, FILE *out, orc_result *r)
{
    orc_options def = orc_defaults();
    if (!opt) opt = &def;
    memset(r, 0, sizeof *r);
    r->verdict = ORC_PASS;
    char path[4096];
    snprintf(path, sizeof path, "%s/model.onnx", dir);
    onnxrun_model *m = NULL;
    onnxrun_session *s = NULL;
    onnxrun_status st = onnxrun_model_load_file(path, NULL, &m);
    if (st) {
        reasonf(r, "%s", m ? onnxrun_model_error(m) : "out of memory");
        r->verdict = fail_or_skip(st);
        goto out;
    }
    onnxrun_session_options so = { .threads = opt->threads, .isa = opt->isa, .max_memory_bytes = opt->max_memory };
    st = onnxrun_session_create(m, &so, &s);
    if (st) {
        reasonf(r, "%s", s ? onnxrun_session_error(s) : "out of memory");
        r->verdict = fail_or_skip(st);
        goto out;
    }
    char **sets;
    size_t n = list_dir(dir, "test_data_set_", &sets);
    if (!n) {
        reasonf(r, "%s: no test_data_set_* folders", dir);
        r->verdict = ORC_FAIL;
    }
    for (size_t i = 0; i < n; i++) {
        char set[4096];
        double a, rel;
        snprintf(set, sizeof set, "%s/%s", dir, sets[i]);
        orc_verdict before = r->verdict;
        int ok = run_set(s, m, set, opt, r, &a, &rel);
        r->sets++;
        if (a > r->worst_abs) r->worst_abs = a;
        if (rel > r->worst_rel) r->worst_rel = rel;
        if (!ok) {
            r->sets_failed++;
            if (r->verdict == before) r->verdict = ORC_FAIL;
        }
        if (out)
            fprintf(out, "%s %s  max_abs %.3g  max_rel %.3g%s%s\n",
                    ok ? "PASS" : r->verdict == ORC_SKIP ? "SKIP" : "FAIL", set, a, rel,
                    ok ? "" : "  ", ok ? "" : r->reason);
        if (r->verdict == ORC_SKIP) break;
    }
    free_list(sets, n);
out:
    onnxrun_session_free(s);
    onnxrun_model_free(m);
    return r->verdict;
}
