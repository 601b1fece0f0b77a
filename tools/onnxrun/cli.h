/*
 * cli.h - the pieces the forms of the onnxrun command line share: the
 * parsed command line (cli_args, filled by cli_args.c from one table of
 * flags), messages, and the model helpers of cli_model.c.
 *
 * The forms (one file each):
 *   onnxrun MODEL IMAGE|DIR...    cli_classify.c
 *   onnxrun --check DIR...        cli_check.c
 *   onnxrun --info MODEL          cli_info.c
 *   onnxrun --bench MODEL         cli_bench.c
 * Each returns the process exit status: CLI_OK, CLI_FAIL (runtime or model
 * error, failed check) or CLI_USAGE (bad command line). Everything goes
 * through the public API include/onnxrun.h only.
 */
#ifndef ONNXRUN_CLI_H
#define ONNXRUN_CLI_H

#include <stdint.h>
#include <stdio.h>

#include "onnxrun.h"

enum { CLI_OK = 0, CLI_FAIL = 1, CLI_USAGE = 2, CLI_TIMEOUT = 124 /* as timeout(1) */ };

typedef enum cli_form { CLI_CLASSIFY, CLI_CHECK, CLI_INFO, CLI_BENCH, CLI_FORM_COUNT } cli_form;

/* The command line after parsing. `has_*` says a flag was given (so that
 * it overrides the model's metadata); values are already range-checked. */
typedef struct cli_args {
    cli_form form;
    int help, version;
    char **pos;          /* positional arguments, pointers into argv */
    int n_pos;
    /* shared */
    int threads;         /* --threads (0 = all cores) */
    onnxrun_isa isa;     /* --isa (AUTO: the CPU's best, capped by ONNXRUN_ISA) */
    int top;             /* --top K (classify: 5, check: 0 = off) */
    int has_top;
    int batch;           /* --batch N (0 = not given) */
    /* classify */
    int size, has_size;
    float mean[3], std[3], scale;
    int n_mean, n_std, has_scale;
    int bgr, invert, json;
    int resize;          /* -1 = not given, else an or_resize_mode */
    const char *labels;  /* --labels FILE */
    const char *save_input; /* --save-input FILE: the first run's input tensor as a .pb */
    const char *plan_svg;   /* --plan-svg FILE (info): draw the memory plan */
    /* check */
    double rtol, atol, max_rel;
    int has_rtol, has_atol;
    /* bench */
    int runs, warmup, profile;
    double timeout;      /* --timeout S (classify, bench, info): 0 = none */
    uint64_t max_memory; /* --max-memory SIZE: the sessions' budget, 0 = none */
    int sessions;        /* --sessions N (bench): sessions made on the model (default 1) */
} cli_args;

/* --timeout: a watchdog thread that, `seconds` after cli_watch_start,
 * cancels the session made by cli_create_session (and any made later);
 * cli_free_session stops watching one. cli_timed_out: whether it fired. */
void cli_watch_start(double seconds);
void cli_free_session(onnxrun_session *s);
int cli_timed_out(void);

/* Parses argv (argv[0] is the program) into *a. On a bad command line
 * prints "onnxrun: ..." and a hint to stderr and returns CLI_USAGE; on
 * success CLI_OK. a->pos is malloc'd: release with cli_args_free. */
int cli_args_parse(int argc, char **argv, cli_args *a);
void cli_args_free(cli_args *a);

/* "onnxrun: <message>\n" on stderr. Returns `status` for `return cli_err(...)`. */
int cli_err(int status, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Usage text of a form (CLI_FORM_COUNT: the overview of all forms). */
void cli_usage(FILE *f, cli_form form);

/* The forms; each returns the exit status. */
int cli_classify(const cli_args *a);
int cli_check(const cli_args *a);
int cli_info(const cli_args *a);
int cli_bench(const cli_args *a);

/* Draws the session's memory plan as SVG into path (plan_svg.c). */
int cli_plan_svg(const onnxrun_session *s, const char *path);

/* ---- model helpers (cli_model.c) ---- */

/* Loads a model; on failure prints the library's message and returns NULL. */
onnxrun_model *cli_load_model(const char *path);

/* Creates a session with a's threads, ISA and --max-memory, watched by
 * --timeout; on failure prints the message, frees it and returns NULL. */
onnxrun_session *cli_create_session(const onnxrun_model *m, const cli_args *a);
/* The same session, not watched by --timeout (--bench --sessions' extras);
 * free with onnxrun_session_free. */
onnxrun_session *cli_new_session(const onnxrun_model *m, const cli_args *a);

/* The concrete shape to plan input `info` with: dims that are unknown or
 * symbolic become 1, except dim 0 (the batch) which becomes `batch` if
 * batch > 0, and dims 2 and 3 of a rank-4 input which become `spatial` if
 * spatial > 0. Returns CLI_USAGE (after a message) if batch > 0 conflicts
 * with a static batch dim, CLI_FAIL if the rank is not declared. */
int cli_concrete_shape(const onnxrun_value_info *info, int batch, int spatial, int64_t *dims);

/* Plans every model input with cli_concrete_shape; prints and returns
 * non-zero on failure. */
int cli_plan_inputs(const onnxrun_model *m, onnxrun_session *s, int batch, int spatial);

/* A spatial size hint for symbolic H/W: the model's `size` metadata, else 0. */
int cli_size_hint(const onnxrun_model *m);

/* Writes "[1,3,224,224]" (symbolic dims by name, unknown as '?') into buf. */
void cli_format_dims(char *buf, size_t len, int rank, const int64_t *dims, const char *const *names);

/* Writes n with thousands separators ("138,357,544") into buf. */
void cli_format_count(char *buf, size_t len, uint64_t n);

/* Writes a byte count in binary units ("527.8 MiB", "12 B") into buf. */
void cli_format_bytes(char *buf, size_t len, uint64_t bytes);

/* Writes n in SI units ("15.47 G", "812.3 M", "950") into buf. */
void cli_format_si(char *buf, size_t len, double n);

/* Synthetic inputs for every model input, shaped by cli_concrete_shape:
 * float and double get deterministic pseudo-random values uniform in
 * [-1, 1) (the same on every call), other types zeros. */
typedef struct cli_inputs {
    size_t n;
    const char **names;     /* owned by the model */
    onnxrun_tensor *t;      /* t[i].data malloc'd */
} cli_inputs;

/* Fills *in; prints and returns non-zero on failure (then *in is empty).
 * Release with cli_inputs_free. */
int cli_inputs_make(const onnxrun_model *m, int batch, int spatial, cli_inputs *in);
void cli_inputs_free(cli_inputs *in);

/* Monotonic clock in milliseconds. */
double cli_now_ms(void);

/* ---- JSON (json.c) ---- */

/* Writes s as a JSON string literal (quotes included), escaping '"', '\\'
 * and control characters; invalid UTF-8 bytes become U+FFFD. */
void cli_json_string(FILE *f, const char *s);

#endif /* ONNXRUN_CLI_H */
