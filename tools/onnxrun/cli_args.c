/*
 * cli_args.c - parses the onnxrun command line from one table of flags.
 *
 * Flags may come before, between or after the positional arguments, as
 * "--flag value" or "--flag=value"; "--" ends the flags. The form is chosen
 * by --check / --info / --bench (classify when none is given); a flag that
 * does not belong to the chosen form is a usage error, as is a value out of
 * range. Numbers are parsed strictly: "12x", "", "nan" and overflow are
 * refused.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "image.h"

#define F_CLASSIFY (1u << CLI_CLASSIFY)
#define F_CHECK (1u << CLI_CHECK)
#define F_INFO (1u << CLI_INFO)
#define F_BENCH (1u << CLI_BENCH)
#define F_ALL (F_CLASSIFY | F_CHECK | F_INFO | F_BENCH)

typedef enum flag_id {
    O_HELP, O_VERSION, O_CHECK, O_INFO, O_BENCH, O_THREADS, O_TOP, O_BATCH, O_SIZE, O_MEAN,
    O_STD, O_SCALE, O_BGR, O_INVERT, O_RESIZE, O_LABELS, O_JSON, O_SAVE_INPUT, O_RTOL, O_ATOL,
    O_MAX_REL, O_RUNS, O_WARMUP, O_PROFILE, O_PLAN_SVG, O_ISA, O_TIMEOUT, O_MAX_MEMORY, O_SESSIONS, O_COUNT
} flag_id;

typedef struct flag_def {
    const char *name;    /* with the dashes */
    int takes_value;
    unsigned forms;      /* F_* mask of the forms that accept it */
} flag_def;

static const flag_def flags[] = {
    [O_HELP] = { "--help", 0, F_ALL },
    [O_VERSION] = { "--version", 0, F_ALL },
    [O_CHECK] = { "--check", 0, F_CHECK },
    [O_INFO] = { "--info", 0, F_INFO },
    [O_BENCH] = { "--bench", 0, F_BENCH },
    [O_THREADS] = { "--threads", 1, F_ALL },
    [O_ISA] = { "--isa", 1, F_ALL },
    [O_TOP] = { "--top", 1, F_CLASSIFY | F_CHECK },
    [O_BATCH] = { "--batch", 1, F_CLASSIFY | F_INFO | F_BENCH },
    [O_SIZE] = { "--size", 1, F_CLASSIFY | F_INFO | F_BENCH },
    [O_MEAN] = { "--mean", 1, F_CLASSIFY },
    [O_STD] = { "--std", 1, F_CLASSIFY },
    [O_SCALE] = { "--scale", 1, F_CLASSIFY },
    [O_BGR] = { "--bgr", 0, F_CLASSIFY },
    [O_INVERT] = { "--invert", 0, F_CLASSIFY },
    [O_RESIZE] = { "--resize", 1, F_CLASSIFY },
    [O_LABELS] = { "--labels", 1, F_CLASSIFY },
    [O_JSON] = { "--json", 0, F_CLASSIFY },
    [O_SAVE_INPUT] = { "--save-input", 1, F_CLASSIFY },
    [O_RTOL] = { "--rtol", 1, F_CHECK },
    [O_ATOL] = { "--atol", 1, F_CHECK },
    [O_MAX_REL] = { "--max-rel", 1, F_CHECK },
    [O_RUNS] = { "--runs", 1, F_BENCH },
    [O_WARMUP] = { "--warmup", 1, F_BENCH },
    [O_PROFILE] = { "--profile", 0, F_BENCH },
    [O_PLAN_SVG] = { "--plan-svg", 1, F_INFO },
    [O_TIMEOUT] = { "--timeout", 1, F_CLASSIFY | F_INFO | F_BENCH },
    [O_MAX_MEMORY] = { "--max-memory", 1, F_ALL },
    [O_SESSIONS] = { "--sessions", 1, F_BENCH },
};
_Static_assert(sizeof flags / sizeof flags[0] == O_COUNT, "one entry per flag");

static const char *const form_flag[CLI_FORM_COUNT] = {
    [CLI_CLASSIFY] = NULL, [CLI_CHECK] = "--check", [CLI_INFO] = "--info", [CLI_BENCH] = "--bench",
};

