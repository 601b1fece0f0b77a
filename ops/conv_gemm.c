/*
 * conv_gemm.c - matrix product with a fused store (see conv_gemm.h).
 *
 * Blocking: the register block is 6 rows x NR columns of C (NR = 16 for
 * the portable and AVX2 kernels, 32 for AVX-512; conv_gemm_ukr.h lists
 * them). K is cut into chunks of GEMM_KC so a chunk's B block (GEMM_KC x NR
 * floats) stays in L1 while a block of A's row panels (about
 * GEMM_MC_BYTES, in L2) passes over it; C is accumulated across chunks and
 * the bias and epilogue are applied with the last one. Column blocks
 * narrower than NR (the right edge) use masked loads and stores, so B and C
 * are never read or written past column n.
 *
 * The kernel comes from the product's ISA (g->isa, ops/isa.h); the portable
 * one computes the same sums in the same order (as separate multiply and
 * add, so results may differ in the last bit).
 */
#include <string.h>

#include "conv_gemm.h"
#include "rowops.h"

#include "conv_gemm_ukr.h"
#include "isa.h"

#define GEMM_KC 256 /* k per chunk */

#define GEMM_MC_BYTES ((int64_t)384 << 10) /* A per block of row panels */
#define GEMM_PACK_B_MIN 3 /* row panels over which a copied B block pays */
#define GEMM_MV_MAX_N 32  /* columns up to which the mv layout pays (or_gemm_mv_pays) */
#define GEMM_MV_STREAM_BYTES (1024.0 * 1024.0) /* weights above this stream from memory */
#define MR OR_GEMM_MR
#define NR 16 /* the portable kernel's width */

size_t or_gemm_packed_floats(int64_t m, int64_t k)
{
    return (size_t)((m + MR - 1) / MR * MR) * (size_t)k;
}

size_t or_gemm_packed_mv_floats(int64_t m, int64_t k)
{
    return (size_t)((m + OR_GEMM_MV - 1) / OR_GEMM_MV * OR_GEMM_MV) * (size_t)k;
}

/* Panels [p0, p1) of R rows, each A[panel rows][k] as R consecutive
 * floats per k. In blocks of 64 k: each row is read as a run and the
 * block's R x 64 destination stays in L1. */
static void pack_panels(int64_t m, int64_t k, const float *a, int64_t lda, float *ap, int R,
                        int64_t p0, int64_t p1)
{
    for (int64_t p = p0; p < p1; p++) {
        float *dst = ap + p * R * k;
        for (int64_t k0 = 0; k0 < k; k0 += 64) {
            int64_t k1 = k0 + 64 < k ? k0 + 64 : k;
            for (int r = 0; r < R; r++) {
                int64_t row = p * R + r;
                const float *src = a + row * lda;
                for (int64_t kk = k0; kk < k1; kk++) dst[kk * R + r] = row < m ? src[kk] : 0.0f;
            }
        }
    }
}

void or_gemm_pack(int64_t m, int64_t k, const float *a, int64_t lda, float *ap)
{
    pack_panels(m, k, a, lda, ap, MR, 0, (m + MR - 1) / MR);
}

void or_gemm_pack_mv(int64_t m, int64_t k, const float *a, int64_t lda, float *ap)
{
    pack_panels(m, k, a, lda, ap, OR_GEMM_MV, 0, (m + OR_GEMM_MV - 1) / OR_GEMM_MV);
}

typedef struct pack_job {
    int64_t m, k, lda;
    const float *a;
    float *ap;
    int rows;
} pack_job;

static void pack_part(void *ctx, int64_t p0, int64_t p1)
{
    const pack_job *j = ctx;
    pack_panels(j->m, j->k, j->a, j->lda, j->ap, j->rows, p0, p1);
}

void or_gemm_pack_threads(const or_kernel *kern, int rows, int64_t m, int64_t k, const float *a,
                          int64_t lda, float *ap)
{
    pack_job j = { m, k, lda, a, ap, rows };
    or_parallel_for_work(kern, (m + j.rows - 1) / j.rows, (double)m * (double)k, pack_part, &j);
}

