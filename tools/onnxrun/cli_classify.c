/*
 * cli_classify.c - `onnxrun MODEL IMAGE|DIR...`: decodes and preprocesses
 * images (image.h) for the model's first input (float N, C, H, W), runs
 * them (one batch of up to --batch images when the batch axis is dynamic,
 * else chunks of the fixed batch size), turns the first output into
 * probabilities (softmax unless it already is one) and prints the top K
 * classes per image, as text or one JSON object per line.
 *
 * Preprocessing comes from the model's metadata_props (mean, std, scale,
 * size, labels, channel_order, resize, invert), overridden by the flags.
 * mean and std are listed in the model's channel order (B,G,R for a BGR
 * model, as Caffe's 104,117,123). Bad metadata is reported as a warning
 * and the default used instead. An image that cannot be read is reported
 * (naming the file) and skipped; the exit status is then 1.
 *
 * --save-input FILE writes the input tensor of the first run (the first
 * batch, padding of a fixed batch included) before it runs, as a
 * TensorProto named as the model's input (onnxrun_tensor_save_pb), so that
 * another runtime can be fed exactly what onnxrun was.
 */
#include <ctype.h>
#include <dirent.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "cli_labels.h"
#include "image.h"

#define DEFAULT_BATCH 32
/* Largest input batch buffer (bytes). */
#define MAX_BATCH_BYTES ((uint64_t)1 << 31)

/* What the model wants and how images are brought to it. */
typedef struct plan {
    const char *input, *output;   /* names, owned by the model */
    int fixed_batch;              /* the model's batch size, or 0 if dynamic */
    int batch;                    /* images per run */
    int load_channels;            /* 1: decode as gray (channel_order GRAY), else the model's C */
    or_preprocess pre;
    size_t per_image;             /* floats per image */
    cli_labels labels;
} plan;

/* One image to classify. */
typedef struct item {
    char *path;                   /* malloc'd */
} item;

typedef struct items {
    item *v;
    size_t n, cap;
    int from_dir;                 /* some came from a folder: show progress */
} items;

static void warn_meta(const char *key, const char *value, const char *why)
{
    fprintf(stderr, "onnxrun: warning: ignoring the model's metadata %s='%s': %s\n", key, value, why);
}

/* Parses "a" or "a,b,c" floats; 0 on success. */
static int parse_floats(const char *s, float out[3], int *n)
{
    *n = 0;
    while (*n < 3) {
        char *end;
        double v = strtod(s, &end);
        if (end == s || !isfinite(v) || fabs(v) > 3.4e38) return -1;
        out[(*n)++] = (float)v;
        while (isspace((unsigned char)*end)) end++;
        if (!*end) return *n == 1 || *n == 3 ? 0 : -1;
        if (*end != ',') return -1;
        s = end + 1;
    }
    return -1;
}

/* Sets p->mean or p->std from vals[n] given in the model's channel order. */
static void set_channels(float dst[3], const float *vals, int n, int bgr)
{
    for (int c = 0; c < 3; c++) {
        int src = n == 1 ? 0 : bgr ? 2 - c : c;
        dst[c] = vals[src];
    }
}

