/*
 * cli_check.c - `onnxrun --check DIR...`: runs folders in the ONNX test
 * layout through orc_check_dir (check.h), which prints a PASS/FAIL/SKIP
 * line per data set. A folder without model.onnx is searched one level down
 * (so the whole of libonnx-testdata's node/ folder can be given). Exit
 * status 0 only if every data set of every folder passed.
 */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "check.h"
#include "cli.h"

typedef struct tally {
    int passed, failed, skipped;
} tally;

static int is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static int has_model(const char *dir)
{
    char path[4096];
    struct stat st;
    int n = snprintf(path, sizeof path, "%s/model.onnx", dir);
    return n > 0 && (size_t)n < sizeof path && stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

static void check_one(const char *dir, const orc_options *opt, tally *t)
{
    orc_result r;
    orc_verdict v = orc_check_dir(dir, opt, stdout, &r);
    if (r.sets == 0) /* nothing was printed: the model did not load, or no data sets */
        printf("%s %s  %s\n", v == ORC_SKIP ? "SKIP" : v == ORC_PASS ? "PASS" : "FAIL", dir, r.reason);
    if (v == ORC_PASS) t->passed++;
    else if (v == ORC_SKIP) t->skipped++;
    else t->failed++;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Checks every subfolder of dir that holds a model.onnx, in name order. */
static int check_tree(const char *dir, const orc_options *opt, tally *t)
{
    DIR *d = opendir(dir);
    if (!d) return cli_err(CLI_FAIL, "%s: cannot open the folder", dir);
    char **names = NULL;
    size_t n = 0, cap = 0;
    int rc = CLI_OK;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        char path[4096];
        int w = snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        if (w < 0 || (size_t)w >= sizeof path || !has_model(path)) continue;
        if (n == cap) {
            cap = cap ? 2 * cap : 64;
            char **nn = realloc(names, cap * sizeof *nn);
            if (!nn) {
                rc = cli_err(CLI_FAIL, "out of memory");
                break;
            }
            names = nn;
        }
        if (!(names[n] = strdup(path))) {
            rc = cli_err(CLI_FAIL, "out of memory");
            break;
        }
        n++;
    }
    closedir(d);
    if (!rc && n == 0) rc = cli_err(CLI_FAIL, "%s: no model.onnx in it or in its subfolders", dir);
    if (!rc) {
        qsort(names, n, sizeof *names, cmp_str);
        for (size_t i = 0; i < n; i++) check_one(names[i], opt, t);
    }
    for (size_t i = 0; i < n; i++) free(names[i]);
    free(names);
    return rc;
}

int cli_check(const cli_args *a)
{
    orc_options opt = orc_defaults();
    if (a->has_rtol) opt.rtol = a->rtol;
    if (a->has_atol) opt.atol = a->atol;
    opt.max_rel = a->max_rel;
    opt.topk = a->top;
    opt.threads = a->threads;
    opt.max_memory = a->max_memory;
    opt.isa = a->isa;
    tally t = { 0 };
    int rc = CLI_OK;
    for (int i = 0; i < a->n_pos; i++) {
        const char *dir = a->pos[i];
        if (!is_dir(dir)) {
            rc = cli_err(CLI_FAIL, "%s: not a folder", dir);
            continue;
        }
        if (has_model(dir)) check_one(dir, &opt, &t);
        else if (check_tree(dir, &opt, &t)) rc = CLI_FAIL;
        fflush(stdout);
    }
    int folders = t.passed + t.failed + t.skipped;
    if (folders > 1)
        printf("%d folders: %d passed, %d failed, %d skipped\n", folders, t.passed, t.failed, t.skipped);
    return rc || t.failed || t.skipped ? CLI_FAIL : CLI_OK;
}
