/*
 * conv.c - Conv and ConvTranspose on float32 tensors of any spatial rank
 * (N, C, D1, ..., Dn). Relies on window.c for the attribute geometry,
 * conv_im2col.c for the data-movement loops, conv_gemm.c for Conv's matrix
 * products, conv_winograd.c, and the BLAS's sgemm (blas.h) for ConvTranspose.
 *
 * Conv chooses its algorithm at infer, per group:
 *   1x1    kernel all ones, stride 1, no padding: Y_g = W_g * X_g, one
 *          product straight on the input;
 *   direct one input channel per group (depthwise, any multiplier): per
 *          output plane, the vector kernel of conv_depthwise.c (2-D, stride
 *          1 or 2) or the generic multiply-add loop (conv_im2col.c);
 *   winograd 3x3, stride 1, one group, weights known at infer and layers big
 *          enough to pay (wino_tile): F(4x4, 3x3), or F(2x2, 3x3) when 4x4
 *          tiles would be few (conv_winograd.c), the weights transformed
 *          and packed at infer (the model's copy, or_pack_get);
 *   indirect 2-D, one group, no dilation, output rows of IND_MIN_OW or
 *          more, AVX-512, weights known: the 6 x 32 kernel reads each tap's
 *          row of windows in place from lines of the input (split by phase
 *          along the row for strides), through a pointer per tap (see
 *          indirect_rows); the first layers of resnet50, googlenet, alexnet;
 *   im2col otherwise: the input windows of a tile of output positions are
 *          gathered into scratch (K x tile, K = C/group * kernel size) and
 *          Y_g[:, tile] = W_g * col; tiles stay within IM2COL_BUDGET bytes
 *          and each thread gathers and multiplies whole tiles in its own
 *          scratch (a tile written on one core and read on another cost
 *          resnet50's conv1 all its 2-thread gain; in the mv layout, at
 *          layer3.0.conv2, 1.83 ms against 0.97 on per-thread tiles).
 *          Except when the weights outgrow the tile budget and all columns
 *          fit IM2COL_WHOLE_MAX ("im2col 1 tile": resnet50's layer3.0 /
 *          layer4.0 strided layers): then per-thread tiles would each
 *          stream the weights from memory, so one tile of all columns is
 *          gathered by all threads and each multiplies its own run of rows
 *          (or_gemm.split_rows; at 2 threads layer3.0.downsample 1.13 ->
 *          0.84 ms, layer4.0.conv2 1.23 -> 0.97).
 * Weights known at infer are packed then (or_gemm_pack, read as one stream
 * per row panel), into the model's store (or_pack_get: made once, shared by
 * the sessions; the original is then released, interp/weights.c);
 * others are read in place. The products add the bias and apply the fused
 * epilogue (k->post: residual add and activation, see op.h) as they store
 * each block; the depthwise loop does it per plane. Work is split over the
 * session's threads in runs with stealing where a thread should take the
 * positions it wrote before (im2col tiles, Winograd tile rows, indirect
 * output rows, 1x1 columns: or_parallel_steal), dynamically elsewhere
 * (or_parallel_dyn, parallel.h).
 *
 * ConvTranspose is the adjoint: per tile of input positions,
 * col = W_g^T * X_g (sgemm), then col2im scatter-adds col into Y.
 */
#include <limits.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "blas.h"
#include "conv_depthwise.h"
#include "conv_gemm.h"
#include "conv_im2col.h"
#include "conv_implicit.h"
#include "conv_winograd.h"
#include "isa.h"
#include "rowops.h"

#define COL_BUDGET ((int64_t)4 << 20) /* bytes of Winograd phase scratch to aim for */
/* bytes of im2col column scratch per thread: the tile stays in the core's
 * L2 beside a block of A while the GEMM reads it (resnet50, 1 thread:
 * 4 MiB tiles 56.9 ms, 512 KiB 54.8, 256 KiB 59.2, 1 MiB 58.4) */
#define IM2COL_BUDGET ((int64_t)512 << 10)
#define TILE_UNIT 16 /* im2col tiles are whole multiples of this many columns */
/* im2col in one tile of all columns, shared by the threads, when the
 * weights are more than a tile's L2 budget (per-tile products would each
 * stream them from memory again: resnet50's layer3.0/layer4.0 strided
 * convolutions read their 2.4 / 9.4 MiB 4-5 times per run) and the whole
 * column matrix is at most this */
#define IM2COL_WHOLE_MAX ((int64_t)2 << 20)
#define WINO_BLOCK_BUDGET ((int64_t)256 << 10) /* V and M of one thread's block */
#define WINO_MIN_COLS 64 /* tiles per product worth a chunk of their own (wino_run) */
#define WINO_BLOCK_MAX_U ((double)(1 << 20)) /* transformed weights that blocks may re-read */

#define IND_BAND_BUDGET ((int64_t)256 << 10) /* bytes of input lines per thread (L2) */
#define IND_MIN_OW 48 /* output rows at least this wide take ALGO_INDIRECT (AVX-512) */
#define IND_MAX_A ((double)(256 << 10)) /* ... when their weights are at most this many bytes */
/* Windows of more than one tap that would take im2col take ALGO_IMPLICIT
 * (AVX-512) when their channels fill 3/4 of the 64-lane blocks (lenet's 6
 * and 16 channels: the whole model 0.042 ms against im2col's 0.022,
 * unguarded), up to this K, where a block's weights (K x 64 floats) stay
 * in L2 while the positions pass. Per node, min of 3 interleaved rounds
 * under quiet-run (foreign <= 2%), im2col -> implicit at 1 / 2 threads:
 * resnet50's layer2.0.conv2 (3x3 s2, K 1152) 1.59 -> 1.49 / 1.02 -> 0.97
 * ms, layer3.0.conv2 (K 2304) 1.57 -> 1.48 / 1.09 -> 1.02, alexnet's
 * features.3 (5x5, K 1600 at 27x27) 3.04 -> 2.39 / 1.84 -> 1.47. Without
 * the guard: layer4.0.conv2 (K 4608, 1.1 MiB a block) 1.60 -> 1.78 at 1,
 * so it stays with im2col; 1x1 stride-2 layers were slower (resnet50's
 * downsample 512 -> 1024 at 14x14: 1.18 -> 1.33 ms alone): a run's 512
 * input lines, one per channel, outgrow L1 with no tap to reuse them */
#define IMPL_MAX_K 3072
/* Wide rows with a stride of IMPL_WIDE_STRIDE or more and K of at least
 * IMPL_WIDE_MIN_K take ALGO_IMPLICIT rather than ALGO_INDIRECT (which
 * copies a line per phase of the stride): alexnet's 11x11 stride-4 first
 * layer (K 363, 55 outputs a row) in the model, min / median of 6
 * interleaved rounds under quiet-run (foreign <= 3.9%), indirect ->
 * implicit: 1.08 / 1.31 -> 0.91 / 0.96 ms at 1 thread, 0.59 / 0.67 ->
 * 0.62 / 0.70 at 2. tools/conv_rules (ReLU fused, 1 / 2 threads): 11x11
 * s4 0.99 / 0.66 -> 0.84 / 0.87 ms; 7x7 s4 (K 147) 0.45 / 0.30 -> 0.37 /
 * 0.27 and 5x5 s4 (K 75) 0.27 / 0.18 -> 0.23 / 0.15, not checked in a
 * model (hence the bound); stride 2 stays indirect (resnet50's 7x7 s2:
 * 1.39 / 0.80 -> 1.47 / 0.89). */
/* 1x1 layers with K of at least IMPL_1X1_MIN_K on (IMPL_1X1_OUT_MIN,
 * IMPL_1X1_OUT_MAX] positions (14x14) take ALGO_IMPLICIT too: resnet50's
 * layer3 conv1 (1024 -> 256) and layer4.0.conv1 (1024 -> 512). In the
 * model, min of 4 interleaved rounds under quiet-run (foreign <= 1.7%),
 * gemm -> implicit at 1 thread: layer3.x conv1 0.62-0.66 -> 0.55-0.58 ms,
 * layer4.0.conv1 1.25 -> 1.14; at 2 threads (6 rounds, foreign <= 2.6%)
 * level: the five 0.370-0.382 -> 0.347-0.394, layer4.0.conv1 0.73 ->
 * 0.65. Not below: K 512 (layer4's conv3, 512 -> 2048 at 7x7) 0.42 ->
 * 0.55 at 2 threads; 7x7 outputs with K 2048 (layer4's conv1, the mv
 * layout's) 0.64 -> 0.76 at 1 */
#define IMPL_1X1_MIN_K 1024
#define IMPL_1X1_OUT_MIN 64
#define IMPL_1X1_OUT_MAX 196
#define IMPL_WIDE_STRIDE 4
#define IMPL_WIDE_MIN_K 256
#define WINO_SMALL_OUT 196 /* output positions (14x14) ... */
#define WINO_SMALL_CM 8192.0 /* ... and channels in x out up to which 3x3 layers skip Winograd */

typedef enum conv_algo {
    ALGO_1X1, ALGO_DIRECT, ALGO_IM2COL, ALGO_WINOGRAD, ALGO_INDIRECT, ALGO_IMPLICIT, ALGO_GRID
} conv_algo;

