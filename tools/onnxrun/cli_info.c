/*
 * cli_info.c - `onnxrun --info MODEL`: the model's inputs and outputs, a
 * layer table in the manner of the CS231n VGG-16 table (per scheduled node:
 * name, op, output shape, activation memory, parameters, MACs), the totals
 * and the memory plan (onnxrun_session_memory).
 *
 * Open dims are planned as cli_concrete_shape says (batch 1 unless
 * --batch). When the model's shapes depend on input values the library
 * defers planning to the first run; then the model is run once on
 * synthetic input to get them.
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static void print_io(const char *kind, const onnxrun_value_info *v)
{
    char shape[256];
    cli_format_dims(shape, sizeof shape, v->rank, v->dims, v->dim_names);
    printf("%-7s %s  %s %s\n", kind, v->name, onnxrun_dtype_name(v->dtype), shape);
}

/* Whether node shapes are known (planning was not deferred to a run). */
static int shapes_known(const onnxrun_session *s)
{
    size_t n = onnxrun_session_node_count(s);
    for (size_t i = 0; i < n; i++) {
        onnxrun_node_info ni;
        if (onnxrun_session_node(s, i, &ni) == ONNXRUN_OK && !ni.folded &&
            ni.output.dtype == ONNXRUN_UNDEFINED)
            return 0;
    }
    return 1;
}

static int run_once(const onnxrun_model *m, onnxrun_session *s, int batch, int spatial)
{
    cli_inputs in;
    int rc = cli_inputs_make(m, batch, spatial, &in);
    if (rc) return rc;
    size_t n_out = onnxrun_model_output_count(m);
    onnxrun_tensor *out = calloc(n_out + 1, sizeof *out);
    if (!out) rc = cli_err(CLI_FAIL, "out of memory");
    else if (onnxrun_session_run(s, in.n, in.names, in.t, n_out, NULL, out))
        rc = cli_err(CLI_FAIL, "%s", onnxrun_session_error(s));
    free(out);
    cli_inputs_free(&in);
    return rc;
}

/* Column widths of the table. */
typedef struct widths {
    int name, op, shape;
} widths;

static int clamp_width(size_t w, int lo, int hi)
{
    return w < (size_t)lo ? lo : w > (size_t)hi ? hi : (int)w;
}

