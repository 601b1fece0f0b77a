/*
 * cli_bench.c - `onnxrun --bench MODEL`: times loading, session creation
 * (with planning) and --runs runs on synthetic input (cli_inputs_make),
 * after --warmup untimed ones; prints median and minimum latency and the
 * process's peak RSS. --profile turns on the library's per-node timing
 * during the timed runs and prints the mean time per node and per op type,
 * with each node's algorithm, GFLOP/s (2 x the layer's direct multiply-adds /
 * time: an effective rate for Winograd) and share
 * of the machine's peak: one core's FMA throughput for the session's ISA,
 * measured here by a loop of independent FMAs, times the threads.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#endif

#include "cli.h"

typedef struct node_time {
    const char *op, *name;  /* owned by the session */
    const char *algo;       /* owned by the library; "" for none */
    uint64_t macs;          /* of one run */
    double ms;              /* summed over the timed runs */
} node_time;

typedef struct op_time {
    const char *op;
    int count;
    uint64_t macs;
    double ms;
} op_time;

/* ---- peak: one core's FMA throughput (GFLOP/s), measured ---- */

#define PEAK_ITERS 4000000L

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define FMA_CHAINS(X) X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7) X(8) X(9) X(10) X(11)
/* name(): twelve independent chains of vector FMAs (type V, lanes floats
 * each) timed over PEAK_ITERS steps; GFLOP/s. */
