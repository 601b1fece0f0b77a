/*
 * cli_bench.c - `onnxrun --bench MODEL`: times loading, session creation
 * (with planning) and --runs runs on synthetic input (cli_inputs_make),
 * after --warmup untimed ones; prints median and minimum latency and the
 * process's peak RSS. --profile turns on the library's per-node timing
 * during the timed runs and prints the mean time per node and per op type.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "cli.h"

typedef struct node_time {
    const char *op, *name;  /* owned by the session */
    double ms;              /* summed over the timed runs */
} node_time;

typedef struct op_time {
    const char *op;
    int count;
    double ms;
} op_time;

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static int cmp_node_desc(const void *a, const void *b)
{
    double x = ((const node_time *)a)->ms, y = ((const node_time *)b)->ms;
    return (x < y) - (x > y);
}

static int cmp_op_desc(const void *a, const void *b)
{
    double x = ((const op_time *)a)->ms, y = ((const op_time *)b)->ms;
    return (x < y) - (x > y);
}

static void print_profile(node_time *nt, size_t n, int runs)
{
    double total = 0;
    for (size_t i = 0; i < n; i++) total += nt[i].ms;
    if (total <= 0) total = 1;
    qsort(nt, n, sizeof *nt, cmp_node_desc);
    int wop = 2, wname = 4;
    for (size_t i = 0; i < n; i++) {
        size_t lo = strlen(nt[i].op), ln = strlen(nt[i].name);
        if ((int)lo > wop) wop = lo > 32 ? 32 : (int)lo;
        if ((int)ln > wname) wname = ln > 48 ? 48 : (int)ln;
    }
    printf("\nper node (mean of %d runs)\n", runs);
    printf("%-*s  %-*s  %10s  %6s\n", wop, "op", wname, "name", "ms", "share");
    for (size_t i = 0; i < n; i++)
        printf("%-*s  %-*.48s  %10.3f  %5.1f%%\n", wop, nt[i].op, wname, nt[i].name,
               nt[i].ms / runs, 100 * nt[i].ms / total);

    op_time *ot = calloc(n + 1, sizeof *ot);
    if (!ot) return;
    size_t no = 0;
    for (size_t i = 0; i < n; i++) {
        size_t j = 0;
        while (j < no && strcmp(ot[j].op, nt[i].op) != 0) j++;
        if (j == no) ot[no++].op = nt[i].op;
        ot[j].count++;
        ot[j].ms += nt[i].ms;
    }
    qsort(ot, no, sizeof *ot, cmp_op_desc);
    printf("\nper op type (mean of %d runs)\n", runs);
    printf("%-*s  %5s  %10s  %6s\n", wop, "op", "nodes", "ms", "share");
    for (size_t j = 0; j < no; j++)
        printf("%-*s  %5d  %10.3f  %5.1f%%\n", wop, ot[j].op, ot[j].count, ot[j].ms / runs,
               100 * ot[j].ms / total);
    free(ot);
}

/* Runs warmup + timed runs; fills times[runs] and, if nt, the per-node sums. */
static int time_runs(onnxrun_session *s, const onnxrun_model *m, const cli_inputs *in,
                     const cli_args *a, double *times, node_time *nt, size_t n_nodes)
{
    size_t n_out = onnxrun_model_output_count(m);
    onnxrun_tensor *out = calloc(n_out + 1, sizeof *out);
    if (!out) return cli_err(CLI_FAIL, "out of memory");
    int rc = CLI_OK;
    for (int r = 0; r < a->warmup + a->runs && !rc; r++) {
        int timed = r >= a->warmup;
        if (nt && r == a->warmup) onnxrun_session_profile(s, 1);
        double t0 = cli_now_ms();
        if (onnxrun_session_run(s, in->n, in->names, in->t, n_out, NULL, out)) {
            rc = cli_err(CLI_FAIL, "%s", onnxrun_session_error(s));
            break;
        }
        double t = cli_now_ms() - t0;
        if (!timed) continue;
        times[r - a->warmup] = t;
        for (size_t i = 0; nt && i < n_nodes; i++) {
            onnxrun_node_info ni;
            if (onnxrun_session_node(s, i, &ni) == ONNXRUN_OK) nt[i].ms += ni.ms;
        }
    }
    onnxrun_session_profile(s, 0);
    free(out);
    return rc;
}