typedef struct conv_params {
    /* attributes (init) */
    or_window_attrs attrs;
    int64_t group;
    size_t n_output_padding, n_output_shape;          /* ConvTranspose */
    int64_t output_padding[OR_WIN_MAX];
    int64_t output_shape[OR_WIN_MAX + 2];
    /* geometry (infer); for ConvTranspose w.in is X's and w.out Y's spatial shape */
    or_window w;
    int64_t batch;      /* N */
    int64_t c, m;       /* input and output channels */
    int64_t cg, mg;     /* per group */
    int64_t kdim;       /* rows of the column matrix: Conv cg * kernel, ConvTranspose mg * kernel */
    int64_t tile;       /* columns per tile (im2col: the largest tile) */
    int64_t tiles;      /* im2col: tiles of TILE_UNIT columns (tile_at) */
    bool whole;         /* im2col: one tile of all columns, its product split by rows */
    conv_algo algo;
    or_wino wino;       /* ALGO_WINOGRAD geometry */
    bool batch_split;   /* threads take whole batch items, each planned for 1 thread */
    int threads;        /* threads the algorithms are planned for (1 when batch_split) */
    size_t item_scratch; /* batch_split: scratch bytes per thread */
    bool wino_blocks;   /* each thread takes a run of tile rows through all three
                         * phases, in its own scratch (else the phases split) */
    /* ALGO_INDIRECT: floats per input line, output rows per band, input
     * rows per band; per thread, the row pointers' bytes (the lines follow)
     * and all its scratch bytes */
    int64_t ind_lw, ind_rows, ind_rows_in;
    size_t ind_ptrs, ind_bytes;
    /* ALGO_IMPLICIT (and ALGO_GRID: impl_hp, impl_wp): the input planes as
     * the kernel reads them (hp x wp: padded, a copy at the start of the
     * scratch when pad), and the scratch offset of the column offsets
     * (int32, one per k) */
    int64_t impl_hp, impl_wp;
    bool impl_pad;
    size_t impl_koff;
    /* ALGO_GRID: floats per thread of the padded planes of a group (with
     * slack past the last), of its products on the grid, and its rows */
    int64_t grid_planes, grid_out;
    size_t grid_bytes;
    or_dw dw;           /* ALGO_DIRECT: the vector kernel's geometry */
    bool dw_vec;        /* ALGO_DIRECT through or_dw_plane */
    /* weights packed at infer (or_gemm_pack) when known then, else NULL:
     * ALGO_WINOGRAD: the 36 (or 16) U_f; otherwise one matrix per group */
    const float *pack;  /* k->pack's data (the model's, or_pack_get) */
    size_t pack_step;   /* floats per packed matrix */
    bool packed;        /* pack holds this plan's weights */
    bool mv;            /* ... in the mv layout (or_gemm_pack_mv: few columns, AVX-512) */
} conv_params;

static or_status conv_init(or_kernel *k)
{
    conv_params *p = k->params;
    OR_TRY(or_window_read(k, OR_WIN_DILATIONS, &p->attrs));
    OR_TRY(or_attr_int(k, "group", 1, &p->group));
    OR_CHECK(k, p->group >= 1 && p->group <= INT_MAX,
             "attribute 'group' = %lld must be at least 1", (long long)p->group);
    if (strcmp(k->def->op_type, "ConvTranspose") == 0) {
        OR_TRY(or_attr_ints(k, "output_padding", OR_WIN_MAX, p->output_padding,
                            &p->n_output_padding));
        OR_TRY(or_attr_ints(k, "output_shape", OR_WIN_MAX + 2, p->output_shape,
                            &p->n_output_shape));
        for (size_t i = 0; i < p->n_output_shape; i++)
            OR_CHECK(k, p->output_shape[i] >= 0 && p->output_shape[i] < ((int64_t)1 << 40),
                     "attribute 'output_shape'[%zu] = %lld is out of range", i,
                     (long long)p->output_shape[i]);
    }
    return ONNXRUN_OK;
}

/* Checks what Conv and ConvTranspose share: types, ranks, bias length. */
static or_status check_inputs(or_kernel *k, int64_t bias_len)
{
    const or_tensor *x = or_in(k, 0), *w = or_in(k, 1), *b = or_in(k, 2);
    OR_CHECK(k, x && w, "inputs X and W are required");
    for (size_t i = 0; i < 3; i++) OR_TRY(or_check_dtype(k, i, ONNXRUN_FLOAT, ONNXRUN_UNDEFINED));
    OR_CHECK_SHAPE(k, x->rank >= 3, "input X has rank %d; expected N x C x D1 ... (rank >= 3)",
                   x->rank);
    OR_CHECK_SHAPE(k, w->rank == x->rank, "weight W has rank %d but X has rank %d", w->rank,
                   x->rank);
    if (b)
        OR_CHECK_SHAPE(k, b->rank == 1 && b->dims[0] == bias_len,
                       "bias B must be 1-D of length %lld", (long long)bias_len);
    return ONNXRUN_OK;
}

/* Columns per tile so that kdim x tile floats fit the budget (at least 1,
 * also for no columns: an empty output from an empty input under auto_pad). */
static int64_t tile_cols(int64_t kdim, int64_t cols)
{
    int64_t t = kdim > 0 ? IM2COL_BUDGET / ((int64_t)sizeof(float) * kdim) : cols;
    if (t > cols) t = cols;
    return t < 1 ? 1 : t;
}

/* im2col tiles: few enough that each fits IM2COL_BUDGET, a multiple of the
 * threads (whole tiles go to threads, each gathers its own and multiplies
 * it), in whole TILE_UNIT columns; p->tile is the largest. */
static void plan_tiles(conv_params *p, int threads)
{
    int64_t n = p->w.out_size, units = (n + TILE_UNIT - 1) / TILE_UNIT, most = tile_cols(p->kdim, n);
    int64_t tiles = (n + most - 1) / most;
    if (threads > 1) tiles = (tiles + threads - 1) / threads * threads;
    if (tiles > units) tiles = units;
    if (tiles < 1) tiles = 1;
    p->tiles = tiles;
    p->tile = (units + tiles - 1) / tiles * TILE_UNIT;
    if (p->tile > n) p->tile = n;
}

/* First output column of im2col tile t (t = p->tiles: the end). */
static int64_t tile_at(const conv_params *p, int64_t t)
{
    return or_part_begin(p->w.out_size, TILE_UNIT, p->tiles, t);
}

static or_status check_blas(or_kernel *k, int64_t a, int64_t b, int64_t c, int64_t d)
{
    if (a > INT_MAX || b > INT_MAX || c > INT_MAX || d > INT_MAX)
        return or_fail(k, ONNXRUN_E_LIMIT, "matrix sizes exceed the BLAS int range");
    return ONNXRUN_OK;
}

/* The Winograd tile side worth its transforms and larger weights (0:
 * none): enough channels, and enough tiles to reuse each transformed
 * weight: 4x4 tiles from 16 of them (a 14x14 output), else 2x2 tiles from
 * 3x3 of them (a 5x5 output; 7x7 gives 16). */
static bool wino_fits(const conv_params *p)
{
    return p->group == 1 && or_wino_fits(&p->w) && (uint64_t)p->c * (uint64_t)p->m <= ((uint64_t)1 << 22);
}

static int wino_tile(const conv_params *p)
{
    if (!wino_fits(p) || p->c < 8 || p->m < 8) return 0;
    int64_t oh = p->w.out[0], ow = p->w.out[1];
    if (oh >= 8 && ow >= 8 && ((oh + 3) / 4) * ((ow + 3) / 4) >= 16) return 4;
    return oh >= 5 && ow >= 5 ? 2 : 0;
}

typedef struct wino_pack_job {
    const conv_params *p;
    const float *wt;
    float *dst;
    int rows;
    atomic_bool ok;
} wino_pack_job;

/* Transformed weights of panels [p0, p1), on one of the threads. */
static void wino_pack_part(void *ctx, int64_t p0, int64_t p1)
{
    wino_pack_job *j = ctx;
    const conv_params *p = j->p;
    if (!or_wino_weights(&p->wino, j->wt, j->rows, j->dst, p->pack_step, p0, p1))
        atomic_store(&j->ok, false);
}

/* W, read for packing: the original comes back (or_known) only when the
 * model has no copy of the form yet. */
static or_status weights_of(or_kernel *k, const float **wt)
{
    *wt = or_known(k, 1);
    if (*wt) return ONNXRUN_OK;
    return k->known_err ? k->known_err : or_fail(k, ONNXRUN_E_INVALID, "weight W is not known");
}

/* or_pack_fill of the Winograd weights. */
static or_status wino_fill(or_kernel *k, float *dst)
{
    const conv_params *p = k->params;
    const float *wt;
    OR_TRY(weights_of(k, &wt));
    wino_pack_job job = { .p = p, .wt = wt, .dst = dst, .rows = p->mv ? OR_GEMM_MV : OR_GEMM_MR };
    atomic_init(&job.ok, true);
    or_parallel_for_work(k, (p->m + job.rows - 1) / job.rows, (double)p->wino.f * p->m * p->c,
                         wino_pack_part, &job);
    if (!atomic_load(&job.ok)) return or_fail(k, ONNXRUN_E_NOMEM, "out of memory for the Winograd weights");
    return ONNXRUN_OK;
}

/* or_pack_fill of the GEMM panels, one matrix per group. */
static or_status gemm_fill(or_kernel *k, float *dst)
{
    const conv_params *p = k->params;
    const float *wt;
    OR_TRY(weights_of(k, &wt));
    for (int64_t g = 0; g < p->group; g++)
        or_gemm_pack_threads(k, p->mv ? OR_GEMM_MV : OR_GEMM_MR, p->mg, p->kdim,
                             wt + g * p->mg * p->kdim, p->kdim, dst + g * p->pack_step);
    return ONNXRUN_OK;
}

/* or_pack_fill of ALGO_IMPLICIT's blocks of 64 output channels. */
static or_status impl_fill(or_kernel *k, float *dst)
{
    const conv_params *p = k->params;
    const float *wt;
    OR_TRY(weights_of(k, &wt));
    or_gemm_pack_threads(k, OR_IMPL_OC, p->m, p->kdim, wt, p->kdim, dst);
    return ONNXRUN_OK;
}

/* p->pack = W in the form of p's plan (the model's copy when there is
 * one): `matrices` matrices of p->pack_step floats. The key holds what the
 * layout depends on. */
static or_status pack_weights(or_kernel *k, conv_params *p, const char *form, int64_t matrices,
                              or_pack_fill fill)
{
    int64_t key[OR_PACK_KEY] = { or_isa_of(k->isa), p->mv, p->mv ? OR_GEMM_MV : OR_GEMM_MR,
                                 p->m, p->kdim, p->group, matrices, (int64_t)p->pack_step };
    uint64_t floats;
    if (!or_mul_ok((uint64_t)matrices, p->pack_step, &floats) || floats > SIZE_MAX / sizeof(float))
        return or_fail(k, ONNXRUN_E_LIMIT, "packed weights overflow");
    OR_TRY(or_pack_get(k, 1, form, key, (size_t)floats, fill, &p->pack));
    p->packed = true;
    return ONNXRUN_OK;
}

/* ALGO_WINOGRAD: geometry, scratch and the transformed weights (the mv
 * layout when products of `cols` tiles pay for it). */