bool or_gemm_mv_pays(onnxrun_isa isa, int64_t m, int64_t n, int64_t k)
{
    if (or_isa_of(isa) < ONNXRUN_ISA_AVX512 || m % OR_GEMM_MV != 0) return false;
    /* up to 32 columns the 6 x 32 block leaves lanes empty; up to 64 the
     * mv kernel still wins when the weights stream from memory (its
     * prefetch keeps up; in cache the 6 x 32 block is faster) */
    return n <= GEMM_MV_MAX_N || (n <= 2 * GEMM_MV_MAX_N && (double)m * (double)k * 4.0 > GEMM_MV_STREAM_BYTES);
}

static void ukr_portable_one(const or_ukr_args *u)
{
    float acc[MR][NR];
    for (int r = 0; r < MR; r++)
        for (int j = 0; j < NR; j++) acc[r][j] = u->acc && r < u->mr && j < u->nr ? u->c[r * u->ldc + j] : 0;
    for (int64_t kk = 0; kk < u->kc; kk++) {
        const float *br = u->b + kk * u->ldb;
        for (int r = 0; r < u->mr; r++)
            for (int j = 0; j < u->nr; j++) acc[r][j] += u->a[u->ao[r] + kk * u->ak] * br[j];
    }
    for (int r = 0; r < u->mr; r++)
        for (int j = 0; j < u->nr; j++) {
            float v = acc[r][j];
            if (u->fin) {
                if (u->bias) v += u->bias[r];
                if (u->add) v += u->add[r * u->ldc + j];
                if (u->e) v = or_act1(v, u->e);
            }
            u->c[r * u->ldc + j] = v;
        }
}

static void ukr_portable(const or_ukr_args *run)
{
    or_ukr_args u = *run;
    for (int64_t p = 0; p < run->panels; p++) {
        or_ukr_panel(&u, run, p);
        ukr_portable_one(&u);
    }
}

/* The register-block kernel for an ISA, and its width. */
typedef struct ukr_pick {
    or_ukr_fn fn;
    int nr;
} ukr_pick;

static ukr_pick pick_ukr(onnxrun_isa isa)
{
    isa = or_isa_of(isa);
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
    if (isa >= ONNXRUN_ISA_AVX512) return (ukr_pick){ or_gemm_ukr_6x32_avx512, 32 };
    if (isa >= ONNXRUN_ISA_AVX2) return (ukr_pick){ or_gemm_ukr_6x16_avx2, 16 };
#endif
    return (ukr_pick){ ukr_portable, NR };
}

int or_gemm_width(onnxrun_isa isa)
{
    return pick_ukr(isa).nr;
}

/* Panels [p0, p1) x columns [n0, n1), K in chunks. */
static void gemm_block(const or_gemm *g, int64_t p0, int64_t p1, int64_t n0, int64_t n1)
{
    const or_epilogue *e = g->e && g->e->act != OR_ACT_NONE ? g->e : NULL;
    ukr_pick uk = pick_ukr(g->isa);
    const int W = uk.nr;
    _Alignas(64) float bpack[GEMM_KC * OR_GEMM_NR_MAX];
    int64_t k0 = 0;
    do {
        int64_t kc = g->k - k0 < GEMM_KC ? g->k - k0 : GEMM_KC;
        bool last = k0 + kc >= g->k;
        /* panels per block of A that stays in L2 while B's columns pass */
        int64_t mc = GEMM_MC_BYTES / ((kc > 0 ? kc : 1) * MR * (int64_t)sizeof(float));
        if (mc < 1) mc = 1;
        for (int64_t pb = p0; pb < p1; pb += mc)
        for (int64_t nb = n0; nb < n1; nb += W) {
            int nr = (int)(n1 - nb < W ? n1 - nb : W);
            int64_t pe = p1 < pb + mc ? p1 : pb + mc;
            /* B's block, copied into W-float aligned rows (zero past nr) when
             * enough panels use it */
            const float *bb = g->brows ? NULL : g->b + k0 * g->ldb + nb;
            int64_t ldb = g->ldb;
            /* indirect rows are read in place (readable to W floats) */
            bool packed_b = !g->brows && pe - pb >= GEMM_PACK_B_MIN;
            if (packed_b) {
                for (int64_t kk = 0; kk < kc; kk++) {
                    float *dst = bpack + kk * W;
                    /* the row segment of the block after next, both of its
                     * 64-byte lines at W = 32 (the second line alone: GEMM
                     * microbench 64 x 3136 x 256 and 256 x 3136 x 64, resnet50's
                     * layer1, +4%) */
                    __builtin_prefetch(bb + kk * ldb + 2 * W);
                    __builtin_prefetch(bb + kk * ldb + 2 * W + 16);
                    if (nr == W) { /* inline: a memcpy call per row cost more than the copy */
                        for (int j = 0; j < W; j += 8) OR_V8F_STORE(dst + j, OR_V8F_LOAD(bb + kk * ldb + j));
                    } else {
                        memcpy(dst, bb + kk * ldb, (size_t)nr * sizeof *dst);
                        memset(dst + nr, 0, (size_t)(W - nr) * sizeof *dst);
                    }
                }
                bb = bpack;
                ldb = W;
            }
            int64_t row = pb * MR;
            or_ukr_args u = {
                .kc = kc, .b = bb, .ldb = ldb, .bfull = packed_b || g->brows,
                .brows = g->brows ? g->brows + k0 : NULL, .boff = nb,
                .c = g->c + row * g->ldc + nb, .ldc = g->ldc,
                .nr = nr, .acc = k0 > 0, .fin = last,
                .bias = g->bias ? g->bias + row : NULL,
                .add = g->add ? g->add + row * g->ldc + nb : NULL, .e = e,
                .panels = pe - pb, .m_left = g->m - row, .lda = g->lda, .packed = g->packed,
                .a = g->packed ? g->a + row * g->k + k0 * MR : g->a + row * g->lda + k0,
                .a_step = g->packed ? MR * g->k : MR * g->lda, .ak = g->packed ? MR : 1,
            };
            uk.fn(&u);
        }
        k0 += kc;
    } while (k0 < g->k);
}

