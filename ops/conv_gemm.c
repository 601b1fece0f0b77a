/*
 * conv_gemm.c - matrix product with a fused store (see conv_gemm.h).
 *
 * The register block is 6 rows x 16 columns of C: twelve 8-float
 * accumulators; per k, two vectors of B, six broadcasts of A (one from each
 * row, walking the rows in step) and twelve FMAs. K is cut into chunks of GEMM_KC so a chunk's B block (GEMM_KC x
 * 16 floats) stays in L1 while every row panel of A passes over it; C is
 * accumulated across chunks and the bias and epilogue are applied with the
 * last one. Column blocks narrower than 16 (the right edge) use masked
 * loads and stores, so B and C are never read or written past column n.
 *
 * The AVX2 + FMA kernel is compiled for that target and chosen at run time
 * (__builtin_cpu_supports); the portable one computes the same sums in the
 * same order (as separate multiply and add, so results may differ in the
 * last bit).
 */
#include <string.h>

#include "conv_gemm.h"
#include "rowops.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define GEMM_X86 1
#include <immintrin.h>
#endif

#define GEMM_KC 256 /* k per chunk */
#define GEMM_MC_BYTES ((int64_t)192 << 10) /* A per block of row panels */
#define GEMM_PF_A 1024 /* floats ahead in A to prefetch (packed weights stream from memory) */
#define GEMM_PACK_B_MIN 3 /* row panels over which a copied B block pays */
#define MR OR_GEMM_MR
#define NR OR_GEMM_NR

bool or_gemm_portable = false;

size_t or_gemm_packed_floats(int64_t m, int64_t k)
{
    return (size_t)((m + MR - 1) / MR * MR) * (size_t)k;
}

void or_gemm_pack(int64_t m, int64_t k, const float *a, int64_t lda, float *ap)
{
    for (int64_t p = 0; p < (m + MR - 1) / MR; p++) {
        float *dst = ap + p * MR * k;
        for (int64_t kk = 0; kk < k; kk++)
            for (int r = 0; r < MR; r++) {
                int64_t row = p * MR + r;
                dst[kk * MR + r] = row < m ? a[row * lda + kk] : 0.0f;
            }
    }
}

/* One register block: c[0..mr)[0..nr) = (acc ? c : 0) + a * b over kc, then,
 * when fin is set, + bias[r] + add[r][j] and the activation. */
typedef struct ukr_args {
    int64_t kc;
    const float *a;            /* A[r][k] at a[ao[r] + k * ak] */
    int64_t ao[MR], ak;
    /* the run of row panels (ukr_panels): count, rows left from the first,
     * A floats between panels, A packed (else rows lda apart) */
    int64_t panels, m_left, a_step, lda;
    bool packed;
    const float *b;
    int64_t ldb;
    float *c;
    int64_t ldc;
    int mr, nr;                /* rows and columns of C */
    bool bfull;                /* B rows hold 16 readable floats (else nr) */
    bool acc, fin;
    const float *bias, *add;   /* bias + row0, add at c's offset; may be NULL */
    const or_epilogue *e;
} ukr_args;

/* u->a, ao and mr for the panel whose first row is `row` rows into the run. */
static inline void ukr_panel(ukr_args *u, const ukr_args *run, int64_t p)
{
    int64_t left = run->m_left - p * MR;
    u->mr = (int)(left < MR ? left : MR);
    u->a = run->a + p * run->a_step;
    u->c = run->c + p * MR * run->ldc;
    u->bias = run->bias ? run->bias + p * MR : NULL;
    u->add = run->add ? run->add + p * MR * run->ldc : NULL;
    for (int r = 0; r < MR; r++)
        u->ao[r] = run->packed ? r : (r < u->mr ? r : u->mr - 1) * run->lda;
}

static void ukr_portable_one(const ukr_args *u)
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

static void ukr_portable(const ukr_args *run)
{
    ukr_args u = *run;
    for (int64_t p = 0; p < run->panels; p++) {
        ukr_panel(&u, run, p);
        ukr_portable_one(&u);
    }
}

#ifdef GEMM_X86
#define AVX2 __attribute__((target("avx2,fma")))

/* The activation on one vector, exactly as or_act1 per lane. */
AVX2 static inline __m256 act8(__m256 v, const or_epilogue *e)
{
    switch (e->act) {
    case OR_ACT_RELU:
        return _mm256_max_ps(v, _mm256_setzero_ps()); /* v > 0 ? v : 0 */
    case OR_ACT_CLIP:
        v = _mm256_max_ps(_mm256_set1_ps(e->lo), v);   /* lo > v ? lo : v */
        return _mm256_min_ps(_mm256_set1_ps(e->hi), v); /* hi < v ? hi : v */
    case OR_ACT_LEAKY:
        return _mm256_blendv_ps(v, _mm256_mul_ps(v, _mm256_set1_ps(e->alpha)),
                                _mm256_cmp_ps(v, _mm256_setzero_ps(), _CMP_LT_OQ));
    case OR_ACT_NONE:
        break;
    }
    return v;
}