static or_status wino_prepare(or_kernel *k, conv_params *p, int64_t cols)
{
    const int nf = p->wino.f;
    p->mv = or_gemm_mv_pays(k->isa, p->m, cols, p->c);
    p->pack_step = p->mv ? or_gemm_packed_mv_floats(p->m, p->c) : or_gemm_packed_floats(p->m, p->c);
    OR_TRY(pack_weights(k, p, nf == 36 ? "winograd 4x4" : "winograd 2x2", nf, wino_fill));
    p->algo = ALGO_WINOGRAD;
    k->scratch_bytes = (p->wino_blocks ? (size_t)p->threads * or_wino_scratch_floats(&p->wino, 1)
                                       : or_wino_scratch_floats(&p->wino, p->threads)) * sizeof(float);
    return ONNXRUN_OK;
}

/* ALGO_INDIRECT's geometry (see indirect_rows) when it applies: AVX-512,
 * 2-D, one group, no dilation, weights known; the band of input lines of
 * one output row at least fits IND_BAND_BUDGET. */
static bool indirect_plan(or_kernel *k, conv_params *p, bool unit)
{
    const or_window *w = &p->w;
    if (or_isa_of(k->isa) < ONNXRUN_ISA_AVX512 || w->n != 2 || p->group != 1 || unit ||
        w->dilation[0] != 1 || w->dilation[1] != 1 || p->kdim <= 0 || p->m <= 0 ||
        w->out_size <= 0 || w->out[1] > ((int64_t)1 << 20) || w->kernel[1] > ((int64_t)1 << 20) ||
        !or_is_known(k, 1))
        return false;
    int64_t sh = w->stride[0], sw = w->stride[1], kh = w->kernel[0];
    /* a line: the output row rounded up to the kernel's 32 columns, plus
     * the kernel's reach along the row in this phase */
    p->ind_lw = (w->out[1] + 31) / 32 * 32 + (w->kernel[1] - 1) / sw + 1;
    double per_row_in = (double)p->c * (double)sw * (double)p->ind_lw * sizeof(float);
    double rows_in = (double)IND_BAND_BUDGET / per_row_in;
    if (rows_in < (double)kh) return false;
    int64_t rows = (int64_t)((rows_in - (double)kh) / (double)sh) + 1;
    p->ind_rows = rows < w->out[0] ? rows : w->out[0];
    p->ind_rows_in = (p->ind_rows - 1) * sh + kh;
    p->ind_ptrs = ((size_t)p->kdim * sizeof(float *) + 63) / 64 * 64;
    size_t floats = (size_t)(p->c * p->ind_rows_in * sw + 1) * (size_t)p->ind_lw;
    p->ind_bytes = (p->ind_ptrs + floats * sizeof(float) + 63) / 64 * 64;
    return true;
}

/* The padded input planes of ALGO_IMPLICIT and ALGO_GRID: p->impl_hp x
 * p->impl_wp, *plane floats each; false when that overflows. */
static bool padded_plane(conv_params *p, uint64_t *plane)
{
    const or_window *w = &p->w;
    p->impl_hp = w->in[0] + w->pad_begin[0] + w->pad_end[0];
    p->impl_wp = w->in[1] + w->pad_begin[1] + w->pad_end[1];
    return or_mul_ok((uint64_t)p->impl_hp, (uint64_t)p->impl_wp, plane);
}

/* ALGO_IMPLICIT's geometry and scratch when it applies: AVX-512, 2-D, one
 * group, weights known, input offsets within int32. */
static bool implicit_plan(or_kernel *k, conv_params *p)
{
    const or_window *w = &p->w;
#if !(defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__)))
    return false;
#endif
    if (or_isa_of(k->isa) < ONNXRUN_ISA_AVX512 || w->n != 2 || p->group != 1 || p->kdim <= 0 ||
        p->kdim > INT32_MAX || p->m <= 0 || w->out_size <= 0 || !or_is_known(k, 1))
        return false;
    uint64_t plane, all;
    if (!padded_plane(p, &plane) || !or_mul_ok(plane, (uint64_t)p->c, &all) || all > INT32_MAX)
        return false;
    p->impl_pad = p->impl_hp != w->in[0] || p->impl_wp != w->in[1];
    p->impl_koff = p->impl_pad ? (all * sizeof(float) + 63) / 64 * 64 : 0;
    return true;
}

/* ALGO_GRID's scratch when it applies: AVX-512 (the 6 x 32 kernel reads
 * B through row pointers), 2-D, stride 1, groups of more than one input
 * channel, weights known. Uses impl_hp / impl_wp for the padded planes. */
static bool grid_plan(or_kernel *k, conv_params *p)
{
    const or_window *w = &p->w;
    if (or_isa_of(k->isa) < ONNXRUN_ISA_AVX512 || w->n != 2 || w->stride[0] != 1 || w->stride[1] != 1 ||
        p->cg < 2 || p->kdim <= 0 || p->mg <= 0 || w->out_size <= 0 || !or_is_known(k, 1))
        return false;
    uint64_t plane, planes, out;
    if (!padded_plane(p, &plane) || !or_mul_ok(plane, (uint64_t)p->cg, &planes) ||
        !or_mul_ok((uint64_t)w->out[0] * (uint64_t)p->impl_wp, (uint64_t)p->mg, &out) ||
        planes > ((uint64_t)1 << 32) || out > ((uint64_t)1 << 32))
        return false;
    /* the last block of 32 columns reads up to 31 floats past the grid */
    p->grid_planes = ((int64_t)planes + p->impl_wp + OR_GEMM_NR_MAX + 15) / 16 * 16;
    p->grid_out = ((int64_t)out + 15) / 16 * 16;
    p->grid_bytes = ((size_t)(p->grid_planes + p->grid_out) * sizeof(float) +
                     (size_t)p->kdim * sizeof(float *) + 63) / 64 * 64;
    return true;
}

/* The rule for ALGO_IMPLICIT (IMPL_MAX_K): a window of more than one tap
 * or a deep 1x1 on 14x14 (IMPL_1X1_*), channels filling 3/4 of the blocks,
 * rows under IND_MIN_OW or strides and K from IMPL_WIDE_STRIDE /
 * IMPL_WIDE_MIN_K; sets its geometry when it holds. */
static bool implicit_pays(or_kernel *k, conv_params *p)
{
    bool wide = p->w.n == 2 && p->w.stride[0] >= IMPL_WIDE_STRIDE && p->w.stride[1] >= IMPL_WIDE_STRIDE &&
                p->kdim >= IMPL_WIDE_MIN_K;
    bool deep_1x1 = p->w.kernel_size == 1 && p->kdim >= IMPL_1X1_MIN_K && p->w.out_size > IMPL_1X1_OUT_MIN &&
                    p->w.out_size <= IMPL_1X1_OUT_MAX;
    return p->w.n == 2 && (p->w.kernel_size > 1 || deep_1x1) && p->kdim <= IMPL_MAX_K &&
           (p->w.out[1] < IND_MIN_OW || wide) && 4 * (size_t)p->m >= 3 * or_impl_packed_floats(p->m, 1) &&
           implicit_plan(k, p);
}