static void print_table(const onnxrun_session *s, uint64_t max_memory)
{
    size_t n = onnxrun_session_node_count(s);
    widths w = { 4, 2, 12 };
    for (size_t i = 0; i < n; i++) {
        onnxrun_node_info ni;
        if (onnxrun_session_node(s, i, &ni)) continue;
        char shape[256];
        cli_format_dims(shape, sizeof shape, ni.output.rank, ni.output.dims, NULL);
        w.name = clamp_width(strlen(ni.name ? ni.name : ""), w.name, 40);
        w.op = clamp_width(strlen(ni.op_type) + (size_t)ni.folded, w.op, 32);
        w.shape = clamp_width(strlen(shape), w.shape, 40);
    }
    printf("%5s  %-*s  %-*s  %-*s  %15s  %11s  %13s  %17s  %-16s  %10s\n", "#", w.name, "name", w.op, "op",
           w.shape, "output shape", "act. values", "act. memory", "params", "MACs", "algorithm", "packed");
    /* packed bytes by algorithm */
    typedef struct algo_bytes { const char *algo; uint64_t bytes; int nodes; } algo_bytes;
    algo_bytes by[16];
    int n_by = 0;
    uint64_t params = 0, macs = 0, act = 0, act_bytes = 0;
    int any_folded = 0;
    for (size_t i = 0; i < n; i++) {
        onnxrun_node_info ni;
        if (onnxrun_session_node(s, i, &ni)) continue;
        char shape[256], op[64], name[64], elems[32], bytes[32], p[32], mc[32];
        int64_t numel = ni.output.dtype == ONNXRUN_UNDEFINED ? 0 : onnxrun_tensor_numel(&ni.output);
        if (numel < 0) numel = 0;
        uint64_t nb = (uint64_t)numel * onnxrun_dtype_size(ni.output.dtype);
        cli_format_dims(shape, sizeof shape, ni.output.rank, ni.output.dims, NULL);
        snprintf(op, sizeof op, "%s%s", ni.op_type, ni.folded ? "*" : "");
        const char *nm = ni.name && ni.name[0] ? ni.name : "-";
        if (strlen(nm) > 40) snprintf(name, sizeof name, "%.37s...", nm);
        else snprintf(name, sizeof name, "%s", nm);
        cli_format_count(elems, sizeof elems, (uint64_t)numel);
        cli_format_bytes(bytes, sizeof bytes, nb);
        cli_format_count(p, sizeof p, ni.params);
        cli_format_count(mc, sizeof mc, ni.macs);
        char pk[32] = "-";
        if (ni.packed_bytes) cli_format_bytes(pk, sizeof pk, ni.packed_bytes);
        const char *algo = ni.algo && ni.algo[0] ? ni.algo : "-";
        printf("%5zu  %-*s  %-*s  %-*s  %15s  %11s  %13s  %17s  %-16s  %10s\n", i + 1, w.name, name, w.op, op,
               w.shape, shape, elems, bytes, p, mc, algo, pk);
        if (ni.packed_bytes) {
            int j = 0;
            while (j < n_by && strcmp(by[j].algo, algo)) j++;
            if (j == n_by && n_by < 16) by[n_by++] = (algo_bytes){ algo, 0, 0 };
            if (j < n_by) by[j].bytes += ni.packed_bytes, by[j].nodes++;
        }
        params += ni.params;
        macs += ni.macs;
        if (ni.folded) {
            any_folded = 1;
        } else {
            act += (uint64_t)numel;
            act_bytes += nb;
        }
    }
    if (any_folded) printf("(* folded: computed once at planning, part of the weights, not run)\n");

    onnxrun_memory_info mem;
    char a[32], b[32], c[32];
    printf("\n");
    cli_format_count(a, sizeof a, params);
    cli_format_bytes(b, sizeof b, params * 4);
    printf("parameters          %s (%s as float32)\n", a, b);
    cli_format_count(a, sizeof a, macs);
    cli_format_si(b, sizeof b, (double)macs);
    printf("MACs                %s (%s)\n", a, b);
    cli_format_count(a, sizeof a, act);
    cli_format_bytes(b, sizeof b, act_bytes);
    printf("activations         %s values, %s (all node outputs, none reused)\n", a, b);
    if (onnxrun_session_memory(s, &mem) == ONNXRUN_OK) {
        cli_format_bytes(a, sizeof a, mem.weights_bytes);
        cli_format_bytes(b, sizeof b, mem.released_bytes);
        printf("weights             %s (initializers in memory and folded constants; %s of the file "
               "released, held packed only)\n", a, b);
        cli_format_bytes(a, sizeof a, mem.arena_bytes);
        cli_format_bytes(b, sizeof b, mem.lower_bound_bytes);
        cli_format_bytes(c, sizeof c, mem.scratch_bytes);
        printf("arena               %s (planned buffer for intermediates)\n", a);
        printf("lower bound         %s (peak of live intermediates)\n", b);
        printf("scratch             %s (largest kernel scratch)\n", c);
        cli_format_bytes(c, sizeof c, mem.packed_bytes);
        printf("packed weights      %s (read transformed by the kernels; the model's, shared by its "
               "sessions)\n", c);
        for (int j = 0; j < n_by; j++) {
            cli_format_bytes(c, sizeof c, by[j].bytes);
            printf("  %-17s %s in %d node%s\n", by[j].algo, c, by[j].nodes, by[j].nodes == 1 ? "" : "s");
        }
        uint64_t total = mem.weights_bytes + mem.packed_bytes + mem.arena_bytes + mem.scratch_bytes;
        cli_format_bytes(c, sizeof c, total);
        printf("plan total          %s (weights + packed + arena + scratch)", c);
        if (max_memory) {
            cli_format_bytes(c, sizeof c, mem.budget_bytes);
            printf(", budget %s (--max-memory)", c);
        }
        printf("\n");
        printf("buffers             %zu (planned tensors that own arena space)\n",
               onnxrun_session_plan_count(s));
        if (mem.lower_bound_bytes)
            printf("arena / lower bound %.3f\n", (double)mem.arena_bytes / (double)mem.lower_bound_bytes);
        else
            printf("arena / lower bound -\n");
    }
}

int cli_info(const cli_args *a)
{
    const char *path = a->pos[0];
    onnxrun_model *m = cli_load_model(path);
    if (!m) return CLI_FAIL;
    int spatial = a->has_size ? a->size : cli_size_hint(m);
    int rc = CLI_OK;
    onnxrun_session *s = cli_create_session(m, a);
    if (!s) rc = CLI_FAIL;

    printf("model   %s (opset %lld)\n", path, (long long)onnxrun_model_opset(m));
    size_t ni = onnxrun_model_input_count(m), no = onnxrun_model_output_count(m);
    for (size_t i = 0; i < ni; i++) {
        onnxrun_value_info v;
        if (onnxrun_model_input(m, i, &v) == ONNXRUN_OK) print_io("input", &v);
    }
    for (size_t i = 0; i < no; i++) {
        onnxrun_value_info v;
        if (onnxrun_model_output(m, i, &v) == ONNXRUN_OK) print_io("output", &v);
    }
    if (!rc) rc = cli_plan_inputs(m, s, a->batch, spatial);
    if (!rc && !shapes_known(s)) {
        printf("(shapes depend on input values: planned by one run on synthetic input)\n");
        rc = run_once(m, s, a->batch, spatial);
    }
    if (!rc) {
        for (size_t i = 0; i < ni; i++) {
            onnxrun_value_info v;
            int64_t dims[ONNXRUN_MAX_RANK];
            char shape[256];
            if (onnxrun_model_input(m, i, &v) || cli_concrete_shape(&v, a->batch, spatial, dims)) continue;
            cli_format_dims(shape, sizeof shape, v.rank, dims, NULL);
            printf("planned %s %s\n", v.name, shape);
        }
        printf("\n");
        print_table(s, a->max_memory);
        if (a->plan_svg) rc = cli_plan_svg(s, a->plan_svg);
    }
    cli_free_session(s);
    onnxrun_model_free(m);
    return rc;
}
