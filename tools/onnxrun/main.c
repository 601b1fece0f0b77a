/*
 * main.c - the onnxrun command line: parses the arguments (cli_args.c),
 * prints help and version, and hands over to the chosen form
 * (cli_classify.c, cli_check.c, cli_info.c, cli_bench.c).
 *
 * Exit status: 0 on success, 1 on a runtime or model error (or a failed
 * check), 2 on a bad command line.
 */
#include <stdio.h>

#include "cli.h"

static const char *const usage_text[CLI_FORM_COUNT + 1] = {
    [CLI_CLASSIFY] =
        "Usage: onnxrun [OPTIONS] MODEL IMAGE|DIR...\n"
        "Classifies JPEG/PNG images (every JPEG/PNG of a DIR, sorted) with an image model\n"
        "whose first input is float (N, C, H, W), C = 3 (RGB) or 1 (grayscale), and prints\n"
        "the top classes: rank, probability, class index, label. Preprocessing follows the\n"
        "model's metadata (mean, std, scale, size, labels, channel_order, resize, invert);\n"
        "the flags override it. Default: ImageNet (resize the shorter side to 256/224 of the\n"
        "input size, centre crop, mean 0.485,0.456,0.406, std 0.229,0.224,0.225).\n"
        "\n"
        "  --top K            print the K most probable classes (default 5)\n"
        "  --json             one JSON object per image on stdout\n"
        "  --labels FILE      class labels, one per line (default: metadata, else ImageNet's)\n"
        "  --size N           input height and width when the model leaves them open\n"
        "  --mean A[,B,C]     per-channel mean, in the model's channel order\n"
        "  --std A[,B,C]      per-channel standard deviation, in the model's channel order\n"
        "  --scale S          pixel scale before mean/std (default 1/255)\n"
        "  --bgr              feed channels in B,G,R order\n"
        "  --invert           feed 255 - pixel (white-on-black digit models)\n"
        "  --resize crop|direct  shorter side to 256/224 then centre crop, or straight resize\n"
        "  --batch N          images per run when the batch axis is dynamic (default 32)\n"
        "  --save-input FILE  write the first run's preprocessed input tensor (N,C,H,W) to FILE\n"
        "                     as a serialized ONNX TensorProto (.pb), named as the model's input\n"
        "  --timeout S        stop the runs after S seconds (exit status 124)\n"
        "  --max-memory SIZE  plan the session to this much memory (600M, 2G): weights held,\n"
        "                     packed weights, arena, scratch; slower algorithms where needed\n"
        "  --threads N        threads (default 0 = all cores)\n"
        "  --isa NAME         kernels' instruction set: portable, avx2 or avx512 (default: the\n"
        "                     CPU's best, capped by the environment variable ONNXRUN_ISA)\n",
    [CLI_CHECK] =
        "Usage: onnxrun --check [OPTIONS] DIR...\n"
        "Runs folders in the ONNX test layout (DIR/model.onnx, DIR/test_data_set_N/input_K.pb\n"
        "and output_K.pb) and compares the outputs with the references. A DIR without\n"
        "model.onnx is searched one level down for such folders. Prints PASS or FAIL per\n"
        "data set with the worst absolute and relative errors; the exit status is 0 only\n"
        "if every data set passes.\n"
        "\n"
        "  --rtol R           pass if |out - ref| <= atol + rtol * |ref| (default 1e-3)\n"
        "  --atol A           (default 1e-7)\n"
        "  --max-rel R        pass if max|out - ref| <= R * max|ref| instead\n"
        "  --top K            also require identical top-K indices per row of 2-D outputs\n"
        "  --max-memory SIZE  plan each session to this much memory (600M, 2G)\n"
        "  --threads N        threads (default 0 = all cores)\n"
        "  --isa NAME         kernels' instruction set: portable, avx2 or avx512 (default: the\n"
        "                     CPU's best, capped by the environment variable ONNXRUN_ISA)\n",
    [CLI_INFO] =
        "Usage: onnxrun --info [OPTIONS] MODEL\n"
        "Prints the model's inputs and outputs and its layer table: for each scheduled node\n"
        "its name, op, output shape, activation memory, parameters and multiply-accumulates;\n"
        "then the totals and the planned memory (arena, its lower bound, scratch).\n"
        "Open dims are planned as 1 (the batch as --batch, H and W as --size or the\n"
        "model's size metadata).\n"
        "\n"
        "  --batch N          batch size to plan with\n"
        "  --size N           height and width to plan with when the model leaves them open\n"
        "  --plan-svg FILE    draw the memory plan: steps left to right, arena offsets bottom\n"
        "                     to top, one rectangle per planned tensor, the lower bound as a line\n"
        "  --timeout S        stop the runs after S seconds (exit status 124)\n"
        "  --max-memory SIZE  plan the session to this much memory (600M, 2G): weights held,\n"
        "                     packed weights, arena, scratch; slower algorithms where needed\n"
        "  --threads N        threads (default 0 = all cores)\n"
        "  --isa NAME         kernels' instruction set: portable, avx2 or avx512 (default: the\n"
        "                     CPU's best, capped by the environment variable ONNXRUN_ISA)\n",
    [CLI_BENCH] =
        "Usage: onnxrun --bench [OPTIONS] MODEL\n"
        "Times the model on a deterministic pseudo-random input of its shape (integer\n"
        "inputs get zeros): session creation, median and minimum latency, peak RSS.\n"
        "\n"
        "  --runs N           timed runs (default 20)\n"
        "  --warmup N         untimed runs first (default 3)\n"
        "  --profile          per-node and per-op time table\n"
        "  --sessions N       make N sessions on the model (each run once) before timing the\n"
        "                     first: shows what they share (default 1)\n"
        "  --timeout S        stop the runs after S seconds (exit status 124)\n"
        "  --max-memory SIZE  plan the session to this much memory (600M, 2G): weights held,\n"
        "                     packed weights, arena, scratch; slower algorithms where needed\n"
        "  --batch N          batch size when the batch axis is dynamic (default 1)\n"
        "  --size N           height and width when the model leaves them open\n"
        "  --threads N        threads (default 0 = all cores)\n"
        "  --isa NAME         kernels' instruction set: portable, avx2 or avx512 (default: the\n"
        "                     CPU's best, capped by the environment variable ONNXRUN_ISA)\n",
    [CLI_FORM_COUNT] =
        "Usage: onnxrun [OPTIONS] MODEL IMAGE|DIR...   classify images\n"
        "       onnxrun --check [OPTIONS] DIR...         run ONNX test folders\n"
        "       onnxrun --info [OPTIONS] MODEL           layer table and memory plan\n"
        "       onnxrun --bench [OPTIONS] MODEL          time the model\n"
        "       onnxrun --version\n"
        "'onnxrun --help' shows the classify options, 'onnxrun --check --help' (and so on)\n"
        "those of the other forms.\n",
};