/* Shapes, the algorithm and its scratch, for p->threads threads. */
static or_status conv_plan(or_kernel *k)
{
    conv_params *p = k->params;
    const or_tensor *x = or_in(k, 0), *w = or_in(k, 1);
    OR_CHECK(k, x && w && or_out(k, 0), "inputs X, W and output Y are required");
    OR_TRY(check_inputs(k, w->dims[0]));
    int nsp = x->rank - 2;
    p->batch = x->dims[0];
    p->c = x->dims[1];
    p->m = w->dims[0];
    p->cg = w->dims[1];
    OR_CHECK_SHAPE(k, p->c % p->group == 0, "input channels %lld are not divisible by group %lld",
                   (long long)p->c, (long long)p->group);
    OR_CHECK_SHAPE(k, p->cg == p->c / p->group,
                   "weight W has %lld channels per group; X has %lld channels in %lld groups",
                   (long long)p->cg, (long long)p->c, (long long)p->group);
    OR_CHECK_SHAPE(k, p->m % p->group == 0,
                   "output channels %lld (W dim 0) are not divisible by group %lld",
                   (long long)p->m, (long long)p->group);
    p->mg = p->m / p->group;
    OR_TRY(or_window_forward(k, &p->attrs, nsp, x->dims + 2, w->dims + 2, &p->w));
    int64_t dims[OR_MAX_RANK] = { p->batch, p->m };
    memcpy(dims + 2, p->w.out, (size_t)nsp * sizeof *dims);
    OR_TRY(or_set_shape(k, or_out(k, 0), ONNXRUN_FLOAT, x->rank, dims));

    bool unit = true;
    for (int i = 0; i < nsp; i++)
        unit = unit && p->w.kernel[i] == 1 && p->w.stride[i] == 1 && p->w.pad_begin[i] == 0 &&
               p->w.pad_end[i] == 0;
    /* = W's elements per output channel (bounded by W unless W is empty) */
    uint64_t kdim;
    OR_CHECK(k, or_mul_ok((uint64_t)p->cg, (uint64_t)p->w.kernel_size, &kdim) &&
                    kdim < ((uint64_t)1 << 40),
             "weight sizes overflow");
    p->kdim = (int64_t)kdim;
    p->tile = 0;
    p->whole = false;
    p->packed = false;
    p->mv = false;
    k->scratch_bytes = 0;
    /* a forced algorithm (k->algo, tests) where it applies, else the rules */
    or_algo force = k->algo;
    if (((force == OR_ALGO_WINO4 || force == OR_ALGO_WINO2) && !wino_fits(p)) ||
        (force == OR_ALGO_GEMM_1X1 && !unit) || (force == OR_ALGO_INDIRECT && !indirect_plan(k, p, unit)) ||
        (force == OR_ALGO_IMPLICIT && !implicit_plan(k, p)) || (force == OR_ALGO_GRID && !grid_plan(k, p)) ||
        ((force == OR_ALGO_DIRECT || force == OR_ALGO_DIRECT_LOOP) && p->cg != 1) ||
        force >= OR_ALGO_COUNT)
        force = OR_ALGO_AUTO;
    bool impl = force == OR_ALGO_AUTO && implicit_pays(k, p); /* the rules' implicit (geometry set) */
    /* small 3x3 layers on small images (googlenet's 3x3 branches, 16..48 ->
     * 48..128 at 14x14 and 7x7) take implicit: their transforms cost more
     * than the products save. Per node at 1 / 2 threads, min of 3 rounds
     * under quiet-run (foreign <= 3.5%), Winograd -> implicit: inception4c
     * 24 -> 64 0.054 -> 0.051 / 0.084 -> 0.042 ms, 4e 32 -> 128 0.118 ->
     * 0.113 / 0.130 -> 0.089, 5b 48 -> 128 (7x7) 0.057 -> 0.049 / 0.076 ->
     * 0.044 */
    bool tiny = impl && p->w.out_size <= WINO_SMALL_OUT && (double)p->c * (double)p->m <= WINO_SMALL_CM;
    int wt_tile = force == OR_ALGO_WINO4 ? 4
                  : force == OR_ALGO_WINO2 ? 2
                  : force == OR_ALGO_AUTO && !tiny ? wino_tile(p) : 0;
    /* transformed weights that stay in the core's L2 beside a small block
     * (U up to 1 MiB, V and M up to 256 KiB) and, with several threads,
     * tile rows enough to share out evenly (a row or more each, at most one
     * row apart in share): each thread takes its run of tile rows through
     * all three phases in its own scratch (no barrier between the phases,
     * V and M never leave L2); else one block of up to COL_BUDGET at a
     * time, split over the threads by f for the input transform and the
     * products together (each thread writes the V_f it multiplies: no
     * barrier and no V crossing cores between the two; resnet50 at 2
     * threads, 3 interleaved per-node runs: winograd 4x4 nodes 0.84-0.91 of
     * the earlier split, input by channel then products by f), then by
     * output channel for the output transform; each thread reads its share
     * of U once. resnet50's layer1 3x3 (U 0.56 MiB, 196 tiles) alone: 1.13 ->
     * 0.90 ms at 1 thread in 256 KiB blocks instead of one 3.6 MiB block;
     * at 2 threads 25% faster in blocks than split (per-node times against
     * the run's 1x1 layers). Blocks with 4 MiB of U and 1 MiB of V and M,
     * the rule before, were slower than the split on googlenet (U 1.7-3.5
     * MiB, its 14x14 layers slower than at 1 thread) and resnet50's layer3.
     * With several threads, blocks only when each thread gets WINO_MIN_COLS
     * tiles or more: googlenet's small 14x14 layers (3x3 24 -> 64, U 0.2
     * MiB, 16 tiles) took 0.07-0.10 ms at 2 threads in blocks of 8 tiles,
     * 0.05 at 1 */
    or_wino small;
    int nf = (wt_tile + 2) * (wt_tile + 2);
    bool small_ok = wt_tile && (double)nf * (double)p->m * (double)p->c * 4.0 <= WINO_BLOCK_MAX_U &&
                    or_wino_plan(&small, wt_tile, p->c, p->m, &p->w, WINO_BLOCK_BUDGET);
    p->wino_blocks = small_ok &&
                     (small.th >= 2 * (int64_t)p->threads || small.th % p->threads == 0) &&
                     (p->threads <= 1 || small.th * small.tw >= (int64_t)p->threads * WINO_MIN_COLS);
    if (p->wino_blocks) p->wino = small;
    if (wt_tile && (p->wino_blocks || or_wino_plan(&p->wino, wt_tile, p->c, p->m, &p->w, COL_BUDGET))) {
        /* U's layout (mv or not) from the products of the 1-thread plan,
         * so that sessions on other thread counts share the packed form */
        int64_t cols = small_ok ? small.rows * small.tw : p->wino.rows * p->wino.tw;
        if (or_is_known(k, 1)) return wino_prepare(k, p, cols);
    }
    bool direct = force == OR_ALGO_DIRECT || force == OR_ALGO_DIRECT_LOOP;
    if (force == OR_ALGO_INDIRECT ||
        (force == OR_ALGO_AUTO && p->w.n == 2 && p->w.out[1] >= IND_MIN_OW &&
         (double)p->m * (double)p->kdim * sizeof(float) <= IND_MAX_A && !impl && indirect_plan(k, p, unit))) {
        p->algo = ALGO_INDIRECT;
        k->scratch_bytes = p->ind_bytes * (size_t)(p->threads > 1 ? p->threads : 1);
    } else if (force == OR_ALGO_GEMM_1X1 || (force == OR_ALGO_AUTO && unit && !impl)) {
        p->algo = ALGO_1X1;
    } else if (force == OR_ALGO_GRID || (force == OR_ALGO_AUTO && p->group > 1 && grid_plan(k, p))) {
        p->algo = ALGO_GRID;
        k->scratch_bytes = p->grid_bytes * (size_t)(p->threads > 1 ? p->threads : 1);
    } else if (direct || (force == OR_ALGO_AUTO && p->cg == 1 && p->group > 1)) {
        p->algo = ALGO_DIRECT;
        p->dw_vec = force != OR_ALGO_DIRECT_LOOP && or_dw_plan(&p->dw, &p->w);
        if (p->dw_vec) k->scratch_bytes = (size_t)(p->dw.floats * p->threads) * sizeof(float);
    } else if (force == OR_ALGO_IMPLICIT || impl) {
        p->algo = ALGO_IMPLICIT;
        k->scratch_bytes = p->impl_koff + (size_t)p->kdim * sizeof(int32_t);
    } else {
        p->algo = ALGO_IM2COL;
        double wbytes = (double)p->mg * (double)p->kdim * sizeof(float);
        double cbytes = (double)p->kdim * (double)p->w.out_size * sizeof(float);
        p->whole = wbytes > (double)IM2COL_BUDGET && cbytes <= (double)IM2COL_WHOLE_MAX;
        if (p->whole) {
            p->tiles = 1;
            p->tile = p->w.out_size;
        } else {
            plan_tiles(p, p->threads);
        }
        /* a tile per thread, or the one shared tile */
        k->scratch_bytes = (size_t)(p->kdim * p->tile * (p->threads > 1 && !p->whole ? p->threads : 1)) *
                           sizeof(float);
    }
    if (p->algo == ALGO_DIRECT || p->mg <= 0 || p->kdim <= 0 || !or_is_known(k, 1)) {
        or_pack_drop(k);
        return ONNXRUN_OK;
    }
    if (p->algo == ALGO_IMPLICIT) {
        p->pack_step = or_impl_packed_floats(p->m, p->kdim);
        return pack_weights(k, p, "implicit 64", 1, impl_fill);
    }
    /* one packed matrix per group */
    int64_t cols = p->algo == ALGO_1X1 ? p->w.out_size : p->tile;
    p->mv = p->algo != ALGO_INDIRECT && p->algo != ALGO_GRID && or_gemm_mv_pays(k->isa, p->mg, cols, p->kdim);
    p->pack_step = p->mv ? or_gemm_packed_mv_floats(p->mg, p->kdim) : or_gemm_packed_floats(p->mg, p->kdim);
    return pack_weights(k, p, "gemm panels", p->group, gemm_fill);
}

/* With at least as many batch items as threads, each thread takes whole
 * items and runs them as one thread would (its own scratch, no split inside
 * a layer, nothing shared between the cores); depthwise layers split their
 * planes either way. */
static or_status conv_infer(or_kernel *k)
{
    conv_params *p = k->params;
    const or_tensor *x = or_in(k, 0);
    p->batch_split = k->threads > 1 && x && x->rank >= 3 && x->dims[0] >= k->threads;
    p->threads = p->batch_split ? 1 : k->threads;
    or_status st = conv_plan(k);
    if (st == ONNXRUN_OK && p->batch_split && p->algo == ALGO_DIRECT) {
        p->batch_split = false;
        p->threads = k->threads;
        st = conv_plan(k);
    }
    if (st == ONNXRUN_OK && p->batch_split) {
        p->item_scratch = (k->scratch_bytes + 63) / 64 * 64;
        k->scratch_bytes = p->item_scratch * (size_t)k->threads;
    }
    return st;
}

/* Y rows [0, rows) of length len: the bias values, or zeros (ConvTranspose). */
static void fill_rows(float *y, int64_t rows, int64_t len, const float *bias)
{
    for (int64_t r = 0; r < rows; r++) {
        float *yr = y + r * len;
        if (!bias) {
            memset(yr, 0, (size_t)len * sizeof *yr);
        } else {
            for (int64_t j = 0; j < len; j++) yr[j] = bias[r];
        }
    }
}

/* The block y (rows of `cols` values, `ld` apart) of out[0]: adds the rows'
 * bias (or none) and applies k->post, reading the residual at the same
 * offset of post.add. */
static void finish_block(const or_kernel *k, const float *bias, float *y, int64_t rows,
                         int64_t cols, int64_t ld)
{
    const or_epilogue *e = &k->post;
    if (!bias && !e->add && e->act == OR_ACT_NONE) return;
    const float *add = e->add ? (const float *)e->add->data + (y - (float *)k->out[0]->data) : NULL;
    for (int64_t r = 0; r < rows; r++)
        or_row_epilogue(cols, y + r * ld, bias ? bias[r] : 0.0f, add ? add + r * ld : NULL, e);
}

/* Contexts for or_parallel_for. */
typedef struct im2col_job {
    const or_window *w;
    const float *x;
    int64_t j0, cols;
    float *col;
} im2col_job;

static void im2col_rows(void *ctx, int64_t r0, int64_t r1, int part)
{
    (void)part;
    im2col_job *j = ctx;
    or_im2col(j->w, j->x, j->j0, j->cols, r0, r1, j->col);
}

typedef struct tiles_job {
    const conv_params *p;
    const or_gemm *gm;   /* the whole product; B is the group's input planes */
    float *scratch;      /* p->kdim * p->tile floats per worker */
} tiles_job;

/* im2col tiles [t0, t1) of the tiles_job ctx (a stealing loop's chunk: a
 * thread gathers first the positions it wrote in the layer before): each
 * gathered into worker part's own scratch and multiplied there, so a tile
 * is written and read by one core. */
static void im2col_tiles(void *ctx, int64_t t0, int64_t t1, int part)
{
    const tiles_job *j = ctx;
    const conv_params *p = j->p;
    float *col = j->scratch + (int64_t)part * p->kdim * p->tile;
    for (int64_t t = t0; t < t1; t++) {
        int64_t c0 = tile_at(p, t), cols = tile_at(p, t + 1) - c0;
        or_im2col(&p->w, j->gm->b, c0, cols, 0, p->kdim, col);
        or_gemm g = *j->gm;
        g.n = cols;
        g.b = col;
        g.ldb = cols;
        g.c += c0;
        if (g.add) g.add += c0;
        or_gemm_cols(&g, 0, cols);
    }
}

