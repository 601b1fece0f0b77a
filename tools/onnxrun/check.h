/*
 * check.h - runs folders in the ONNX test layout (model.onnx plus
 * test_data_set_N/input_K.pb and output_K.pb) and compares the outputs.
 * Shared by `onnxrun --check` and the conformance runner (tests/).
 */
#ifndef ONNXRUN_CHECK_H
#define ONNXRUN_CHECK_H

#include <stdio.h>

#include "onnxrun.h"

typedef struct orc_options {
    double rtol, atol;   /* pass if |out - ref| <= atol + rtol * |ref| everywhere (default 1e-3, 1e-7) */
    double max_rel;      /* if > 0: pass if max|out - ref| <= max_rel * max|ref| instead */
    int topk;            /* if > 0: also require identical top-k indices per row of 2-D outputs */
    int threads;         /* session threads (0 = all cores) */
    onnxrun_isa isa;     /* session ISA (AUTO: the CPU's best) */
    uint64_t max_memory; /* session memory budget (0: none) */
} orc_options;

typedef enum orc_verdict { ORC_PASS, ORC_FAIL, ORC_SKIP } orc_verdict;

typedef struct orc_result {
    orc_verdict verdict;
    int sets;                /* data sets run */
    int sets_failed;
    double worst_abs;        /* max |out - ref| over all outputs and sets */
    double worst_rel;        /* max over outputs of max|out - ref| / max|ref| */
    char reason[1024];       /* why it failed or was skipped ("" on pass) */
} orc_result;

/* Default options. */
orc_options orc_defaults(void);

/* Runs every data set of the test folder dir. If out is non-NULL, prints a
 * line per data set: "PASS|FAIL <dir>/test_data_set_N max_abs .. max_rel ..".
 * Returns res->verdict. A load or session error of kind ONNXRUN_E_UNSUPPORTED
 * makes the verdict SKIP; any other error, FAIL. */
orc_verdict orc_check_dir(const char *dir, const orc_options *opt, FILE *out, orc_result *res);

#endif /* ONNXRUN_CHECK_H */