/* Fills p->pre from the model's input, its metadata and the flags. */
static int make_plan(const onnxrun_model *m, const cli_args *a, plan *p)
{
    onnxrun_value_info in, out;
    if (onnxrun_model_input_count(m) != 1)
        return cli_err(CLI_FAIL, "the model has %zu inputs: classifying needs one image input",
                       onnxrun_model_input_count(m));
    if (onnxrun_model_output_count(m) < 1) return cli_err(CLI_FAIL, "the model has no outputs");
    onnxrun_model_input(m, 0, &in);
    onnxrun_model_output(m, 0, &out);
    p->input = in.name;
    p->output = out.name;
    int half_in = in.dtype == ONNXRUN_FLOAT16 || in.dtype == ONNXRUN_BFLOAT16; /* given float32 data */
    if (in.rank != 4 || (in.dtype != ONNXRUN_FLOAT && !half_in)) {
        char shape[256];
        cli_format_dims(shape, sizeof shape, in.rank, in.dims, in.dim_names);
        return cli_err(CLI_FAIL,
                       "input '%s' is %s %s, not an image tensor (float N,C,H,W); "
                       "--info, --bench and --check still work on this model",
                       in.name, onnxrun_dtype_name(in.dtype), shape);
    }
    or_preprocess *pre = &p->pre;
    or_preprocess_defaults(pre);

    /* channel order */
    const char *order = onnxrun_model_metadata(m, "channel_order");
    int gray = 0, bgr = 0;
    if (order) {
        if (!strcmp(order, "RGB")) bgr = 0;
        else if (!strcmp(order, "BGR")) bgr = 1;
        else if (!strcmp(order, "GRAY")) gray = 1;
        else warn_meta("channel_order", order, "not RGB, BGR or GRAY");
    }
    if (a->bgr) bgr = 1, gray = 0;
    int64_t C = in.dims[1];
    if (C < 0) C = gray ? 1 : 3;
    if (C != 1 && C != 3)
        return cli_err(CLI_FAIL,
                       "input '%s' has %lld channels: images can be fed as 1 (grayscale) or 3 (RGB) only",
                       in.name, (long long)C);
    pre->channels = (int)C;
    pre->bgr = bgr;
    p->load_channels = gray ? 1 : (int)C;

    /* size */
    int size = 0;
    const char *v = onnxrun_model_metadata(m, "size");
    if (v) {
        size = cli_size_hint(m);
        if (!size) warn_meta("size", v, "not a size 1..32768");
    }
    if (a->has_size) size = a->size;
    for (int d = 2; d < 4; d++) {
        int64_t dim = in.dims[d];
        if (dim > OR_IMAGE_MAX_SIDE)
            return cli_err(CLI_FAIL, "input '%s' dim %d is %lld: larger than an image can be", in.name,
                           d, (long long)dim);
        if (dim >= 0 && a->has_size && dim != a->size)
            return cli_err(CLI_USAGE, "--size %d: input '%s' has a fixed size %lldx%lld", a->size,
                           in.name, (long long)in.dims[2], (long long)in.dims[3]);
        int s = dim >= 0 ? (int)dim : size ? size : 224;
        if (d == 2) pre->height = s;
        else pre->width = s;
    }

    /* normalisation */
    float vals[3];
    int n;
    if ((v = onnxrun_model_metadata(m, "mean"))) {
        if (parse_floats(v, vals, &n)) warn_meta("mean", v, "not 1 or 3 comma-separated numbers");
        else set_channels(pre->mean, vals, n, bgr);
    }
    if ((v = onnxrun_model_metadata(m, "std"))) {
        if (parse_floats(v, vals, &n) || vals[0] == 0 || (n == 3 && (vals[1] == 0 || vals[2] == 0)))
            warn_meta("std", v, "not 1 or 3 comma-separated non-zero numbers");
        else set_channels(pre->std, vals, n, bgr);
    }
    if ((v = onnxrun_model_metadata(m, "scale"))) {
        if (parse_floats(v, vals, &n) || n != 1) warn_meta("scale", v, "not a number");
        else pre->scale = vals[0];
    }
    if (a->n_mean) set_channels(pre->mean, a->mean, a->n_mean, bgr);
    if (a->n_std) set_channels(pre->std, a->std, a->n_std, bgr);
    if (a->has_scale) pre->scale = a->scale;
    if ((v = onnxrun_model_metadata(m, "resize"))) {
        if (!strcmp(v, "crop")) pre->mode = OR_RESIZE_CROP;
        else if (!strcmp(v, "direct")) pre->mode = OR_RESIZE_DIRECT;
        else warn_meta("resize", v, "not crop or direct");
    }
    if (a->resize >= 0) pre->mode = (or_resize_mode)a->resize;
    if ((v = onnxrun_model_metadata(m, "invert"))) {
        if (!strcmp(v, "0") || !strcmp(v, "1")) pre->invert = v[0] == '1';
        else warn_meta("invert", v, "not 0 or 1");
    }
    if (a->invert) pre->invert = 1;
    p->per_image = or_preprocess_count(pre);
    if (!p->per_image) return cli_err(CLI_FAIL, "bad preprocessing options");

    /* batching */
    p->fixed_batch = in.dims[0] >= 0 ? (int)(in.dims[0] > 65536 ? 65536 : in.dims[0]) : 0;
    if (p->fixed_batch == 0 && in.dims[0] == 0)
        return cli_err(CLI_FAIL, "input '%s' has a batch size of 0", in.name);
    if (p->fixed_batch && a->batch && a->batch != p->fixed_batch)
        return cli_err(CLI_USAGE, "--batch %d: input '%s' has a fixed batch size of %d", a->batch,
                       in.name, p->fixed_batch);
    p->batch = p->fixed_batch ? p->fixed_batch : a->batch ? a->batch : DEFAULT_BATCH;
    if ((uint64_t)p->batch * p->per_image * sizeof(float) > MAX_BATCH_BYTES)
        return cli_err(CLI_FAIL, "a batch of %d images of %zu floats is too large", p->batch, p->per_image);
    return CLI_OK;
}