typedef struct direct_job {
    const or_kernel *k;
    const float *x, *wt, *bias;
    float *y;
} direct_job;

/* Vector kernel: planes [b0, b1) of the batch * m, with the buffer of
 * worker `part` (its zero padding written again for each chunk). */
static void dw_planes(void *ctx, int64_t b0, int64_t b1, int part)
{
    direct_job *j = ctx;
    const conv_params *p = j->k->params;
    const float *add = j->k->post.add ? j->k->post.add->data : NULL;
    float *buf = (float *)j->k->scratch + part * p->dw.floats;
    for (int64_t pl = b0; pl < b1; pl++) {
        int64_t n = pl / p->m, oc = pl % p->m, ic = oc / p->mg;
        int64_t yo = pl * p->w.out_size;
        or_dw_plane(&p->dw, j->x + (n * p->c + ic) * p->w.in_size, j->wt + oc * p->w.kernel_size,
                    j->bias ? j->bias[oc] : 0.0f, &j->k->post, add ? add + yo : NULL, j->y + yo,
                    buf, pl == b0);
    }
}

/* Planes [b0, b1) of Y (batch * m of them). */
static void direct_planes(void *ctx, int64_t b0, int64_t b1, int part)
{
    (void)part;
    direct_job *j = ctx;
    const conv_params *p = j->k->params;
    for (int64_t pl = b0; pl < b1; pl++) {
        int64_t n = pl / p->m, oc = pl % p->m, ic = oc / p->mg; /* the group's one channel */
        float *y = j->y + pl * p->w.out_size;
        or_conv_depthwise_plane(&p->w, j->x + (n * p->c + ic) * p->w.in_size,
                                j->wt + oc * p->w.kernel_size, j->bias ? j->bias[oc] : 0.0f, y);
        finish_block(j->k, NULL, y, 1, p->w.out_size, p->w.out_size);
    }
}

typedef struct wino_job {
    const or_kernel *k;
    const float *x, *bias, *add;
    float *y;
    int64_t r0, nr;            /* tile rows of this block */
    int64_t cols;              /* tiles in the block */
} wino_job;

/* M_f = U_f V_f for f in [f0, f1), cols tiles, V and M in scratch. */
static void wino_gemms(const or_kernel *k, float *scratch, int64_t cols, int64_t f0, int64_t f1)
{
    const conv_params *p = k->params;
    const or_wino *g = &p->wino;
    float *v = or_wino_v(g, scratch), *mf = or_wino_m(g, scratch);
    for (int64_t f = f0; f < f1; f++) {
        or_gemm gm = { .m = g->m, .n = cols, .k = g->c, .a = p->pack + f * p->pack_step,
                       .packed = true, .mv = p->mv,
                       .b = v + f * g->vf, .ldb = g->block,
                       .c = mf + f * g->mf, .ldc = g->block, .isa = k->isa };
        or_gemm_cols(&gm, 0, gm.n);
    }
}

/* Shares [t0, t1) of the f's (share t: f from f * t / threads): for each,
 * its V_f of all channels (the input transform's rows for those f), then
 * its products. V_f is written and read on one core, with no barrier
 * between; the output transform, which needs every f, comes after one. */
static void wino_in_products(void *ctx, int64_t t0, int64_t t1)
{
    const wino_job *j = ctx;
    const conv_params *p = j->k->params;
    const or_wino *g = &p->wino;
    int64_t shares = j->k->threads > 1 ? j->k->threads : 1;
    for (int64_t t = t0; t < t1; t++) {
        int f0 = (int)(g->f * t / shares), f1 = (int)(g->f * (t + 1) / shares);
        or_wino_input(g, j->x, j->r0, j->nr, 0, g->c, f0, f1, or_wino_v(g, j->k->scratch),
                      or_wino_lines(g, j->k->scratch, (int)t));
        wino_gemms(j->k, j->k->scratch, j->cols, f0, f1);
    }
}

/* Tile rows [r0, r1) of the wino_job ctx (p->wino_blocks; a stealing
 * loop's chunk: a thread transforms first the rows it wrote in the layer
 * before), in blocks of up to g->rows, each through the three phases in
 * the scratch of worker part. */
static void wino_rows(void *ctx, int64_t r0, int64_t r1, int part)
{
    const wino_job *j = ctx;
    const conv_params *p = j->k->params;
    const or_wino *g = &p->wino;
    float *sc = (float *)j->k->scratch + (size_t)part * or_wino_scratch_floats(g, 1);
    for (; r0 < r1; r0 += g->rows) {
        int64_t nr = r1 - r0 < g->rows ? r1 - r0 : g->rows;
        or_wino_input(g, j->x, r0, nr, 0, g->c, 0, g->f, or_wino_v(g, sc), or_wino_lines(g, sc, 0));
        wino_gemms(j->k, sc, nr * g->tw, 0, g->f);
        or_wino_output(g, or_wino_m(g, sc), r0, nr, 0, g->m, j->bias, &j->k->post, j->add, j->y);
    }
}

static void wino_out(void *ctx, int64_t m0, int64_t m1, int part)
{
    (void)part;
    const wino_job *j = ctx;
    const conv_params *p = j->k->params;
    const or_wino *g = &p->wino;
    or_wino_output(g, or_wino_m(g, j->k->scratch), j->r0, j->nr, m0, m1, j->bias, &j->k->post,
                   j->add, j->y);
}

/* One batch item by Winograd: per block of tile rows, V = input transform,
 * M_f = U_f V_f (36 or 16 products), Y = output transform with bias and
 * epilogue. */
static void wino_run(const or_kernel *k, const float *x, const float *bias, const float *add,
                     float *y)
{
    const conv_params *p = k->params;
    const or_wino *g = &p->wino;
    if (p->wino_blocks) {
        wino_job job = { k, x, bias, add, y, 0, 0, 0 };
        double work = (double)g->th * g->tw * g->f * g->m * g->c;
        /* two chunks of tile rows or more per thread, a block at most; but
         * one per thread when two would leave the products under
         * WINO_MIN_COLS tiles (googlenet's inception3a 3x3 16 -> 32 at 28x28:
         * 7 tiles a chunk took 0.147 ms at 2 threads, 0.071 at 1) */
        int64_t threads = k->threads > 1 ? k->threads : 1, chunk = g->th / (2 * threads);
        if (chunk * g->tw < WINO_MIN_COLS) chunk = (g->th + threads - 1) / threads;
        if (chunk > g->rows) chunk = g->rows;
        or_parallel_steal(k, g->th, chunk, work, wino_rows, &job);
        return;
    }
    for (int64_t r0 = 0; r0 < g->th; r0 += g->rows) {
        int64_t nr = g->th - r0 < g->rows ? g->th - r0 : g->rows;
        double work = (double)nr * g->tw * g->f;
        wino_job job = { k, x, bias, add, y, r0, nr, nr * g->tw };
        int64_t shares = k->threads > 1 ? k->threads : 1;
        or_parallel_for_work(k, shares, work * g->m * g->c / OR_PAR_MAC_PER_WORK, wino_in_products, &job);
        or_parallel_dyn(k, g->m, work * g->m, wino_out, &job);
    }
}

/*
 * ALGO_INDIRECT: the product of the weights with the input windows, without
 * gathering them. Per band of output rows, each input row the band reads is
 * copied once into lines split by phase along the row (stride sw: line q
 * holds x[ih][i * sw + q - pl], zero outside the row), so that for every
 * tap (c, ky, kx) the windows of one output row are one contiguous run:
 * row (c, ky, kx) of B for output row oh is line (c, oh * sh + ky - pt,
 * kx % sw) from element kx / sw (a zero line when that input row is in the
 * padding). The AVX-512 6 x 32 kernel reads B through these row pointers
 * (or_gemm.brows), and its 32 columns are 32 outputs of one row, stored in
 * place. So no column tile is written and read again, and no B block is
 * packed: resnet50's conv1 (7x7 stride 2, 3 -> 64 at 112x112) spent a
 * fifth of its time on the two. But the weights are read once per output
 * row (im2col reads them once per tile of many rows), and rows narrower
 * than the kernel's 32 columns leave lanes empty: hence IND_MIN_OW and
 * IND_MAX_A. Tried on resnet50's stride-2 layers (1 thread): 3x3 128 ->
 * 128 at 28 outputs a row 1.57 -> 1.71-1.75 ms, 1x1 256 -> 512 at 28
 * 1.22-1.26 -> 1.95-1.99, 3x3 256 -> 256 at 14 1.54 -> 2.59-2.71.
 */
typedef struct ind_job {
    const or_kernel *k;
    const or_gemm *gm;
    const float *x;
} ind_job;

/* line[i] = xr[i * sw + q - pl] where that is in [0, W), else 0, i < lw. */
static void ind_line(float *restrict line, int64_t lw, const float *restrict xr, int64_t W,
                     int64_t sw, int64_t q, int64_t pl)
{
    int64_t lo, hi;
    or_window_valid(lw, W, sw, q - pl, &lo, &hi);
    for (int64_t i = 0; i < lo; i++) line[i] = 0.0f;
    if (hi > lo) {
        const float *src = xr + lo * sw + q - pl; /* >= xr: lo * sw >= pl - q */
        if (sw == 1) memcpy(line + lo, src, (size_t)(hi - lo) * sizeof *line);
        else if (sw == 2) or_row_copy_s2(hi - lo, src, line + lo);
        else
            for (int64_t t = 0; t < hi - lo; t++) line[lo + t] = src[t * sw];
    }
    for (int64_t i = hi; i < lw; i++) line[i] = 0.0f;
}

/* Output rows [r0, r1) of one image (a stealing loop's chunk), in bands
 * of up to p->ind_rows rows, with the scratch of worker part. */