/* The 6 x 16 block in twelve named accumulators (arrays indexed in loops
 * would live in memory at -O2). */
#define ROWS(X) X(0) X(1) X(2) X(3) X(4) X(5)

AVX2 __attribute__((always_inline)) static inline void ukr_avx2_one(const ukr_args *u)
{
    const __m256i iota = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    const __m256i m0 = _mm256_cmpgt_epi32(_mm256_set1_epi32(u->nr), iota);
    const __m256i m1 = _mm256_cmpgt_epi32(_mm256_set1_epi32(u->nr - 8), iota);
    const bool full = u->nr == NR, bfull = u->bfull || full;
    const int64_t ldc = u->ldc, ldb = u->ldb;
#define DECL(r) __m256 c##r##0 = _mm256_setzero_ps(), c##r##1 = _mm256_setzero_ps();
    ROWS(DECL)
#undef DECL
    if (u->acc) {
#define LOAD(r)                                                                      \
        if (r < u->mr) {                                                             \
            const float *cr = u->c + r * ldc;                                        \
            c##r##0 = full ? _mm256_loadu_ps(cr) : _mm256_maskload_ps(cr, m0);      \
            c##r##1 = full ? _mm256_loadu_ps(cr + 8) : _mm256_maskload_ps(cr + 8, m1); \
        }
        ROWS(LOAD)
#undef LOAD
    }
    const float *b = u->b, *a = u->a;
    const int64_t kc = u->kc, ak = u->ak;
#define AROW(r) const int64_t o##r = u->ao[r];
    ROWS(AROW)
#undef AROW
#define FMA(r)                                                \
    {                                                         \
        __m256 av = _mm256_broadcast_ss(a + o##r);            \
        c##r##0 = _mm256_fmadd_ps(av, b0, c##r##0);           \
        c##r##1 = _mm256_fmadd_ps(av, b1, c##r##1);           \
    }
    /* the C block arrives while the sums are computed */
    for (int r = 0; r < u->mr; r++) {
        _mm_prefetch((const char *)(u->c + r * ldc), _MM_HINT_T0);
        _mm_prefetch((const char *)(u->c + r * ldc + NR - 1), _MM_HINT_T0);
    }
    if (u->nr <= 8) { /* a narrow right edge: the left half of the block */
        for (int64_t kk = 0; kk < kc; kk++, a += ak, b += ldb) {
            __m256 b0 = bfull || u->nr == 8 ? _mm256_loadu_ps(b) : _mm256_maskload_ps(b, m0);
#define FMA8(r) c##r##0 = _mm256_fmadd_ps(_mm256_broadcast_ss(a + o##r), b0, c##r##0);
            ROWS(FMA8)
#undef FMA8
        }
    } else if (bfull) {
        /* and B's next column block, for the panels that follow */
        for (int64_t kk = 0; kk < kc; kk++, a += ak, b += ldb) {
            __m256 b0 = _mm256_loadu_ps(b), b1 = _mm256_loadu_ps(b + 8);
            _mm_prefetch((const char *)(b + 2 * NR), _MM_HINT_T0);
            _mm_prefetch((const char *)(a + GEMM_PF_A), _MM_HINT_T0);
            ROWS(FMA)
        }
    } else {
        for (int64_t kk = 0; kk < kc; kk++, a += ak, b += ldb) {
            __m256 b0 = _mm256_maskload_ps(b, m0), b1 = _mm256_maskload_ps(b + 8, m1);
            ROWS(FMA)
        }
    }
#undef FMA
#define STORE(r)                                                                          \
    if (r < u->mr) {                                                                      \
        __m256 v0 = c##r##0, v1 = c##r##1;                                                \
        if (u->fin) {                                                                     \
            if (u->bias) {                                                                \
                __m256 bv = _mm256_broadcast_ss(u->bias + r);                             \
                v0 = _mm256_add_ps(v0, bv);                                               \
                v1 = _mm256_add_ps(v1, bv);                                               \
            }                                                                             \
            if (u->add) {                                                                 \
                const float *ar = u->add + r * ldc;                                       \
                v0 = _mm256_add_ps(v0, full ? _mm256_loadu_ps(ar) : _mm256_maskload_ps(ar, m0)); \
                v1 = _mm256_add_ps(v1, full ? _mm256_loadu_ps(ar + 8)                     \
                                            : _mm256_maskload_ps(ar + 8, m1));            \
            }                                                                             \
            if (u->e) {                                                                   \
                v0 = act8(v0, u->e);                                                      \
                v1 = act8(v1, u->e);                                                      \
            }                                                                             \
        }                                                                                 \
        float *cr = u->c + r * ldc;                                                       \
        if (full) {                                                                       \
            _mm256_storeu_ps(cr, v0);                                                     \
            _mm256_storeu_ps(cr + 8, v1);                                                 \
        } else {                                                                          \
            _mm256_maskstore_ps(cr, m0, v0);                                              \
            _mm256_maskstore_ps(cr + 8, m1, v1);                                          \
        }                                                                                 \
    }
    ROWS(STORE)
#undef STORE
}

AVX2 static void ukr_avx2(const ukr_args *run)
{
    ukr_args u = *run;
    for (int64_t p = 0; p < run->panels; p++) {
        ukr_panel(&u, run, p);
        ukr_avx2_one(&u);
    }
}
#undef ROWS

#endif

/* The register-block kernel for this CPU. */
static void (*pick_ukr(void))(const ukr_args *)
{
#ifdef GEMM_X86
    if (!or_gemm_portable && __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
        return ukr_avx2;
#endif
    return ukr_portable;
}

/* Panels [p0, p1) x columns [n0, n1), K in chunks. */
static void gemm_block(const or_gemm *g, int64_t p0, int64_t p1, int64_t n0, int64_t n1)
{
    const or_epilogue *e = g->e && g->e->act != OR_ACT_NONE ? g->e : NULL;
    void (*ukr)(const ukr_args *) = pick_ukr();
    _Alignas(64) float bpack[GEMM_KC * NR];
    int64_t k0 = 0;
    do {
        int64_t kc = g->k - k0 < GEMM_KC ? g->k - k0 : GEMM_KC;
        bool last = k0 + kc >= g->k;
        /* panels per block of A that stays in L2 while B's columns pass */
        int64_t mc = GEMM_MC_BYTES / ((kc > 0 ? kc : 1) * MR * (int64_t)sizeof(float));
        if (mc < 1) mc = 1;
        for (int64_t pb = p0; pb < p1; pb += mc)
        for (int64_t nb = n0; nb < n1; nb += NR) {
            int nr = (int)(n1 - nb < NR ? n1 - nb : NR);
            int64_t pe = p1 < pb + mc ? p1 : pb + mc;
            /* B's block, copied into 16-float aligned rows (zero past nr) when
             * enough panels use it */
            const float *bb = g->b + k0 * g->ldb + nb;
            int64_t ldb = g->ldb;
            bool packed_b = pe - pb >= GEMM_PACK_B_MIN;
            if (packed_b) {
                for (int64_t kk = 0; kk < kc; kk++) {
                    float *dst = bpack + kk * NR;
                    /* the next block's row segment, one block's work ahead */
                    __builtin_prefetch(bb + kk * ldb + 2 * NR);
                    if (nr == NR) {
                        memcpy(dst, bb + kk * ldb, NR * sizeof *dst);
                    } else {
                        memcpy(dst, bb + kk * ldb, (size_t)nr * sizeof *dst);
                        memset(dst + nr, 0, (size_t)(NR - nr) * sizeof *dst);
                    }
                }
                bb = bpack;
                ldb = NR;
            }
            int64_t row = pb * MR;
            ukr_args u = {
                .kc = kc, .b = bb, .ldb = ldb, .bfull = packed_b,
                .c = g->c + row * g->ldc + nb, .ldc = g->ldc,
                .nr = nr, .acc = k0 > 0, .fin = last,
                .bias = g->bias ? g->bias + row : NULL,
                .add = g->add ? g->add + row * g->ldc + nb : NULL, .e = e,
                .panels = pe - pb, .m_left = g->m - row, .lda = g->lda, .packed = g->packed,
                .a = g->packed ? g->a + row * g->k + k0 * MR : g->a + row * g->lda + k0,
                .a_step = g->packed ? MR * g->k : MR * g->lda, .ak = g->packed ? MR : 1,
            };
            ukr(&u);
        }
        k0 += kc;
    } while (k0 < g->k);
}

void or_gemm_cols(const or_gemm *g, int64_t n0, int64_t n1)
{
    if (n0 < n1 && g->m > 0) gemm_block(g, 0, (g->m + MR - 1) / MR, n0, n1);
}

void or_gemm_panels(const or_gemm *g, int64_t p0, int64_t p1)
{
    if (p0 < p1 && g->n > 0) gemm_block(g, p0, p1, 0, g->n);
}

static void cols_job(void *ctx, int64_t b0, int64_t b1, int part)
{
    (void)part;
    const or_gemm *g = ctx;
    int64_t n1 = b1 * NR < g->n ? b1 * NR : g->n;
    or_gemm_cols(g, b0 * NR, n1);
}

static void panels_job(void *ctx, int64_t p0, int64_t p1, int part)
{
    (void)part;
    or_gemm_panels(ctx, p0, p1);
}

void or_gemm_run(const or_kernel *k, const or_gemm *g)
{
    int64_t blocks = (g->n + NR - 1) / NR, panels = (g->m + MR - 1) / MR;
    /* a multiply-add is cheaper than the "element touched" of OR_PAR_MIN_WORK */
    double work = (double)g->m * (double)g->n * (double)(g->k + 1) / OR_PAR_MAC_PER_WORK;
    if (blocks >= 4 * (int64_t)k->threads || blocks >= panels) /* columns: a few chunks per thread */
        or_parallel_dyn(k, blocks, work, cols_job, (void *)g);
    else
        or_parallel_dyn(k, panels, work, panels_job, (void *)g);
}