/* Labels from --labels FILE, else from the metadata (ImageNet's for 1000
 * classes without either is decided at the first output). */
static int load_labels(const onnxrun_model *m, const cli_args *a, plan *p)
{
    char err[512];
    const char *meta = onnxrun_model_metadata(m, "labels");
    int rc = 0;
    if (a->labels) rc = cli_labels_from_file(a->labels, &p->labels, err, sizeof err);
    else if (meta && !strcmp(meta, "imagenet")) rc = cli_labels_imagenet(&p->labels, err, sizeof err);
    else if (meta && meta[0]) rc = cli_labels_from_list(meta, &p->labels, err, sizeof err);
    return rc ? cli_err(CLI_FAIL, "%s", err) : CLI_OK;
}

/* At the first output: ImageNet's labels for 1000 classes if none were
 * given, and a warning if the count does not fit. */
static int fit_labels(plan *p, int64_t classes)
{
    char err[512];
    if (!p->labels.n && classes == 1000 && cli_labels_imagenet(&p->labels, err, sizeof err))
        return cli_err(CLI_FAIL, "%s", err);
    if (p->labels.n && (int64_t)p->labels.n != classes)
        fprintf(stderr, "onnxrun: warning: %zu labels for %lld classes\n", p->labels.n,
                (long long)classes);
    return CLI_OK;
}

/* ---- the list of images ---- */

static int add_item(items *it, const char *path)
{
    if (it->n == it->cap) {
        size_t cap = it->cap ? 2 * it->cap : 16;
        item *v = realloc(it->v, cap * sizeof *v);
        if (!v) return cli_err(CLI_FAIL, "out of memory");
        it->v = v;
        it->cap = cap;
    }
    if (!(it->v[it->n].path = strdup(path))) return cli_err(CLI_FAIL, "out of memory");
    it->n++;
    return CLI_OK;
}

static void free_items(items *it)
{
    for (size_t i = 0; i < it->n; i++) free(it->v[i].path);
    free(it->v);
}

static int has_image_ext(const char *name)
{
    const char *dot = strrchr(name, '.');
    return dot && (!strcasecmp(dot, ".jpg") || !strcasecmp(dot, ".jpeg") || !strcasecmp(dot, ".png"));
}

static int cmp_item(const void *a, const void *b)
{
    return strcmp(((const item *)a)->path, ((const item *)b)->path);
}

/* Adds the JPEG/PNG files of folder dir, sorted by name. */
static int add_dir(items *it, const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) return cli_err(CLI_FAIL, "%s: cannot open the folder", dir);
    size_t first = it->n;
    int rc = CLI_OK;
    struct dirent *e;
    const char *sep = dir[0] && dir[strlen(dir) - 1] == '/' ? "" : "/";
    while (!rc && (e = readdir(d))) {
        if (e->d_name[0] == '.' || !has_image_ext(e->d_name)) continue;
        size_t len = strlen(dir) + strlen(e->d_name) + 2;
        char *path = malloc(len);
        if (!path) {
            rc = cli_err(CLI_FAIL, "out of memory");
            break;
        }
        snprintf(path, len, "%s%s%s", dir, sep, e->d_name);
        struct stat st;
        if (stat(path, &st) == 0 && S_ISREG(st.st_mode)) rc = add_item(it, path);
        free(path);
    }
    closedir(d);
    if (rc) return rc;
    if (it->n == first) return cli_err(CLI_FAIL, "%s: no .jpg, .jpeg or .png files in the folder", dir);
    qsort(it->v + first, it->n - first, sizeof *it->v, cmp_item);
    it->from_dir = 1;
    return CLI_OK;
}

/* ---- output ---- */

/* Turns row[0..n) into probabilities in place unless it already is one. */
static void to_probabilities(float *row, int64_t n)
{
    double sum = 0;
    int probs = 1;
    for (int64_t i = 0; i < n; i++) {
        if (!(row[i] >= 0 && row[i] <= 1)) probs = 0;
        sum += row[i];
    }
    if (probs && fabs(sum - 1) <= 1e-3) return;
    float mx = -INFINITY;
    for (int64_t i = 0; i < n; i++)
        if (row[i] > mx) mx = row[i];
    double total = 0;
    for (int64_t i = 0; i < n; i++) total += exp((double)row[i] - mx);
    for (int64_t i = 0; i < n; i++) row[i] = (float)(exp((double)row[i] - mx) / total);
}