void cli_usage(FILE *f, cli_form form)
{
    if ((unsigned)form > CLI_FORM_COUNT) form = CLI_FORM_COUNT;
    fputs(usage_text[form], f);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        cli_usage(stderr, CLI_FORM_COUNT);
        return CLI_USAGE;
    }
    cli_args a;
    int rc = cli_args_parse(argc, argv, &a);
    if (rc) {
        cli_args_free(&a);
        return rc;
    }
    if (a.version) {
        printf("onnxrun %s\n", onnxrun_version());
    } else if (a.help) {
        if (a.form == CLI_CLASSIFY) {
            cli_usage(stdout, CLI_FORM_COUNT);
            fputc('\n', stdout);
        }
        cli_usage(stdout, a.form);
    } else {
        if (a.timeout > 0) cli_watch_start(a.timeout);
        switch (a.form) {
        case CLI_CHECK: rc = cli_check(&a); break;
        case CLI_INFO: rc = cli_info(&a); break;
        case CLI_BENCH: rc = cli_bench(&a); break;
        default: rc = cli_classify(&a); break;
        }
    }
    if (a.timeout > 0 && cli_timed_out() && rc != CLI_OK)
        rc = cli_err(CLI_TIMEOUT, "stopped by --timeout %g s", a.timeout);
    cli_args_free(&a);
    if (fflush(stdout) != 0 && rc == CLI_OK) rc = cli_err(CLI_FAIL, "cannot write to stdout");
    return rc;
}