int cli_bench(const cli_args *a)
{
    const char *path = a->pos[0];
    double t0 = cli_now_ms();
    onnxrun_model *m = cli_load_model(path);
    if (!m) return CLI_FAIL;
    double t_load = cli_now_ms() - t0;
    int spatial = a->has_size ? a->size : cli_size_hint(m);
    int rc = CLI_OK;
    cli_inputs in = { 0 };
    double *times = NULL;
    node_time *nt = NULL;
    size_t n_nodes = 0;

    t0 = cli_now_ms();
    onnxrun_session *s = cli_create_session(m, a->threads);
    if (!s) rc = CLI_FAIL;
    if (!rc) rc = cli_plan_inputs(m, s, a->batch, spatial);
    double t_session = cli_now_ms() - t0;
    if (!rc) rc = cli_inputs_make(m, a->batch, spatial, &in);
    if (!rc) {
        times = calloc((size_t)a->runs, sizeof *times);
        n_nodes = onnxrun_session_node_count(s);
        if (a->profile) nt = calloc(n_nodes + 1, sizeof *nt);
        if (!times || (a->profile && !nt)) rc = cli_err(CLI_FAIL, "out of memory");
    }
    if (!rc) {
        printf("model     %s\n", path);
        for (size_t i = 0; i < in.n; i++) {
            char shape[256];
            cli_format_dims(shape, sizeof shape, in.t[i].rank, in.t[i].dims, NULL);
            printf("input     %s  %s %s\n", in.names[i], onnxrun_dtype_name(in.t[i].dtype), shape);
        }
        if (a->threads) printf("threads   %d\n", a->threads);
        else printf("threads   all cores\n");
        printf("isa       %s\n", onnxrun_isa_name(onnxrun_session_isa(s)));
        printf("load      %.3f ms\n", t_load);
        printf("session   %.3f ms (creation and planning)\n", t_session);
        fflush(stdout);
        rc = time_runs(s, m, &in, a, times, nt, n_nodes);
    }
    if (!rc) {
        qsort(times, (size_t)a->runs, sizeof *times, cmp_double);
        int r = a->runs;
        double median = r % 2 ? times[r / 2] : (times[r / 2 - 1] + times[r / 2]) / 2;
        printf("latency   median %.3f ms, min %.3f ms (%d runs after %d warmup)\n", median, times[0],
               r, a->warmup);
        struct rusage ru;
        if (getrusage(RUSAGE_SELF, &ru) == 0) {
            char b[32];
            cli_format_bytes(b, sizeof b, (uint64_t)ru.ru_maxrss * 1024); /* KiB on Linux */
            printf("peak RSS  %s\n", b);
            onnxrun_memory_info mi;
            if (onnxrun_session_memory(s, &mi) == ONNXRUN_OK) {
                uint64_t sum = mi.weights_bytes + mi.packed_bytes + mi.arena_bytes + mi.scratch_bytes;
                char w[32], p[32], ar[32], sc[32], t[32];
                cli_format_bytes(w, sizeof w, mi.weights_bytes);
                cli_format_bytes(p, sizeof p, mi.packed_bytes);
                cli_format_bytes(ar, sizeof ar, mi.arena_bytes);
                cli_format_bytes(sc, sizeof sc, mi.scratch_bytes);
                cli_format_bytes(t, sizeof t, sum);
                printf("planned   weights %s + packed %s + arena %s + scratch %s = %s "
                       "(peak RSS / planned %.3f)\n", w, p, ar, sc, t,
                       sum ? (double)ru.ru_maxrss * 1024.0 / (double)sum : 0.0);
            }
        }
        if (nt) {
            size_t k = 0;
            for (size_t i = 0; i < n_nodes; i++) {
                onnxrun_node_info ni;
                if (onnxrun_session_node(s, i, &ni) || ni.folded) continue;
                nt[k].op = ni.op_type;
                nt[k].name = ni.name && ni.name[0] ? ni.name : "-";
                nt[k].ms = nt[i].ms;
                k++;
            }
            print_profile(nt, k, r);
        }
    }
    free(nt);
    free(times);
    cli_inputs_free(&in);
    onnxrun_session_free(s);
    onnxrun_model_free(m);
    return rc;
}