int cli_err(int status, const char *fmt, ...)
{
    va_list ap;
    fputs("onnxrun: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    return status;
}

/* A usage error with the hint to --help. */
static int usage_err(cli_form form, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int usage_err(cli_form form, const char *fmt, ...)
{
    va_list ap;
    fputs("onnxrun: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\nTry 'onnxrun %s%s--help'.\n", form_flag[form] ? form_flag[form] : "",
            form_flag[form] ? " " : "");
    return CLI_USAGE;
}

static int parse_int(const char *s, long lo, long hi, int *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (!*s || *end || errno || v < lo || v > hi) return -1;
    *out = (int)v;
    return 0;
}

/* "600M", "2G", "512K", "1048576": bytes (K, M, G are binary), at least 1
 * and at most 2^50. */
static int parse_size(const char *s, uint64_t *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (!*s || errno || !(v > 0)) return -1;
    double unit = 1;
    if (*end == 'K' || *end == 'k') unit = 1024.0, end++;
    else if (*end == 'M' || *end == 'm') unit = 1048576.0, end++;
    else if (*end == 'G' || *end == 'g') unit = 1073741824.0, end++;
    if (*end == 'i' && end[1] == 'B') end += 2;
    else if (*end == 'B') end++;
    v *= unit;
    if (*end || v < 1 || v > 1125899906842624.0) return -1;
    *out = (uint64_t)v;
    return 0;
}

static int parse_double(const char *s, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (!*s || *end || errno == ERANGE || !isfinite(v)) return -1;
    *out = v;
    return 0;
}

/* "a" or "a,b,c" into out[0..*n). */
static int parse_list(const char *s, float out[3], int *n)
{
    *n = 0;
    const char *p = s;
    for (;;) {
        char item[64];
        size_t len = strcspn(p, ",");
        if (*n == 3 || len == 0 || len >= sizeof item) return -1;
        memcpy(item, p, len);
        item[len] = 0;
        double v;
        if (parse_double(item, &v) || fabs(v) > 3.4e38) return -1;
        out[(*n)++] = (float)v;
        if (!p[len]) break;
        p += len + 1;
    }
    return *n == 1 || *n == 3 ? 0 : -1;
}

/* Stores the value of flag id; CLI_USAGE (after a message) if it is bad. */
static int set_value(cli_args *a, flag_id id, const char *v)
{
    const char *name = flags[id].name;
    double d;
    switch (id) {
    case O_THREADS:
        if (parse_int(v, 0, 1024, &a->threads))
            return usage_err(a->form, "%s wants a thread count 0..1024 (0 = all cores), not '%s'", name, v);
        break;
    case O_ISA: {
        int i = ONNXRUN_ISA_PORTABLE;
        while (i <= ONNXRUN_ISA_AVX512 && strcmp(v, onnxrun_isa_name((onnxrun_isa)i)) != 0) i++;
        if (i > ONNXRUN_ISA_AVX512)
            return usage_err(a->form, "%s wants portable, avx2 or avx512, not '%s'", name, v);
        a->isa = (onnxrun_isa)i;
        break;
    }
    case O_TOP:
        if (parse_int(v, 1, 1000000, &a->top))
            return usage_err(a->form, "%s wants a positive count, not '%s'", name, v);
        a->has_top = 1;
        break;
    case O_BATCH:
        if (parse_int(v, 1, 65536, &a->batch))
            return usage_err(a->form, "%s wants a batch size 1..65536, not '%s'", name, v);
        break;
    case O_SIZE:
        if (parse_int(v, 1, OR_IMAGE_MAX_SIDE, &a->size))
            return usage_err(a->form, "%s wants a size 1..%d, not '%s'", name, OR_IMAGE_MAX_SIDE, v);
        a->has_size = 1;
        break;
    case O_MEAN:
        if (parse_list(v, a->mean, &a->n_mean))
            return usage_err(a->form, "%s wants 1 or 3 comma-separated numbers, not '%s'", name, v);
        break;
    case O_STD:
        if (parse_list(v, a->std, &a->n_std))
            return usage_err(a->form, "%s wants 1 or 3 comma-separated numbers, not '%s'", name, v);
        for (int i = 0; i < a->n_std; i++)
            if (a->std[i] == 0) return usage_err(a->form, "%s: a standard deviation of 0 in '%s'", name, v);
        break;
    case O_SCALE:
        if (parse_double(v, &d) || fabs(d) > 3.4e38)
            return usage_err(a->form, "%s wants a number, not '%s'", name, v);
        a->scale = (float)d;
        a->has_scale = 1;
        break;
    case O_RESIZE:
        if (!strcmp(v, "crop")) a->resize = OR_RESIZE_CROP;
        else if (!strcmp(v, "direct")) a->resize = OR_RESIZE_DIRECT;
        else return usage_err(a->form, "%s wants 'crop' or 'direct', not '%s'", name, v);
        break;
    case O_LABELS:
        a->labels = v;
        break;
    case O_SAVE_INPUT:
    case O_PLAN_SVG:
        if (!v[0]) return usage_err(a->form, "%s wants a file name", name);
        if (id == O_SAVE_INPUT) a->save_input = v;
        else a->plan_svg = v;
        break;
    case O_RTOL:
    case O_ATOL:
    case O_MAX_REL:
        if (parse_double(v, &d) || d < 0)
            return usage_err(a->form, "%s wants a non-negative number, not '%s'", name, v);
        if (id == O_RTOL) a->rtol = d, a->has_rtol = 1;
        else if (id == O_ATOL) a->atol = d, a->has_atol = 1;
        else a->max_rel = d;
        break;
    case O_TIMEOUT:
        if (parse_double(v, &d) || !(d > 0) || d > 1e6)
            return usage_err(a->form, "%s wants seconds, more than 0, not '%s'", name, v);
        a->timeout = d;
        break;
    case O_MAX_MEMORY:
        if (parse_size(v, &a->max_memory))
            return usage_err(a->form, "%s wants a size such as 600M or 2G (K, M, G: KiB, MiB, GiB), not '%s'",
                             name, v);
        break;
    case O_SESSIONS:
        if (parse_int(v, 1, 64, &a->sessions))
            return usage_err(a->form, "%s wants a count 1..64, not '%s'", name, v);
        break;
    case O_RUNS:
        if (parse_int(v, 1, 1000000, &a->runs))
            return usage_err(a->form, "%s wants a count 1..1000000, not '%s'", name, v);
        break;
    case O_WARMUP:
        if (parse_int(v, 0, 1000000, &a->warmup))
            return usage_err(a->form, "%s wants a count 0..1000000, not '%s'", name, v);
        break;
    default:
        break;
    }
    return CLI_OK;
}

static void set_switch(cli_args *a, flag_id id)
{
    switch (id) {
    case O_HELP: a->help = 1; break;
    case O_VERSION: a->version = 1; break;
    case O_BGR: a->bgr = 1; break;
    case O_INVERT: a->invert = 1; break;
    case O_JSON: a->json = 1; break;
    case O_PROFILE: a->profile = 1; break;
    default: break;
    }
}

static int find_flag(const char *arg, size_t len)
{
    if (len == 2 && !strncmp(arg, "-h", 2)) return O_HELP;
    for (int i = 0; i < O_COUNT; i++)
        if (strlen(flags[i].name) == len && !strncmp(flags[i].name, arg, len)) return i;
    return -1;
}

/* Finds the form first (so that messages and checks can name it). */
static int find_form(int argc, char **argv, cli_form *form)
{
    *form = CLI_CLASSIFY;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--")) break;
        for (int f = CLI_CHECK; f < CLI_FORM_COUNT; f++) {
            if (strcmp(argv[i], form_flag[f]) != 0) continue;
            if (*form != CLI_CLASSIFY && *form != (cli_form)f)
                return usage_err(CLI_CLASSIFY, "%s and %s cannot be combined", form_flag[*form],
                                 form_flag[f]);
            *form = (cli_form)f;
        }
    }
    return CLI_OK;
}

int cli_args_parse(int argc, char **argv, cli_args *a)
{
    memset(a, 0, sizeof *a);
    a->resize = -1;
    a->runs = 20;
    a->warmup = 3;
    a->sessions = 1;
    int rc = find_form(argc, argv, &a->form);
    if (rc) return rc;
    a->top = a->form == CLI_CLASSIFY ? 5 : 0;
    a->pos = calloc((size_t)argc + 1, sizeof *a->pos);
    if (!a->pos) return cli_err(CLI_FAIL, "out of memory");
    int only_pos = 0;
    for (int i = 1; i < argc; i++) {
        char *arg = argv[i];
        if (only_pos || arg[0] != '-' || !strcmp(arg, "-")) {
            a->pos[a->n_pos++] = arg;
            continue;
        }
        if (!strcmp(arg, "--")) {
            only_pos = 1;
            continue;
        }
        const char *eq = strchr(arg, '=');
        size_t len = eq ? (size_t)(eq - arg) : strlen(arg);
        int id = find_flag(arg, len);
        if (id < 0) return usage_err(a->form, "unknown option '%.*s'", (int)len, arg);
        const flag_def *fd = &flags[id];
        if (!(fd->forms & (1u << a->form))) {
            if (a->form == CLI_CLASSIFY)
                return usage_err(a->form, "%s is not an option of the classify form", fd->name);
            return usage_err(a->form, "%s is not an option of %s", fd->name, form_flag[a->form]);
        }
        if (!fd->takes_value) {
            if (eq) return usage_err(a->form, "%s takes no value", fd->name);
            set_switch(a, (flag_id)id);
            continue;
        }
        const char *v = eq ? eq + 1 : NULL;
        if (!v) {
            if (i + 1 >= argc) return usage_err(a->form, "%s needs a value", fd->name);
            v = argv[++i];
        }
        rc = set_value(a, (flag_id)id, v);
        if (rc) return rc;
    }
    if (a->help || a->version) return CLI_OK;
    switch (a->form) {
    case CLI_CLASSIFY:
        if (a->n_pos < 2)
            return usage_err(a->form, a->n_pos ? "no image given" : "no model and no image given");
        break;
    case CLI_CHECK:
        if (a->n_pos < 1) return usage_err(a->form, "--check needs at least one test folder");
        break;
    case CLI_INFO:
    case CLI_BENCH:
        if (a->n_pos != 1)
            return usage_err(a->form, "%s takes exactly one model, %d given", form_flag[a->form], a->n_pos);
        break;
    default:
        break;
    }
    return CLI_OK;
}

void cli_args_free(cli_args *a)
{
    if (!a) return;
    free(a->pos);
    a->pos = NULL;
}