static void indirect_rows(void *ctx, int64_t r0, int64_t r1, int part)
{
    const ind_job *j = ctx;
    const conv_params *p = j->k->params;
    const or_window *w = &p->w;
    int64_t H = w->in[0], W = w->in[1], OW = w->out[1], lw = p->ind_lw, nin = p->ind_rows_in;
    int64_t kh = w->kernel[0], kw = w->kernel[1], sh = w->stride[0], sw = w->stride[1];
    char *sc = (char *)j->k->scratch + (size_t)part * p->ind_bytes;
    const float **brows = (const float **)(void *)sc;
    float *zero = (float *)(void *)(sc + p->ind_ptrs);
    float *band = zero + lw;
    or_row_fill(lw, 0.0f, zero);
    for (int64_t oh0 = r0; oh0 < r1; oh0 += p->ind_rows) {
        int64_t nr = r1 - oh0 < p->ind_rows ? r1 - oh0 : p->ind_rows;
        int64_t ih0 = oh0 * sh - w->pad_begin[0], rows_in = (nr - 1) * sh + kh;
        for (int64_t c = 0; c < p->c; c++)
            for (int64_t t = 0; t < rows_in; t++) {
                int64_t ih = ih0 + t;
                if (ih < 0 || ih >= H) continue; /* rows in the padding read `zero` */
                for (int64_t q = 0; q < sw; q++)
                    ind_line(band + ((c * nin + t) * sw + q) * lw, lw, j->x + (c * H + ih) * W, W,
                             sw, q, w->pad_begin[1]);
            }
        for (int64_t oh = oh0; oh < oh0 + nr; oh++) {
            int64_t kk = 0;
            for (int64_t c = 0; c < p->c; c++)
                for (int64_t ky = 0; ky < kh; ky++) {
                    int64_t ih = oh * sh + ky - w->pad_begin[0];
                    const float *rows = ih < 0 || ih >= H ? NULL : band + (c * nin + ih - ih0) * sw * lw;
                    for (int64_t kx = 0; kx < kw; kx++, kk++)
                        brows[kk] = (rows ? rows + (kx % sw) * lw : zero) + kx / sw;
                }
            or_gemm g = *j->gm;
            g.c += oh * OW;
            if (g.add) g.add += oh * OW;
            g.n = OW;
            g.brows = brows;
            or_gemm_cols(&g, 0, OW);
        }
    }
}

static void indirect_run(const or_kernel *k, const or_gemm *gm, const float *x)
{
    const conv_params *p = k->params;
    ind_job job = { k, gm, x };
    double work = (double)gm->m * (double)gm->n * (double)(gm->k + 1) / OR_PAR_MAC_PER_WORK;
    int64_t oh = p->w.out[0], aim = OR_STEAL_CHUNKS * (int64_t)(k->threads > 1 ? k->threads : 1);
    int64_t chunk = (oh + aim - 1) / aim;
    if (chunk > p->ind_rows) chunk = p->ind_rows;
    or_parallel_steal(k, oh, chunk, work, indirect_rows, &job);
}

/*
 * ALGO_IMPLICIT (conv_implicit.h): the input planes, padded into the
 * scratch when the node pads, are read in place by the register block
 * through one column offset per k (c, ky, kx). The threads split the
 * output positions into runs of whole register blocks (the positions each
 * wrote in the layer before, as or_gemm_run's columns); each copies the
 * padded rows its positions start in, then takes its positions through
 * every block of 64 channels in turn, so a block's weights stay in its L2
 * while its positions pass. Splitting by blocks instead (each thread half
 * the weights, all the input, padded by both) was slower at 2 threads on
 * resnet50's layer2.0.conv2 alone (3x3 stride 2, 128 -> 128 at 28x28, two
 * blocks; unguarded): 2.0 ms, against 0.87-1.04 by positions with each thread padding
 * its own rows: half of every input line crossed between the cores. In the
 * model, where the weights stream from memory, the two splits measured
 * alike on layer3.0.conv2 (four blocks).
 */
typedef struct impl_job {
    const or_kernel *k;
    const float *x, *xp;   /* the item's input; the planes as read (padded or x) */
    const int32_t *koff;
    const float *bias, *add;
    float *y;
    int64_t runs, shares;  /* runs of OR_IMPL_POS positions; thread shares of them */
} impl_job;

/* The first padded row share q copies: where its first output row's
 * windows start (0 for the first share, the planes' end past the last). */
static int64_t impl_share_row(const impl_job *j, int64_t q)
{
    const conv_params *p = j->k->params;
    if (q <= 0) return 0;
    if (q >= j->shares) return p->impl_hp;
    int64_t pos = or_part_begin(j->runs, 1, j->shares, q) * OR_IMPL_POS;
    int64_t row = pos / p->w.out[1] * p->w.stride[0];
    return row < p->impl_hp ? row : p->impl_hp;
}

/* Rows [r0, r1) of the padded planes (impl_hp x impl_wp, the node's top
 * and left padding, zeros outside the input) of nc channels: input plane c
 * at x + c * H * W, padded plane c at xp + c * impl_hp * impl_wp. For
 * ALGO_IMPLICIT and ALGO_GRID. */
static void pad_rows(const conv_params *p, const float *x, float *xp, int64_t nc, int64_t r0, int64_t r1)
{
    const or_window *w = &p->w;
    int64_t H = w->in[0], W = w->in[1], hp = p->impl_hp, wp = p->impl_wp;
    int64_t pt = w->pad_begin[0], pl = w->pad_begin[1], pr = wp - W - pl;
    for (int64_t c = 0; c < nc; c++)
        for (int64_t r = r0; r < r1; r++) {
            float *row = xp + (c * hp + r) * wp;
            int64_t i = r - pt;
            if (i < 0 || i >= H) {
                memset(row, 0, (size_t)wp * sizeof *row);
                continue;
            }
            memset(row, 0, (size_t)pl * sizeof *row);
            memcpy(row + pl, x + (c * H + i) * W, (size_t)W * sizeof *row);
            memset(row + pl + W, 0, (size_t)pr * sizeof *row);
        }
}

/* Shares [q0, q1): padded rows [impl_share_row(q), impl_share_row(q + 1))
 * of every plane. */
static void impl_pad_rows(void *ctx, int64_t q0, int64_t q1)
{
    const impl_job *j = ctx;
    const conv_params *p = j->k->params;
    pad_rows(p, j->x, (float *)j->xp, p->c, impl_share_row(j, q0), impl_share_row(j, q1));
}

/* Runs [r0, r1) through block b. */
static void impl_runs(const impl_job *j, int64_t b, int64_t r0, int64_t r1)
{
    const conv_params *p = j->k->params;
    const or_window *w = &p->w;
    const or_epilogue *e = j->k->post.act != OR_ACT_NONE ? &j->k->post : NULL;
    int64_t n = w->out_size, ow = w->out[1], sh = w->stride[0], sw = w->stride[1];
    int64_t nl = p->m - b * OR_IMPL_OC < OR_IMPL_OC ? p->m - b * OR_IMPL_OC : OR_IMPL_OC;
    _Alignas(64) float out[OR_IMPL_POS * OR_IMPL_OC];
    for (int64_t r = r0; r < r1; r++) {
        int64_t p0 = r * OR_IMPL_POS, npos = n - p0 < OR_IMPL_POS ? n - p0 : OR_IMPL_POS;
        const float *xs[OR_IMPL_POS];
        for (int q = 0; q < OR_IMPL_POS; q++) { /* past the end: the last position again */
            int64_t pos = p0 + q < n ? p0 + q : n - 1;
            xs[q] = j->xp + pos / ow * sh * p->impl_wp + pos % ow * sw;
        }
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
        or_impl_block_avx512(p->pack + b * OR_IMPL_OC * p->kdim, j->koff, p->kdim, xs, out);
        if (or_impl_store_fits(n)) {
            int64_t oc = b * OR_IMPL_OC;
            or_impl_store_avx512(out, (int)nl, (int)npos, j->y + oc * n + p0,
                                 j->add ? j->add + oc * n + p0 : NULL, n, j->bias ? j->bias + oc : NULL, e);
            continue;
        }
#else
        (void)xs; /* implicit_plan never picks it */
#endif
        for (int64_t l = 0; l < nl; l++) {
            int64_t oc = b * OR_IMPL_OC + l;
            float *yr = j->y + oc * n + p0;
            const float *ar = j->add ? j->add + oc * n + p0 : NULL;
            float bv = j->bias ? j->bias[oc] : 0.0f;
            for (int64_t q = 0; q < npos; q++) {
                float v = out[q * OR_IMPL_OC + l] + bv;
                if (ar) v += ar[q];
                yr[q] = e ? or_act1(v, e) : v;
            }
        }
    }
}

/* Shares [q0, q1): each its runs through every block. */
static void impl_shares(void *ctx, int64_t q0, int64_t q1)
{
    const impl_job *j = ctx;
    const conv_params *p = j->k->params;
    int64_t blocks = (p->m + OR_IMPL_OC - 1) / OR_IMPL_OC;
    int64_t r0 = or_part_begin(j->runs, 1, j->shares, q0), r1 = or_part_begin(j->runs, 1, j->shares, q1);
    for (int64_t b = 0; b < blocks; b++) impl_runs(j, b, r0, r1);
}

/* One batch item by ALGO_IMPLICIT. */
static void impl_run(const or_kernel *k, const float *x, const float *bias, const float *add, float *y)
{
    const conv_params *p = k->params;
    const or_window *w = &p->w;
    int32_t *koff = (int32_t *)((char *)k->scratch + p->impl_koff);
    int64_t runs = (w->out_size + OR_IMPL_POS - 1) / OR_IMPL_POS;
    double work = (double)p->m * (double)w->out_size * (double)p->kdim / OR_PAR_MAC_PER_WORK;
    int64_t shares = or_par_worth(k, work, OR_PAR_MIN_WORK) ? k->threads : 1;
    if (shares > runs) shares = runs;
    impl_job job = { k, x, p->impl_pad ? k->scratch : x, koff, bias, add, y, runs, shares };
    int64_t kh = w->kernel[0], kw = w->kernel[1], plane = p->impl_hp * p->impl_wp, kk = 0;
    for (int64_t c = 0; c < p->c; c++)
        for (int64_t ky = 0; ky < kh; ky++)
            for (int64_t kx = 0; kx < kw; kx++)
                koff[kk++] = (int32_t)(c * plane + ky * w->dilation[0] * p->impl_wp + kx * w->dilation[1]);
    if (shares <= 1) {
        if (p->impl_pad) impl_pad_rows(&job, 0, 1);
        impl_shares(&job, 0, 1);
        return;
    }
    if (p->impl_pad) or_parallel_for(k, shares, impl_pad_rows, &job);
    or_parallel_for(k, shares, impl_shares, &job);
}