/* The mv layout: panels [p0, p1) of 16 rows x columns [n0, n1). Groups
 * of MV_PANELS panels; per group, passes of up to MV_COLS columns; per
 * pass, K in chunks of MV_KC (the group's chunk of A, up to 256 KiB, stays
 * in L2 while the pass's column blocks go over it; the first block streams
 * it from memory), the sums waiting in part between chunks. Column blocks
 * are of even widths up to MV_NJ (49 columns: 4 of 6 and 5 of 5). */
#define MV_PANELS 4
#define MV_NJ 6
#define MV_KC 1024
#define MV_COLS 96
static void mv_block(const or_gemm *g, int64_t p0, int64_t p1, int64_t n0, int64_t n1)
{
    const or_epilogue *e = g->e && g->e->act != OR_ACT_NONE ? g->e : NULL;
    /* 7-16 columns in all: a panel at a time, all columns and the whole K
     * in one pass (the kernel's 16-column block) */
    bool wide = n1 - n0 <= 16 && n1 - n0 > MV_NJ;
    int group = wide ? 1 : MV_PANELS;
    int64_t nj_max = wide ? 16 : MV_NJ, kc_max = wide ? g->k : MV_KC;
    _Alignas(64) float part[MV_PANELS * MV_COLS * OR_GEMM_MV];
    for (int64_t pg = p0; pg < p1; pg += group) {
        int panels = (int)(p1 - pg < group ? p1 - pg : group);
        int64_t row = pg * OR_GEMM_MV, last = row + (panels - 1) * OR_GEMM_MV;
        int mr = (int)(g->m - last < OR_GEMM_MV ? g->m - last : OR_GEMM_MV);
        for (int64_t c0 = n0; c0 < n1; c0 += MV_COLS) {
            int64_t cols = n1 - c0 < MV_COLS ? n1 - c0 : MV_COLS;
            int64_t blocks = (cols + nj_max - 1) / nj_max, k0 = 0;
            do {
                int64_t kc = g->k - k0 < kc_max ? g->k - k0 : kc_max, j = c0;
                for (int64_t bi = 0; bi < blocks; bi++) {
                    int nj = (int)(cols / blocks + (bi < cols % blocks));
                    or_mv_args u = {
                        .k = kc, .a = g->a + row * g->k + k0 * OR_GEMM_MV,
                        .a_step = OR_GEMM_MV * g->k, .panels = panels, .nj = nj, .mr = mr,
                        .b = g->b + k0 * g->ldb + j, .ldb = g->ldb,
                        .part = part + (j - c0) * panels * OR_GEMM_MV,
                        .first = k0 == 0, .last = k0 + kc >= g->k,
                        .c = g->c + row * g->ldc + j, .ldc = g->ldc,
                        .bias = g->bias ? g->bias + row : NULL,
                        .add = g->add ? g->add + row * g->ldc + j : NULL, .e = e,
                    };
                    or_gemm_ukr_mv_avx512(&u);
                    j += nj;
                }
                k0 += kc;
            } while (k0 < g->k);
        }
    }
}

