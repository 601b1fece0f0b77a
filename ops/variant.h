/*
 * variant.h - one source, two compiles: the names of the AVX2 variant.
 *
 * The op family files and the convolution algorithm files (the list is
 * OR_VARIANT_SOURCES in CMakeLists.txt) are compiled twice:
 *   - as themselves, for baseline x86-64 (SSE2): the portable path, which
 *     runs on any x86-64 CPU;
 *   - again with -mavx2 -mfma and OR_VARIANT_AVX2 defined: the AVX2 and
 *     AVX-512 paths (the AVX-512 micro-kernels are files of their own).
 * Each compile keeps its own static functions. The functions they export get
 * an _avx2 suffix in the second compile, below, so both link into one
 * library; a name missing here is a duplicate-symbol error at link time.
 * ops/registry.c holds both compiles' tables and or_op_variant hands a
 * kernel the table of its ISA (or_kernel_init does it), so nothing built for
 * AVX2 runs unless ops/isa.c said the CPU has it.
 */
#ifndef OR_VARIANT_H
#define OR_VARIANT_H

#ifdef OR_VARIANT_AVX2
/* op family tables */
#define or_ops_activation or_ops_activation_avx2
#define or_ops_activation_count or_ops_activation_count_avx2
#define or_ops_constant or_ops_constant_avx2
#define or_ops_constant_count or_ops_constant_count_avx2
#define or_ops_conv or_ops_conv_avx2
#define or_ops_conv_count or_ops_conv_count_avx2
#define or_ops_dense or_ops_dense_avx2
#define or_ops_dense_count or_ops_dense_count_avx2
#define or_ops_elementwise or_ops_elementwise_avx2
#define or_ops_elementwise_count or_ops_elementwise_count_avx2
#define or_ops_indexing or_ops_indexing_avx2
#define or_ops_indexing_count or_ops_indexing_count_avx2
#define or_ops_loss or_ops_loss_avx2
#define or_ops_loss_count or_ops_loss_count_avx2
#define or_ops_movement or_ops_movement_avx2
#define or_ops_movement_count or_ops_movement_count_avx2
#define or_ops_norm or_ops_norm_avx2
#define or_ops_norm_count or_ops_norm_count_avx2
#define or_ops_optim or_ops_optim_avx2
#define or_ops_optim_count or_ops_optim_count_avx2
#define or_ops_pool or_ops_pool_avx2
#define or_ops_pool_count or_ops_pool_count_avx2
#define or_ops_quant or_ops_quant_avx2
#define or_ops_quant_count or_ops_quant_count_avx2
#define or_ops_reduce or_ops_reduce_avx2
#define or_ops_reduce_count or_ops_reduce_count_avx2
#define or_ops_resize or_ops_resize_avx2
#define or_ops_resize_count or_ops_resize_count_avx2
#define or_ops_rnn or_ops_rnn_avx2
#define or_ops_rnn_count or_ops_rnn_count_avx2
#define or_ops_select or_ops_select_avx2
#define or_ops_select_count or_ops_select_count_avx2
#define or_ops_signal or_ops_signal_avx2
#define or_ops_signal_count or_ops_signal_count_avx2
#define or_ops_shape or_ops_shape_avx2
#define or_ops_shape_count or_ops_shape_count_avx2
/* conv_depthwise.c */
#define or_dw_plan or_dw_plan_avx2
#define or_dw_plane or_dw_plane_avx2
/* conv_gemm.c */
#define or_gemm_cols or_gemm_cols_avx2
#define or_gemm_mv_pays or_gemm_mv_pays_avx2
#define or_gemm_pack or_gemm_pack_avx2
#define or_gemm_pack_mv or_gemm_pack_mv_avx2
#define or_gemm_pack_threads or_gemm_pack_threads_avx2
#define or_gemm_packed_floats or_gemm_packed_floats_avx2
#define or_gemm_packed_mv_floats or_gemm_packed_mv_floats_avx2
#define or_gemm_panel_rows or_gemm_panel_rows_avx2
#define or_gemm_panels or_gemm_panels_avx2
#define or_gemm_run or_gemm_run_avx2
#define or_gemm_width or_gemm_width_avx2
/* conv_im2col.c */
#define or_col2im or_col2im_avx2
#define or_conv_depthwise_plane or_conv_depthwise_plane_avx2
#define or_im2col or_im2col_avx2
/* conv_winograd.c */
#define or_wino_fits or_wino_fits_avx2
#define or_wino_input or_wino_input_avx2
#define or_wino_lines or_wino_lines_avx2
#define or_wino_m or_wino_m_avx2
#define or_wino_output or_wino_output_avx2
#define or_wino_plan or_wino_plan_avx2
#define or_wino_scratch_floats or_wino_scratch_floats_avx2
#define or_wino_v or_wino_v_avx2
#define or_wino_weights or_wino_weights_avx2
#endif

#endif /* OR_VARIANT_H */