#define PEAK_FN(name, tgt, V, set1, lanes)                                              \
    __attribute__((target(tgt))) static double name(void)                               \
    {                                                                                   \
        V x = set1(0.999999f), y = set1(1e-7f);                                         \
        FMA_CHAINS(PEAK_DECL_##name)                                                    \
        double t0 = cli_now_ms();                                                       \
        for (long it = 0; it < PEAK_ITERS; it++) { FMA_CHAINS(PEAK_STEP_##name) }      \
        double ms = cli_now_ms() - t0;                                                  \
        float out[lanes], sum = 0;                                                      \
        FMA_CHAINS(PEAK_SUM_##name)                                                     \
        volatile float sink = sum;                                                      \
        (void)sink;                                                                     \
        return ms > 0 ? 12.0 * 2.0 * (lanes) * PEAK_ITERS / (ms * 1e6) : 0;            \
    }
#define PEAK_DECL_peak_avx512(i) __m512 a##i = _mm512_set1_ps((float)i);
#define PEAK_STEP_peak_avx512(i) a##i = _mm512_fmadd_ps(a##i, x, y);
#define PEAK_SUM_peak_avx512(i) _mm512_storeu_ps(out, a##i); sum += out[0];
#define PEAK_DECL_peak_avx2(i) __m256 a##i = _mm256_set1_ps((float)i);
#define PEAK_STEP_peak_avx2(i) a##i = _mm256_fmadd_ps(a##i, x, y);
#define PEAK_SUM_peak_avx2(i) _mm256_storeu_ps(out, a##i); sum += out[0];
PEAK_FN(peak_avx512, "avx512f", __m512, _mm512_set1_ps, 16)
PEAK_FN(peak_avx2, "avx2,fma", __m256, _mm256_set1_ps, 8)
#endif

/* One core's peak for the ISA (the portable kernels are measured against
 * what AVX2 could do); 0 when it cannot be measured here. */
static double core_peak(onnxrun_isa isa)
{
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
    if (isa == ONNXRUN_ISA_AVX512) return peak_avx512();
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return peak_avx2();
#else
    (void)isa;
#endif
    return 0;
}

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

/* "123.4" GFLOP/s and "45%" of peak into g and p, or "-" without multiply-adds. */
static void rate(char *g, char *p, size_t len, uint64_t macs, double ms, double peak)
{
    if (!macs || ms <= 0) {
        snprintf(g, len, "-");
        snprintf(p, len, "-");
        return;
    }
    double gf = 2.0 * (double)macs / (ms * 1e6);
    snprintf(g, len, "%.1f", gf);
    if (peak > 0) snprintf(p, len, "%.0f%%", 100.0 * gf / peak);
    else snprintf(p, len, "-");
}

static void print_profile(node_time *nt, size_t n, int runs, double peak)
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
    char g[32], p[32];
    if (peak > 0) printf("\npeak      %.1f GFLOP/s (measured FMA throughput x threads)\n", peak);
    printf("\nper node (mean of %d runs)\n", runs);
    printf("%-*s  %-*s  %10s  %6s  %8s  %5s  %s\n", wop, "op", wname, "name", "ms", "share",
           "GFLOP/s", "peak", "algorithm");
    for (size_t i = 0; i < n; i++) {
        rate(g, p, sizeof g, nt[i].macs, nt[i].ms / runs, peak);
        printf("%-*s  %-*.48s  %10.3f  %5.1f%%  %8s  %5s  %s\n", wop, nt[i].op, wname, nt[i].name,
               nt[i].ms / runs, 100 * nt[i].ms / total, g, p, nt[i].algo);
    }

    op_time *ot = calloc(n + 1, sizeof *ot);
    if (!ot) return;
    size_t no = 0;
    for (size_t i = 0; i < n; i++) {
        size_t j = 0;
        while (j < no && strcmp(ot[j].op, nt[i].op) != 0) j++;
        if (j == no) ot[no++].op = nt[i].op;
        ot[j].count++;
        ot[j].macs += nt[i].macs;
        ot[j].ms += nt[i].ms;
    }
    qsort(ot, no, sizeof *ot, cmp_op_desc);
    printf("\nper op type (mean of %d runs)\n", runs);
    printf("%-*s  %5s  %10s  %6s  %8s  %5s\n", wop, "op", "nodes", "ms", "share", "GFLOP/s", "peak");
    for (size_t j = 0; j < no; j++) {
        rate(g, p, sizeof g, ot[j].macs, ot[j].ms / runs, peak);
        printf("%-*s  %5d  %10.3f  %5.1f%%  %8s  %5s\n", wop, ot[j].op, ot[j].count, ot[j].ms / runs,
               100 * ot[j].ms / total, g, p);
    }
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

/* One more session on m (--sessions), planned like the first and run once. */
static int bench_extra_session(const onnxrun_model *m, const cli_args *a, int spatial, const cli_inputs *in,
                               onnxrun_session **out)
{
    onnxrun_session *s = cli_new_session(m, a);
    if (!s) return CLI_FAIL;
    *out = s;
    int rc = cli_plan_inputs(m, s, a->batch, spatial);
    size_t n_out = onnxrun_model_output_count(m);
    onnxrun_tensor *o = calloc(n_out + 1, sizeof *o);
    if (!rc && !o) rc = cli_err(CLI_FAIL, "out of memory");
    if (!rc && onnxrun_session_run(s, in->n, in->names, in->t, n_out, NULL, o))
        rc = cli_err(CLI_FAIL, "%s", onnxrun_session_error(s));
    free(o);
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
    onnxrun_session *s = cli_create_session(m, a);
    if (!s) rc = CLI_FAIL;
    if (!rc) rc = cli_plan_inputs(m, s, a->batch, spatial);
    double t_session = cli_now_ms() - t0;
    if (!rc) rc = cli_inputs_make(m, a->batch, spatial, &in);
    /* --sessions: more sessions on the model, each run once and kept */
    onnxrun_session *more[64] = { 0 };
    double t_more = cli_now_ms();
    for (int i = 1; !rc && i < a->sessions; i++)
        rc = bench_extra_session(m, a, spatial, &in, &more[i]);
    t_more = cli_now_ms() - t_more;
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
        if (a->sessions > 1)
            printf("sessions  %d (%d more made and run once in %.3f ms)\n", a->sessions, a->sessions - 1,
                   t_more);
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
                /* the weights and packed forms are the model's: every further
                 * session adds its own arena and scratch */
                uint64_t own = mi.arena_bytes + mi.scratch_bytes;
                sum += (uint64_t)(a->sessions - 1) * own;
                cli_format_bytes(t, sizeof t, sum);
                printf("planned   weights %s + packed %s + arena %s + scratch %s%s = %s "
                       "(peak RSS / planned %.3f)\n", w, p, ar, sc,
                       a->sessions > 1 ? " (per session)" : "", t,
                       sum ? (double)ru.ru_maxrss * 1024.0 / (double)sum : 0.0);
                char sh[32], rel[32];
                cli_format_bytes(sh, sizeof sh, mi.shared_bytes);
                cli_format_bytes(rel, sizeof rel, mi.released_bytes);
                printf("shared    packed forms of the model %s; weight bytes released once packed %s\n", sh, rel);
                if (mi.budget_bytes && a->max_memory) {
                    char bu[32];
                    cli_format_bytes(bu, sizeof bu, mi.budget_bytes);
                    printf("budget    %s (--max-memory)\n", bu);
                }
            }
        }
        if (nt) {
            size_t k = 0;
            for (size_t i = 0; i < n_nodes; i++) {
                onnxrun_node_info ni;
                if (onnxrun_session_node(s, i, &ni) || ni.folded) continue;
                nt[k].op = ni.op_type;
                nt[k].name = ni.name && ni.name[0] ? ni.name : "-";
                nt[k].algo = ni.algo ? ni.algo : "";
                nt[k].macs = ni.fused ? 0 : ni.macs;
                nt[k].ms = nt[i].ms;
                k++;
            }
            long cores = sysconf(_SC_NPROCESSORS_ONLN);
            int threads = a->threads > 0 ? a->threads : (int)(cores > 0 ? cores : 1);
            if (cores > 0 && threads > cores) threads = (int)cores;
            print_profile(nt, k, r, core_peak(onnxrun_session_isa(s)) * threads);
        }
    }
    free(nt);
    free(times);
    cli_inputs_free(&in);
    for (int i = 1; i < a->sessions; i++) onnxrun_session_free(more[i]);
    cli_free_session(s);
    onnxrun_model_free(m);
    return rc;
}