/* Indices of the k largest values of row (NaN ranks lowest), in order. */
static void top_k(const float *row, int64_t n, int k, int64_t *idx)
{
    int have = 0;
    for (int64_t i = 0; i < n; i++) {
        float v = isnan(row[i]) ? -INFINITY : row[i];
        int j = have < k ? have : k;
        while (j > 0 && (isnan(row[idx[j - 1]]) ? -INFINITY : row[idx[j - 1]]) < v) j--;
        if (j >= k) continue;
        int last = have < k ? have : k - 1;
        memmove(idx + j + 1, idx + j, (size_t)(last - j) * sizeof *idx);
        idx[j] = i;
        if (have < k) have++;
    }
}

static void print_result(const char *path, const float *row, int64_t classes, int k,
                         const int64_t *idx, const cli_labels *labels, int json)
{
    if (json) {
        fputs("{\"image\": ", stdout);
        cli_json_string(stdout, path);
        fputs(", \"top\": [", stdout);
        for (int r = 0; r < k; r++) {
            const char *label = cli_label(labels, idx[r]);
            printf("%s{\"rank\": %d, \"index\": %lld, \"label\": ", r ? ", " : "", r + 1,
                   (long long)idx[r]);
            if (label) cli_json_string(stdout, label);
            else fputs("null", stdout);
            if (isfinite(row[idx[r]])) printf(", \"prob\": %.6g}", (double)row[idx[r]]);
            else fputs(", \"prob\": null}", stdout);
        }
        fputs("]}\n", stdout);
        return;
    }
    printf("%s\n", path);
    for (int r = 0; r < k; r++) {
        const char *label = cli_label(labels, idx[r]);
        printf("  %2d  %8.5f  %*lld  %s\n", r + 1, (double)row[idx[r]], classes > 99999 ? 9 : 5,
               (long long)idx[r], label ? label : "");
    }
}

static void progress(size_t done, size_t total)
{
    enum { WIDTH = 40 };
    size_t fill = total ? done * WIDTH / total : WIDTH;
    char bar[WIDTH + 1];
    for (size_t i = 0; i < WIDTH; i++) bar[i] = i < fill ? '#' : '.';
    bar[WIDTH] = 0;
    fprintf(stderr, "\r[%s] %zu/%zu", bar, done, total);
    if (done == total) fputs("\r\033[K", stderr);
    fflush(stderr);
}

/* ---- running ---- */

typedef struct runner {
    onnxrun_session *s;
    const cli_args *a;
    plan *p;
    float *x;              /* (batch, C, H, W) */
    int64_t *idx;          /* top-k scratch */
    int k;
    int64_t classes;       /* -1 until the first output is seen */
    int labels_loaded;
    int runs;              /* runs started so far */
    float *wide;           /* a float16 / bfloat16 output's scores as float32 */
    size_t wide_cap;
} runner;

/* Runs the n (<= batch) images preprocessed into r->x whose paths are
 * names[0..n) and prints their results. */