/*
 * ALGO_GRID: a stride-1 convolution computed on the padded grid. Output
 * position (oh, ow) reads padded input (oh + ky * dh, ow + kx * dw), so over
 * the grid of oh * wp + ow (ow running on past the output row, to wp) row
 * (c, ky, kx) of B is the padded plane of c itself from ky * dh * wp +
 * kx * dw on: the 6 x 32 kernel reads it in place through row pointers
 * (or_gemm.brows), whole padded rows at a time, so narrow output rows fill
 * its 32 columns (a grouped layer's im2col, many small products over short
 * rows, ran at 12% of peak). The columns past each output row are computed
 * and dropped as the grid is copied into Y; the kernel adds the bias and
 * activates as it stores, unless there is a residual (it comes before the
 * activation: then all three in the copy). Groups go to threads whole,
 * each in its own scratch.
 */
typedef struct grid_job {
    const or_kernel *k;
    const float *x, *bias, *add;
    float *y;
} grid_job;

static void grid_groups(void *ctx, int64_t g0, int64_t g1, int part)
{
    const grid_job *j = ctx;
    const conv_params *p = j->k->params;
    const or_window *w = &p->w;
    const or_epilogue *e = j->k->post.act != OR_ACT_NONE ? &j->k->post : NULL;
    int64_t hp = p->impl_hp, wp = p->impl_wp, plane = hp * wp, oh = w->out[0], ow = w->out[1];
    int64_t kh = w->kernel[0], kw = w->kernel[1], n = oh * wp;
    char *base = (char *)j->k->scratch + (size_t)part * p->grid_bytes;
    float *xp = (float *)base, *grid = xp + p->grid_planes;
    const float **rows = (const float **)(grid + p->grid_out);
    /* the slack past the last plane, which the last column block reads */
    memset(xp + p->cg * plane, 0, (size_t)(p->grid_planes - p->cg * plane) * sizeof *xp);
    for (int64_t g = g0; g < g1; g++) {
        pad_rows(p, j->x + g * p->cg * w->in_size, xp, p->cg, 0, hp);
        int64_t kk = 0;
        for (int64_t c = 0; c < p->cg; c++)
            for (int64_t ky = 0; ky < kh; ky++)
                for (int64_t kx = 0; kx < kw; kx++)
                    rows[kk++] = xp + c * plane + ky * w->dilation[0] * wp + kx * w->dilation[1];
        const float *bias = j->bias ? j->bias + g * p->mg : NULL;
        or_gemm gm = { .m = p->mg, .n = n, .k = p->kdim, .a = p->pack + g * p->pack_step,
                       .lda = p->kdim, .packed = true, .brows = rows, .c = grid, .ldc = n,
                       .bias = j->add ? NULL : bias, .e = j->add ? NULL : e, .isa = j->k->isa };
        or_gemm_cols(&gm, 0, n);
        for (int64_t m = 0; m < p->mg; m++) {
            int64_t oc = g * p->mg + m;
            for (int64_t r = 0; r < oh; r++) {
                const float *src = grid + m * n + r * wp;
                float *dst = j->y + (oc * oh + r) * ow;
                if (!j->add) {
                    memcpy(dst, src, (size_t)ow * sizeof *dst);
                    continue;
                }
                const float *ar = j->add + (oc * oh + r) * ow;
                float bv = bias ? bias[m] : 0.0f;
                for (int64_t q = 0; q < ow; q++) {
                    float v = src[q] + bv + ar[q];
                    dst[q] = e ? or_act1(v, e) : v;
                }
            }
        }
    }
}

static const char *conv_algo_name(const or_kernel *k)
{
    const conv_params *p = k->params;
    switch (p->algo) {
    case ALGO_WINOGRAD:
        if (p->wino.n == 4) return p->mv ? "winograd 4x4 mv" : "winograd 4x4";
        return p->mv ? "winograd 2x2 mv" : "winograd 2x2";
    case ALGO_1X1:
        return p->mv ? "gemm 1x1 mv" : "gemm 1x1";
    case ALGO_DIRECT:
        return p->dw_vec ? "depthwise" : "direct loop";
    case ALGO_INDIRECT:
        return "indirect";
    case ALGO_IMPLICIT:
        return "implicit";
    case ALGO_GRID:
        return "grid";
    case ALGO_IM2COL:
        break;
    }
    if (p->whole) return p->mv ? "im2col 1 tile mv" : "im2col 1 tile";
    return p->mv ? "im2col mv" : "im2col";
}

/* Batch items [n0, n1) with k's threads. */
static void conv_items(const or_kernel *k, int64_t n0, int64_t n1)
{
    const conv_params *p = k->params;
    const float *x = k->in[0]->data, *wt = k->in[1]->data;
    const float *bias = or_in(k, 2) ? or_in(k, 2)->data : NULL;
    float *y = k->out[0]->data;
    const or_window *w = &p->w;
    if (p->algo == ALGO_WINOGRAD || p->algo == ALGO_IMPLICIT) { /* item by item */
        const float *add = k->post.add ? k->post.add->data : NULL;
        for (int64_t n = n0; n < n1; n++) {
            int64_t xo = n * p->c * w->in_size, yo = n * p->m * w->out_size;
            (p->algo == ALGO_WINOGRAD ? wino_run : impl_run)(k, x + xo, bias, add ? add + yo : NULL, y + yo);
        }
        return;
    }
    if (p->algo == ALGO_GRID) {
        const float *add = k->post.add ? k->post.add->data : NULL;
        for (int64_t n = n0; n < n1; n++) {
            int64_t yo = n * p->m * w->out_size;
            grid_job job = { k, x + n * p->c * w->in_size, bias, add ? add + yo : NULL, y + yo };
            double work = (double)p->m * (double)w->out_size * (double)p->kdim / OR_PAR_MAC_PER_WORK;
            or_parallel_dyn(k, p->group, work, grid_groups, &job);
        }
        return;
    }
    if (p->algo == ALGO_DIRECT) { /* never batch_split: all items' planes */
        int64_t planes = p->batch * p->m;
        double work = (double)planes * w->out_size * w->kernel_size;
        direct_job job = { k, x, wt, bias, y };
        or_parallel_dyn(k, planes, work,
                        p->dw_vec && k->scratch ? dw_planes : direct_planes, &job);
        return;
    }
    const float *add = k->post.add ? k->post.add->data : NULL;
    for (int64_t n = n0; n < n1; n++)
        for (int64_t g = 0; g < p->group; g++) {
            const float *xg = x + (n * p->c + g * p->cg) * w->in_size;
            int64_t yo = (n * p->m + g * p->mg) * w->out_size;
            or_gemm gm = { .m = p->mg, .n = w->out_size, .k = p->kdim,
                           .a = p->packed ? p->pack + g * p->pack_step : wt + g * p->mg * p->kdim,
                           .lda = p->kdim, .packed = p->packed, .mv = p->mv, .b = xg,
                           .ldb = w->in_size, .c = y + yo, .ldc = w->out_size,
                           .bias = bias ? bias + g * p->mg : NULL, .add = add ? add + yo : NULL,
                           .e = &k->post, .isa = k->isa };
            if (p->algo == ALGO_INDIRECT) {
                indirect_run(k, &gm, xg);
                continue;
            }
            if (p->algo == ALGO_1X1 || p->kdim == 0 || gm.m == 0 || gm.n == 0) {
                or_gemm_run(k, &gm);
                continue;
            }
            if (p->tiles >= k->threads) {
                double work = (double)gm.m * gm.n * (gm.k + 1) / OR_PAR_MAC_PER_WORK;
                tiles_job job = { p, &gm, k->scratch };
                or_parallel_steal(k, p->tiles, 1, work, im2col_tiles, &job);
                continue;
            }
            /* fewer tiles than threads (outputs of under 16 * threads
             * positions): the threads split each tile's gathering, then its
             * product */
            for (int64_t t = 0; t < p->tiles; t++) {
                int64_t j0 = tile_at(p, t), cols = tile_at(p, t + 1) - j0;
                im2col_job job = { w, xg, j0, cols, k->scratch };
                or_parallel_dyn(k, p->kdim, (double)p->kdim * cols, im2col_rows, &job);
                or_gemm tile = gm;
                tile.n = cols;
                tile.b = k->scratch;
                tile.ldb = cols;
                tile.c = gm.c + j0;
                tile.add = gm.add ? gm.add + j0 : NULL;
                tile.split_rows = p->whole; /* each thread reads its rows of A once */
                or_gemm_run(k, &tile);
            }
        }
}

/* Worker q's items as a kernel of one thread with the q-th slice of the
 * scratch (p->batch_split). */
static void conv_item_parts(void *ctx, int64_t q0, int64_t q1)
{
    const or_kernel *k = ctx;
    const conv_params *p = k->params;
    for (int64_t q = q0; q < q1; q++) {
        or_kernel one = *k;
        one.threads = 1;
        one.pool = NULL;
        one.split_all = false;
        one.scratch = k->scratch ? (char *)k->scratch + (size_t)q * p->item_scratch : NULL;
        conv_items(&one, or_part_begin(p->batch, 1, k->threads, q),
                   or_part_begin(p->batch, 1, k->threads, q + 1));
    }
}

static or_status conv_run(or_kernel *k)
{
    const conv_params *p = k->params;
    if (p->batch_split) or_parallel_for(k, k->threads, conv_item_parts, k);
    else conv_items(k, 0, p->batch);
    return ONNXRUN_OK;
}

/* a * b for the MAC count, saturating. */
static uint64_t sat_mul(uint64_t a, uint64_t b)
{
    uint64_t r;
    return or_mul_ok(a, b, &r) ? r : UINT64_MAX;
}

static uint64_t conv_macs(const or_kernel *k)
{
    const conv_params *p = k->params;
    if (!p) return 0;
    /* Conv: every output element takes kdim MACs; ConvTranspose: every input element */
    bool tr = strcmp(k->def->op_type, "ConvTranspose") == 0;
    uint64_t elems = sat_mul((uint64_t)p->batch, (uint64_t)(tr ? p->c : p->m));
    elems = sat_mul(elems, (uint64_t)(tr ? p->w.in_size : p->w.out_size));
    return sat_mul(elems, (uint64_t)p->kdim);
}

/* ---- ConvTranspose ---- */

