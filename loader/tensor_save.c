/*
 * tensor_save.c - onnxrun_tensor_save_pb: a tensor written as a serialized
 * TensorProto, the .pb files of the ONNX test layout that
 * onnxrun_tensor_load_pb (tensor_pb.c) reads back.
 *
 * The payload goes into raw_data (dense, little-endian, as the tensor holds
 * it); dims, data_type and name are set, nothing else. The message is
 * packed straight into the file through a protobuf-c buffer whose append is
 * fwrite, so the payload is not copied. Relies on a little-endian host (as
 * tensor_pb.c does) and on the protobuf-c code generated from onnx.proto.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "raw_data is little-endian");

/* A ProtobufCBuffer that appends to a FILE and remembers the first error. */
typedef struct file_buffer {
    ProtobufCBuffer base;
    FILE *f;
    int err;                  /* errno of the first failed write, 0 if none */
} file_buffer;

static void file_append(ProtobufCBuffer *b, size_t len, const uint8_t *data)
{
    file_buffer *fb = (file_buffer *)b;
    if (fb->err || !len) return;
    if (fwrite(data, 1, len, fb->f) != len) fb->err = errno ? errno : EIO;
}

/* Writes "<path>: <fmt>" (or just fmt without a path) into err; returns st. */
static onnxrun_status save_fail(char *err, size_t err_len, const char *path, onnxrun_status st,
                                const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static onnxrun_status save_fail(char *err, size_t err_len, const char *path, onnxrun_status st,
                                const char *fmt, ...)
{
    if (!err || !err_len) return st;
    int n = path ? snprintf(err, err_len, "%s: ", path) : 0;
    if (n < 0) n = 0;
    if ((size_t)n < err_len) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err + n, err_len - (size_t)n, fmt, ap);
        va_end(ap);
    }
    return st;
}

/* See onnxrun.h. The tensor is validated before the file is opened; a
 * regular file that cannot be written completely is removed (a device such
 * as /dev/full is left alone). */
onnxrun_status onnxrun_tensor_save_pb(const char *path, const onnxrun_tensor *t, const char *name,
                                      char *err, size_t err_len)
{
    if (err && err_len) err[0] = 0;
    if (!path) return save_fail(err, err_len, NULL, ONNXRUN_E_ARG, "no path to write the tensor to");
    if (!t) return save_fail(err, err_len, path, ONNXRUN_E_ARG, "no tensor to write");
    if (!name) name = "";
    size_t name_len = strlen(name);
    size_t bad = or_utf8_bad((const uint8_t *)name, name_len);
    if (bad < name_len)
        return save_fail(err, err_len, path, ONNXRUN_E_ARG,
                         "tensor name is not valid UTF-8 (byte 0x%02x at offset %zu)",
                         (unsigned)(uint8_t)name[bad], bad);
    if ((unsigned)t->dtype >= ONNXRUN_DTYPE_COUNT || !onnxrun_dtype_size(t->dtype))
        return save_fail(err, err_len, path, ONNXRUN_E_UNSUPPORTED,
                         "tensor '%s': data type %s (%d) cannot be written", name,
                         onnxrun_dtype_name(t->dtype), (int)t->dtype);
    if (t->rank < 0 || t->rank > ONNXRUN_MAX_RANK)
        return save_fail(err, err_len, path, ONNXRUN_E_ARG, "tensor '%s': rank %d is not 0..%d", name,
                         t->rank, ONNXRUN_MAX_RANK);
    int64_t numel;
    if (!or_shape_numel(t->rank, t->dims, t->dtype, &numel)) {
        char shape[OR_MAX_RANK * 21 + 3];
        or_shape_str(t, shape, sizeof shape);
        return save_fail(err, err_len, path, ONNXRUN_E_ARG,
                         "tensor '%s': dims %s are negative or overflow the size limit of 2^40 bytes",
                         name, shape);
    }
    size_t bytes = (size_t)numel * onnxrun_dtype_size(t->dtype);
    if (bytes && !t->data)
        return save_fail(err, err_len, path, ONNXRUN_E_ARG, "tensor '%s': data is NULL", name);

    Onnx__TensorProto tp;
    onnx__tensor_proto__init(&tp);
    tp.n_dims = (size_t)t->rank;
    tp.dims = (int64_t *)t->dims; /* only read by pack */
    tp.has_data_type = 1;
    tp.data_type = (int32_t)t->dtype;
    tp.name = (char *)name;
    tp.has_raw_data = 1;
    tp.raw_data.len = bytes;
    tp.raw_data.data = bytes ? (uint8_t *)t->data : NULL;

    FILE *f = fopen(path, "wb");
    if (!f)
        return save_fail(err, err_len, path, ONNXRUN_E_IO, "cannot open for writing: %s", strerror(errno));
    struct stat sb;
    int regular = fstat(fileno(f), &sb) == 0 && S_ISREG(sb.st_mode); /* never unlink a device */
    file_buffer fb = { .base = { .append = file_append }, .f = f };
    errno = 0;
    onnx__tensor_proto__pack_to_buffer(&tp, &fb.base);
    if (!fb.err && fflush(f) != 0) fb.err = errno ? errno : EIO;
    if (fclose(f) != 0 && !fb.err) fb.err = errno ? errno : EIO;
    if (fb.err) {
        if (regular) unlink(path);
        return save_fail(err, err_len, path, ONNXRUN_E_IO, "cannot write the tensor: %s", strerror(fb.err));
    }
    return ONNXRUN_OK;
}