int or_gemm_panel_rows(const or_gemm *g)
{
    return g->mv ? OR_GEMM_MV : MR;
}

void or_gemm_cols(const or_gemm *g, int64_t n0, int64_t n1)
{
    if (n0 >= n1 || g->m <= 0) return;
    if (g->mv) mv_block(g, 0, (g->m + OR_GEMM_MV - 1) / OR_GEMM_MV, n0, n1);
    else gemm_block(g, 0, (g->m + MR - 1) / MR, n0, n1);
}

void or_gemm_panels(const or_gemm *g, int64_t p0, int64_t p1)
{
    if (p0 >= p1 || g->n <= 0) return;
    if (g->mv) mv_block(g, p0, p1, 0, g->n);
    else gemm_block(g, p0, p1, 0, g->n);
}

static void cols_job(void *ctx, int64_t b0, int64_t b1, int part)
{
    (void)part;
    const or_gemm *g = ctx;
    int64_t w = g->mv ? 16 : or_gemm_width(g->isa), n1 = b1 * w < g->n ? b1 * w : g->n;
    or_gemm_cols(g, b0 * w, n1);
}

/* Columns [b0, b1) of g (a stealing loop's chunk). */
static void cols_chunk(void *ctx, int64_t b0, int64_t b1, int part)
{
    (void)part;
    or_gemm_cols(ctx, b0, b1);
}

/* Row panels [p0, p1) of g (a stealing loop's chunk). */
static void panels_chunk(void *ctx, int64_t p0, int64_t p1, int part)
{
    (void)part;
    or_gemm_panels(ctx, p0, p1);
}

void or_gemm_run(const or_kernel *k, const or_gemm *g)
{
    int64_t w = g->mv ? 16 : or_gemm_width(g->isa), rows = or_gemm_panel_rows(g);
    int64_t blocks = (g->n + w - 1) / w, panels = (g->m + rows - 1) / rows;
    /* a multiply-add is cheaper than the "element touched" of OR_PAR_MIN_WORK */
    double work = (double)g->m * (double)g->n * (double)(g->k + 1) / OR_PAR_MAC_PER_WORK;
    int64_t threads = k && k->threads > 1 ? k->threads : 1, aim = OR_STEAL_CHUNKS * threads;
    /* Columns are output positions: thread t takes the t-th run of them
     * first, the positions it wrote in the layer before (a chain of 1x1
     * convolutions reads its input from its own core's cache; resnet50 at
     * 2 threads: 1x1 layers 13.4 -> 11.8 ms against a dynamic split), in
     * chunks of whole blocks, about OR_STEAL_CHUNKS per thread (each chunk
     * streams A once more). Splitting the rows instead when A is the
     * larger (each thread then reads all of B, not all of A) was slower:
     * resnet50's layer3 1x1 (256 x 1024 on 196 columns) 0.38 -> 0.56 ms;
     * with one run of rows per thread (split_rows) it was no better either
     * (layer3/4 1x1 layers at 2 threads 6.14 -> 6.15 and 6.17 -> 5.94 ms
     * in two interleaved runs). split_rows is for products whose B is
     * shared anyway (conv.c's one im2col tile). */
    if (!g->split_rows && !g->mv && blocks >= 2 * threads) {
        int64_t chunk = (blocks + aim - 1) / aim;
        or_parallel_steal(k, g->n, chunk * w, work, cols_chunk, (void *)g);
    } else if (!g->split_rows && (blocks >= 4 * threads || blocks >= panels)) {
        /* mv: a few column chunks per thread */
        or_parallel_dyn(k, blocks, work, cols_job, (void *)g);
    } else { /* rows: runs of panels, each of which packs each B block once */
        /* split_rows: one run per thread, over which B's blocks are packed once */
        int64_t runs = g->split_rows ? threads : aim, chunk = (panels + runs - 1) / runs;
        if (!g->mv && chunk < GEMM_PACK_B_MIN && panels >= 2 * GEMM_PACK_B_MIN * threads)
            chunk = GEMM_PACK_B_MIN; /* enough panels to pay for packing B */
        if (g->mv) chunk = (chunk + MV_PANELS - 1) / MV_PANELS * MV_PANELS; /* whole register blocks */
        or_parallel_steal(k, panels, chunk, work, panels_chunk, (void *)g);
    }
}