static or_status convt_axis(or_kernel *k, const conv_params *p, int i, int64_t in, int64_t kern,
                            or_window *w)
{
    int n = w->n;
    const or_window_attrs *a = &p->attrs;
    int64_t s = a->n_strides ? a->strides[i] : 1, d = a->n_dilations ? a->dilations[i] : 1;
    int64_t op = p->n_output_padding ? p->output_padding[i] : 0;
    int64_t ext, full, pb, pe, out;
    OR_CHECK_SHAPE(k, in >= 1, "input X is empty on spatial axis %d", i);
    OR_CHECK_SHAPE(k, kern >= 1 && kern < ((int64_t)1 << 31),
                   "kernel size %lld on spatial axis %d is out of range", (long long)kern, i);
    OR_CHECK_SHAPE(k, a->n_kernel == 0 || a->kernel[i] == kern,
                   "attribute 'kernel_shape'[%d] = %lld disagrees with the weight's %lld", i,
                   (long long)a->kernel[i], (long long)kern);
    OR_CHECK(k, op >= 0 && (op < s || op < d),
             "attribute 'output_padding'[%d] = %lld must be less than the stride or dilation", i,
             (long long)op);
    /* full = s * (in - 1) + op + ext: the output before any padding is removed */
    if (!or_window_extent(kern, d, &ext) || __builtin_mul_overflow(s, in - 1, &full) ||
        __builtin_add_overflow(full, op, &full) || __builtin_add_overflow(full, ext, &full) ||
        full >= ((int64_t)1 << 40))
        return or_fail(k, ONNXRUN_E_LIMIT, "output size overflows on spatial axis %d", i);
    if (p->n_output_shape || a->auto_pad == OR_PAD_SAME_UPPER ||
        a->auto_pad == OR_PAD_SAME_LOWER) {
        out = p->n_output_shape ? p->output_shape[p->n_output_shape - (size_t)n + (size_t)i]
                                : in * s; /* <= full + s: no overflow */
        int64_t total = full - out;
        if (a->auto_pad == OR_PAD_SAME_UPPER) {
            pb = or_floor_div(total, 2);
            pe = total - pb;
        } else {
            pe = or_floor_div(total, 2);
            pb = total - pe;
        }
    } else {
        pb = a->n_pads ? a->pads[i] : 0;
        pe = a->n_pads ? a->pads[n + i] : 0;
        out = full - pb - pe;
        OR_CHECK_SHAPE(k, out >= 0,
                       "pads %lld + %lld exceed the output size %lld on spatial axis %d",
                       (long long)pb, (long long)pe, (long long)full, i);
    }
    w->in[i] = in;
    w->out[i] = out;
    w->kernel[i] = kern;
    w->stride[i] = s;
    w->dilation[i] = d;
    w->pad_begin[i] = pb;
    w->pad_end[i] = pe;
    return ONNXRUN_OK;
}

static or_status convt_infer(or_kernel *k)
{
    conv_params *p = k->params;
    const or_tensor *x = or_in(k, 0), *wt = or_in(k, 1);
    OR_CHECK(k, x && wt && or_out(k, 0), "inputs X, W and output Y are required");
    OR_CHECK_SHAPE(k, wt->rank >= 2, "weight W has rank %d", wt->rank);
    int64_t m;
    OR_CHECK(k, !__builtin_mul_overflow(wt->dims[1], p->group, &m) && m < ((int64_t)1 << 40),
             "output channels overflow");
    OR_TRY(check_inputs(k, m));
    int nsp = x->rank - 2;
    const or_window_attrs *a = &p->attrs;
    OR_CHECK_SHAPE(k, nsp <= OR_WIN_MAX, "input has %d spatial axes; at most %d are supported",
                   nsp, OR_WIN_MAX);
    OR_CHECK_SHAPE(k, a->n_kernel == 0 || a->n_kernel == (size_t)nsp,
                   "attribute 'kernel_shape' has %zu values for %d spatial axes", a->n_kernel, nsp);
    OR_CHECK_SHAPE(k, a->n_strides == 0 || a->n_strides == (size_t)nsp,
                   "attribute 'strides' has %zu values for %d spatial axes", a->n_strides, nsp);
    OR_CHECK_SHAPE(k, a->n_dilations == 0 || a->n_dilations == (size_t)nsp,
                   "attribute 'dilations' has %zu values for %d spatial axes", a->n_dilations, nsp);
    OR_CHECK_SHAPE(k, a->n_pads == 0 || a->n_pads == 2 * (size_t)nsp,
                   "attribute 'pads' has %zu values for %d spatial axes", a->n_pads, nsp);
    OR_CHECK_SHAPE(k, p->n_output_padding == 0 || p->n_output_padding == (size_t)nsp,
                   "attribute 'output_padding' has %zu values for %d spatial axes",
                   p->n_output_padding, nsp);
    OR_CHECK_SHAPE(k, p->n_output_shape == 0 || p->n_output_shape == (size_t)nsp ||
                          p->n_output_shape == (size_t)nsp + 2,
                   "attribute 'output_shape' has %zu values for %d spatial axes",
                   p->n_output_shape, nsp);
    p->batch = x->dims[0];
    p->c = x->dims[1];
    p->m = m;
    p->mg = wt->dims[1];
    OR_CHECK_SHAPE(k, wt->dims[0] == p->c, "weight W has %lld input channels but X has %lld",
                   (long long)wt->dims[0], (long long)p->c);
    OR_CHECK_SHAPE(k, p->c % p->group == 0, "input channels %lld are not divisible by group %lld",
                   (long long)p->c, (long long)p->group);
    p->cg = p->c / p->group;
    or_window *w = &p->w;
    memset(w, 0, sizeof *w);
    w->n = nsp;
    for (int i = 0; i < nsp; i++) OR_TRY(convt_axis(k, p, i, x->dims[2 + i], wt->dims[2 + i], w));
    if (p->n_output_shape == (size_t)nsp + 2)
        OR_CHECK_SHAPE(k, p->output_shape[0] == p->batch && p->output_shape[1] == m,
                       "attribute 'output_shape' disagrees with the batch or channel count");
    int64_t dims[OR_MAX_RANK] = { p->batch, m };
    memcpy(dims + 2, w->out, (size_t)nsp * sizeof *dims);
    OR_TRY(or_set_shape(k, or_out(k, 0), ONNXRUN_FLOAT, x->rank, dims));
    /* checked: X or W may be empty (a zero N, C or M) with large other dims */
    uint64_t sizes[3] = { 1, 1, 1 };
    for (int i = 0; i < nsp; i++)
        OR_CHECK(k, or_mul_ok(sizes[0], (uint64_t)w->in[i], &sizes[0]) &&
                        or_mul_ok(sizes[1], (uint64_t)w->out[i], &sizes[1]) &&
                        or_mul_ok(sizes[2], (uint64_t)w->kernel[i], &sizes[2]) &&
                        sizes[0] < OR_MAX_TENSOR_BYTES && sizes[1] < OR_MAX_TENSOR_BYTES &&
                        sizes[2] < OR_MAX_TENSOR_BYTES,
                 "spatial sizes overflow");
    w->in_size = (int64_t)sizes[0];
    w->out_size = (int64_t)sizes[1];
    w->kernel_size = (int64_t)sizes[2];
    /* = W's elements per input channel (bounded by W unless W is empty) */
    uint64_t kdim;
    OR_CHECK(k, or_mul_ok((uint64_t)p->mg, (uint64_t)w->kernel_size, &kdim) &&
                    kdim < ((uint64_t)1 << 40),
             "weight sizes overflow");
    p->kdim = (int64_t)kdim;
    p->algo = ALGO_IM2COL;
    p->tile = tile_cols(p->kdim, w->in_size);
    k->scratch_bytes = (size_t)(p->kdim * p->tile) * sizeof(float);
    return check_blas(k, p->cg, p->kdim, p->tile, w->in_size);
}

typedef struct col2im_job {
    const or_window *w;
    const float *col;
    int64_t j0, cols;
    float *y;
} col2im_job;

static void col2im_channels(void *ctx, int64_t m0, int64_t m1)
{
    col2im_job *j = ctx;
    or_col2im(j->w, j->col, j->j0, j->cols, m0, m1, j->y);
}

static or_status convt_run(or_kernel *k)
{
    const conv_params *p = k->params;
    const or_window *w = &p->w;
    const or_tensor *b = or_in(k, 2); /* optional bias */
    for (int64_t n = 0; n < p->batch; n++)
        for (int64_t g = 0; g < p->group; g++) {
            const float *xg = (const float *)k->in[0]->data + (n * p->c + g * p->cg) * w->in_size;
            const float *wg = (const float *)k->in[1]->data + g * p->cg * p->kdim;
            float *yg = (float *)k->out[0]->data + (n * p->m + g * p->mg) * w->out_size;
            fill_rows(yg, p->mg, w->out_size, b ? (const float *)b->data + g * p->mg : NULL);
            if (p->kdim == 0 || p->cg == 0 || w->out_size == 0) continue;
            for (int64_t j0 = 0; j0 < w->in_size; j0 += p->tile) {
                int64_t cols = w->in_size - j0 < p->tile ? w->in_size - j0 : p->tile;
                or_blas_sgemm(NULL, true, false, p->kdim, cols, p->cg, 1.0f, wg, p->kdim,
                              xg + j0, w->in_size, 0.0f, k->scratch, cols);
                col2im_job job = { w, k->scratch, j0, cols, yg };
                or_parallel_for_work(k, p->mg, (double)p->kdim * cols, col2im_channels, &job);
            }
        }
    return ONNXRUN_OK;
}

#define CONV_ALGOS                                                                     \
    (1u << OR_ALGO_GEMM_1X1 | 1u << OR_ALGO_IM2COL | 1u << OR_ALGO_DIRECT |           \
     1u << OR_ALGO_DIRECT_LOOP | 1u << OR_ALGO_WINO4 | 1u << OR_ALGO_WINO2 |           \
     1u << OR_ALGO_INDIRECT | 1u << OR_ALGO_IMPLICIT | 1u << OR_ALGO_GRID)
#define CONV(since)                                                                    \
    OR_OP("Conv", since, .flags = OR_OP_FUSES, .algos = CONV_ALGOS,                   \
          .params_size = sizeof(conv_params), .init = conv_init, .infer = conv_infer, \
          .run = conv_run, .macs = conv_macs, .algo_name = conv_algo_name)
#define CONVT(since)                                                                      \
    OR_OP("ConvTranspose", since, .params_size = sizeof(conv_params), .init = conv_init, \
          .infer = convt_infer, .run = convt_run, .macs = conv_macs)

OR_OP_TABLE(conv) = {
    CONV(1), CONV(11), CONV(22), CONVT(1), CONVT(11), CONVT(22),
};
OR_OP_TABLE_END(conv);