static int run_batch(runner *r, char **names, int n)
{
    plan *p = r->p;
    int b = p->fixed_batch ? p->fixed_batch : n;
    if (p->fixed_batch && n < b) /* pad a fixed batch */
        memset(r->x + (size_t)n * p->per_image, 0, (size_t)(b - n) * p->per_image * sizeof *r->x);
    onnxrun_tensor in = { .dtype = ONNXRUN_FLOAT, .rank = 4, .data = r->x };
    in.dims[0] = b;
    in.dims[1] = p->pre.channels;
    in.dims[2] = p->pre.height;
    in.dims[3] = p->pre.width;
    if (r->runs++ == 0 && r->a->save_input) {
        char err[1024];
        if (onnxrun_tensor_save_pb(r->a->save_input, &in, p->input, err, sizeof err))
            return cli_err(CLI_FAIL, "--save-input: %s", err);
    }
    onnxrun_tensor out;
    if (onnxrun_session_run(r->s, 1, &p->input, &in, 1, &p->output, &out))
        return cli_err(CLI_FAIL, "%s", onnxrun_session_error(r->s));
    int64_t numel = onnxrun_tensor_numel(&out);
    if (out.dtype == ONNXRUN_FLOAT16 || out.dtype == ONNXRUN_BFLOAT16) { /* scores as float32 */
        if (numel > 0 && (size_t)numel > r->wide_cap) {
            float *w = realloc(r->wide, (size_t)numel * sizeof *w);
            if (!w) return cli_err(CLI_FAIL, "out of memory");
            r->wide = w;
            r->wide_cap = (size_t)numel;
        }
        if (numel > 0 && onnxrun_tensor_to_float(&out, r->wide))
            return cli_err(CLI_FAIL, "output '%s' cannot be read as float", p->output);
        out.dtype = ONNXRUN_FLOAT;
        out.data = r->wide;
    }
    if (out.dtype != ONNXRUN_FLOAT)
        return cli_err(CLI_FAIL, "output '%s' is %s: expected float class scores", p->output,
                       onnxrun_dtype_name(out.dtype));
    if (numel <= 0 || out.rank < 1 || out.dims[0] != b || numel % b != 0) {
        char shape[256];
        cli_format_dims(shape, sizeof shape, out.rank, out.dims, NULL);
        return cli_err(CLI_FAIL, "output '%s' has shape %s: expected one row of scores per image (%d)",
                       p->output, shape, b);
    }
    int64_t classes = numel / b;
    if (r->classes < 0) {
        r->classes = classes;
        int rc = fit_labels(p, classes);
        if (rc) return rc;
        r->k = r->a->top < classes ? r->a->top : (int)classes;
        r->idx = calloc((size_t)r->k, sizeof *r->idx);
        if (!r->idx) return cli_err(CLI_FAIL, "out of memory");
    } else if (classes != r->classes) {
        return cli_err(CLI_FAIL, "output '%s' changed from %lld to %lld classes", p->output,
                       (long long)r->classes, (long long)classes);
    }
    float *data = out.data; /* owned by the session until the next run: used in place */
    for (int i = 0; i < n; i++) {
        float *row = data + (size_t)i * (size_t)classes;
        to_probabilities(row, classes);
        top_k(row, classes, r->k, r->idx);
        print_result(names[i], row, classes, r->k, r->idx, &p->labels, r->a->json);
    }
    fflush(stdout);
    return CLI_OK;
}

/* Classifies every item; returns CLI_FAIL if any image or run failed. */
static int run_all(runner *r, const items *it)
{
    plan *p = r->p;
    int failed = 0;
    char **names = calloc((size_t)p->batch, sizeof *names);
    if (!names) return cli_err(CLI_FAIL, "out of memory");
    int show = it->from_dir && isatty(STDERR_FILENO);
    size_t next = 0;
    while (next < it->n) {
        int n = 0;
        while (n < p->batch && next < it->n) {
            const char *path = it->v[next++].path;
            char err[OR_IMAGE_ERR_SIZE];
            or_image img;
            if (or_image_load_file(path, p->load_channels, &img, err, sizeof err) ||
                or_image_preprocess(&img, &p->pre, r->x + (size_t)n * p->per_image, err, sizeof err)) {
                if (show) fputs("\r\033[K", stderr);
                cli_err(CLI_FAIL, "%s", err);
                failed = 1;
            } else {
                names[n++] = it->v[next - 1].path;
            }
            or_image_free(&img);
        }
        if (n > 0 && run_batch(r, names, n)) {
            failed = 1;
            break; /* a model error repeats on every batch */
        }
        if (show) progress(next, it->n);
    }
    free(names);
    return failed ? CLI_FAIL : CLI_OK;
}

int cli_classify(const cli_args *a)
{
    items it = { 0 };
    plan p = { 0 };
    runner r = { .a = a, .p = &p, .classes = -1 };
    int rc = CLI_OK;
    onnxrun_model *m = cli_load_model(a->pos[0]);
    if (!m) return CLI_FAIL;
    rc = make_plan(m, a, &p);
    if (!rc) rc = load_labels(m, a, &p);
    for (int i = 1; !rc && i < a->n_pos; i++) {
        struct stat st;
        if (stat(a->pos[i], &st) == 0 && S_ISDIR(st.st_mode)) rc = add_dir(&it, a->pos[i]);
        else rc = add_item(&it, a->pos[i]); /* unreadable files are reported when read */
    }
    if (!rc && p.batch > (int)it.n && !p.fixed_batch) p.batch = (int)it.n;
    if (!rc) {
        r.x = malloc((size_t)p.batch * p.per_image * sizeof *r.x);
        if (!r.x) rc = cli_err(CLI_FAIL, "out of memory for a batch of %d images", p.batch);
    }
    if (!rc && !(r.s = cli_create_session(m, a))) rc = CLI_FAIL;
    if (!rc) rc = run_all(&r, &it);
    cli_free_session(r.s);
    free(r.x);
    free(r.idx);
    free(r.wide);
    cli_labels_free(&p.labels);
    free_items(&it);
    onnxrun_model_free(m);
    return rc;
}
