/*
 * wire.c - a pass over serialized ModelProto bytes before protobuf-c sees
 * them, so that tensor payloads are not copied by the unpacker.
 *
 * The pass follows one fixed path of the schema:
 *     ModelProto.graph (7) -> GraphProto.initializer (5) -> TensorProto
 *     ModelProto.graph (7) -> GraphProto.node (1) -> NodeProto.attribute (5)
 *                          -> AttributeProto.t (5) -> TensorProto
 * and in each TensorProto on it replaces a non-empty raw_data (9) by a
 * 4-byte placeholder: the index of an or_span recording where the payload
 * lies in the input. Every other field is copied byte for byte; the length
 * prefixes of the messages on the path are re-encoded for their new sizes.
 * Since every non-empty raw_data on the path is replaced, whatever raw_data
 * protobuf-c keeps for a tensor (the last one, when a field or a message
 * is repeated and merged) is a placeholder the loader can resolve.
 *
 * Only keys and lengths are read, never payloads, so a memory-mapped file's
 * weight pages are not touched here. Hostile input: varints longer than 10
 * bytes, lengths past the end of the enclosing message, unsupported wire
 * types, field number 0 and a wrong wire type on a message field the pass
 * follows are refused with ONNXRUN_E_PARSE.
 *
 * The pass also bounds nesting, which protobuf-c does not (it recurses once
 * per level, so a 2 MB file of sequence-of-sequence types overflows the
 * stack): it descends, checking only, along every edge of onnx.proto that
 * can recur - subgraphs (AttributeProto.g/graphs, training_info,
 * functions) and types (ValueInfoProto.type, TypeProto sequence/map/
 * optional) - and refuses messages nested deeper than OR_WIRE_MAX_DEPTH.
 * Its own recursion is bounded by that limit. Other fields are left to
 * protobuf-c to validate.
 */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* Message kinds the pass enters; L_PAYLOAD marks the raw_data field. */
typedef enum lvl {
    L_MODEL, L_GRAPH, L_NODE, L_ATTR, L_TENSOR, L_TRAINING, L_FUNCTION, L_VALUE, L_TYPE, L_TYPE_SEQ,
    L_TYPE_MAP, L_TYPE_OPT, L_COUNT, L_PAYLOAD = L_COUNT, L_NONE
} lvl;

static const char *const lvl_names[L_COUNT] = {
    [L_MODEL] = "ModelProto", [L_GRAPH] = "GraphProto", [L_NODE] = "NodeProto",
    [L_ATTR] = "AttributeProto", [L_TENSOR] = "TensorProto", [L_TRAINING] = "TrainingInfoProto",
    [L_FUNCTION] = "FunctionProto", [L_VALUE] = "ValueInfoProto", [L_TYPE] = "TypeProto",
    [L_TYPE_SEQ] = "TypeProto.Sequence", [L_TYPE_MAP] = "TypeProto.Map", [L_TYPE_OPT] = "TypeProto.Optional",
};

/* The message fields the pass follows (field numbers of onnx.proto).
 * `path` edges lead to the payloads and are rewritten; the others are
 * entered only to bound the nesting, and copied as they are. */
typedef struct edge {
    lvl from;
    uint32_t field;
    lvl to;
    bool path;
} edge;

static const edge edges[] = {
    { L_MODEL, 7, L_GRAPH, true },       /* graph */
    { L_MODEL, 20, L_TRAINING, false },  /* training_info */
    { L_MODEL, 25, L_FUNCTION, false },  /* functions */
    { L_GRAPH, 1, L_NODE, true },        /* node */
    { L_GRAPH, 5, L_TENSOR, true },      /* initializer */
    { L_GRAPH, 11, L_VALUE, false },     /* input */
    { L_GRAPH, 12, L_VALUE, false },     /* output */
    { L_GRAPH, 13, L_VALUE, false },     /* value_info */
    { L_NODE, 5, L_ATTR, true },         /* attribute */
    { L_ATTR, 5, L_TENSOR, true },       /* t */
    { L_ATTR, 6, L_GRAPH, false },       /* g */
    { L_ATTR, 11, L_GRAPH, false },      /* graphs */
    { L_ATTR, 14, L_TYPE, false },       /* tp */
    { L_ATTR, 15, L_TYPE, false },       /* type_protos */
    { L_TENSOR, 9, L_PAYLOAD, true },    /* raw_data */
    { L_TRAINING, 1, L_GRAPH, false },   /* initialization */
    { L_TRAINING, 2, L_GRAPH, false },   /* algorithm */
    { L_FUNCTION, 7, L_NODE, false },    /* node */
    { L_VALUE, 2, L_TYPE, false },       /* type */
    { L_TYPE, 4, L_TYPE_SEQ, false },    /* sequence_type */
    { L_TYPE, 5, L_TYPE_MAP, false },    /* map_type */
    { L_TYPE, 9, L_TYPE_OPT, false },    /* optional_type */
    { L_TYPE_SEQ, 1, L_TYPE, false },    /* elem_type */
    { L_TYPE_MAP, 2, L_TYPE, false },    /* value_type */
    { L_TYPE_OPT, 1, L_TYPE, false },    /* elem_type */
};

/* The edge for field `field` of a message of kind l, or NULL. */
static const edge *edge_of(lvl l, uint64_t field)
{
    for (size_t i = 0; i < sizeof edges / sizeof edges[0]; i++)
        if (edges[i].from == l && edges[i].field == field) return &edges[i];
    return NULL;
}

typedef struct wire {
    or_ld *ld;
    const uint8_t *buf;     /* the input [len] */
    size_t len;
    uint8_t *out;           /* compacted message being written */
    size_t pos;             /* bytes written to out */
    or_span *spans;         /* spans written so far [n_spans] */
    size_t n_spans;
    bool check;             /* enter the non-path edges (the first pass only) */
} wire;

static or_status bad(wire *w, size_t off, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* ONNXRUN_E_PARSE: "not a valid ONNX protobuf: ... (<detail> at offset n)". */
static or_status bad(wire *w, size_t off, const char *fmt, ...)
{
    char detail[200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(detail, sizeof detail, fmt, ap);
    va_end(ap);
    return or_ld_fail(w->ld, ONNXRUN_E_PARSE,
                      "not a valid ONNX protobuf: the %zu bytes are truncated or corrupt (%s at offset %zu)",
                      w->len, detail, off);
}

/* Reads a varint at *p (< end). 0 = ok, 1 = runs past end, 2 = too long. */
static int get_varint(const uint8_t *b, size_t *p, size_t end, uint64_t *v)
{
    uint64_t r = 0;
    for (int i = 0; i < 10; i++) {
        if (*p >= end) return 1;
        uint8_t c = b[(*p)++];
        if (i == 9 && c > 1) return 2;
        r |= (uint64_t)(c & 0x7f) << (7 * i);
        if (!(c & 0x80)) {
            *v = r;
            return 0;
        }
    }
    return 2;
}

static size_t varint_len(uint64_t v)
{
    size_t n = 1;
    while (v >= 0x80) v >>= 7, n++;
    return n;
}

static void put_varint(wire *w, uint64_t v)
{
    while (v >= 0x80) {
        w->out[w->pos++] = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    w->out[w->pos++] = (uint8_t)v;
}

static void put(wire *w, const uint8_t *p, size_t n)
{
    memcpy(w->out + w->pos, p, n);
    w->pos += n;
}

/* One field of a message. */
typedef struct fld {
    size_t start;           /* first byte of the key */
    size_t key_end;         /* first byte after the key */
    size_t body;            /* first byte of a length-delimited payload */
    size_t end;             /* first byte after the field */
    const edge *e;          /* the edge it is, or NULL */
} fld;

/* Reads the field at buf[p] of a message of kind l that ends at `end`. */
static or_status next_field(wire *w, lvl l, size_t p, size_t end, fld *f)
{
    const uint8_t *b = w->buf;
    uint64_t key, v;
    f->start = p;
    int r = get_varint(b, &p, end, &key);
    if (r)
        return bad(w, f->start, r == 1 ? "a field key runs past the end of its %s" : "a %s field key is too long",
                   lvl_names[l]);
    uint64_t num = key >> 3;
    unsigned wt = (unsigned)(key & 7);
    if (num == 0 || num > 0x1fffffff)
        return bad(w, f->start, "%s field number %llu is out of range", lvl_names[l], (unsigned long long)num);
    f->e = edge_of(l, num);
    if (f->e && wt != 2)
        return bad(w, f->start, "%s field %llu has wire type %u, not length-delimited", lvl_names[l],
                   (unsigned long long)num, wt);
    f->key_end = f->body = p;
    switch (wt) {
    case 0:
        if ((r = get_varint(b, &p, end, &v)))
            return bad(w, f->key_end, r == 1 ? "a varint runs past the end of its %s" : "a %s varint is too long",
                       lvl_names[l]);
        break;
    case 1: case 5: {
        size_t n = wt == 1 ? 8 : 4;
        if (end - p < n) return bad(w, f->key_end, "a %zu-byte value runs past the end of its %s", n, lvl_names[l]);
        p += n;
        break;
    }
    case 2:
        if ((r = get_varint(b, &p, end, &v)))
            return bad(w, f->key_end, r == 1 ? "a length runs past the end of its %s" : "a %s length is too long",
                       lvl_names[l]);
        if (v > end - p)
            return bad(w, f->key_end, "%s field %llu has length %llu but %zu bytes are left", lvl_names[l],
                       (unsigned long long)num, (unsigned long long)v, end - p);
        f->body = p;
        p += v;
        break;
    default:
        return bad(w, f->start, "%s field %llu has wire type %u, which onnxrun does not read", lvl_names[l],
                   (unsigned long long)num, wt);
    }
    f->end = p;
    return ONNXRUN_OK;
}

/* Checks the framing and the nesting of the message of kind l at `depth`
 * in buf[start, end), entering every edge but those to tensors (which do
 * not nest further). */
static or_status check(wire *w, lvl l, int depth, size_t start, size_t end)
{
    if (depth > OR_WIRE_MAX_DEPTH)
        return or_ld_fail(w->ld, ONNXRUN_E_PARSE,
                          "not a valid ONNX protobuf: the %zu bytes have messages nested more than %d deep "
                          "(a %s at offset %zu)", w->len, OR_WIRE_MAX_DEPTH, lvl_names[l], start);
    fld f;
    for (size_t p = start; p < end; p = f.end) {
        or_status st = next_field(w, l, p, end, &f);
        if (st) return st;
        if (f.e && f.e->to != L_TENSOR && f.e->to != L_PAYLOAD &&
            (st = check(w, f.e->to, depth + 1, f.body, f.end)))
            return st;
    }
    return ONNXRUN_OK;
}

/* Measures (write = false) or writes into w->out the compacted form of the
 * message of kind l (on the path, at `depth`) in buf[start, end): *size
 * gets its byte count, *n_sp the number of payloads it strips. */
static or_status walk(wire *w, lvl l, int depth, size_t start, size_t end, bool write, uint64_t *size,
                      uint64_t *n_sp)
{
    const uint8_t *b = w->buf;
    uint64_t sz = 0, ns = 0;
    or_status st;
    fld f;
    for (size_t p = start; p < end; p = f.end) {
        if ((st = next_field(w, l, p, end, &f))) return st;
        if (f.e && !f.e->path && w->check && (st = check(w, f.e->to, depth + 1, f.body, f.end))) return st;
        if (!f.e || !f.e->path || (f.e->to == L_PAYLOAD && f.body == f.end)) {
            sz += f.end - f.start;
            if (write) put(w, b + f.start, f.end - f.start);
            continue;
        }
        uint64_t sub, sub_n;
        if (f.e->to == L_PAYLOAD) {
            sub = OR_WIRE_MARK;
            sub_n = 1;
        } else if ((st = walk(w, f.e->to, depth + 1, f.body, f.end, false, &sub, &sub_n))) {
            return st;
        }
        sz += (f.key_end - f.start) + varint_len(sub) + sub;
        ns += sub_n;
        if (!write) continue;
        put(w, b + f.start, f.key_end - f.start);
        put_varint(w, sub);
        if (f.e->to == L_PAYLOAD) {
            uint32_t idx = (uint32_t)w->n_spans;
            uint8_t mark[OR_WIRE_MARK] = { (uint8_t)idx, (uint8_t)(idx >> 8), (uint8_t)(idx >> 16),
                                           (uint8_t)(idx >> 24) };
            w->spans[w->n_spans++] = (or_span){ f.body, f.end - f.body, 0 };
            put(w, mark, sizeof mark);
        } else {
            size_t before = w->pos;
            uint64_t again, again_n;
            if ((st = walk(w, f.e->to, depth + 1, f.body, f.end, true, &again, &again_n))) return st;
            assert(again == sub && w->pos - before == sub);
            (void)before;
        }
    }
    *size = sz;
    *n_sp = ns;
    return ONNXRUN_OK;
}

/* See internal.h. */
or_status or_wire_compact(or_ld *ld, const uint8_t *buf, size_t len, or_wire_out *o)
{
    memset(o, 0, sizeof *o);
    wire w = { .ld = ld, .buf = buf, .len = len, .check = true };
    uint64_t size, n;
    or_status st = walk(&w, L_MODEL, 0, 0, len, false, &size, &n);
    if (st) return st;
    if (n > UINT32_MAX || size > SIZE_MAX)
        return or_ld_fail(ld, ONNXRUN_E_LIMIT, "the model has %llu tensor payloads, above onnxrun's limit",
                          (unsigned long long)n);
    if (!(o->msg = or_ld_malloc((size_t)size)) || !(o->spans = or_ld_calloc((size_t)n, sizeof *o->spans))) {
        or_wire_free(o);
        return or_ld_fail(ld, ONNXRUN_E_NOMEM, "out of memory");
    }
    w.out = o->msg;
    w.spans = o->spans;
    w.check = false; /* done by the first pass */
    uint64_t again, again_n;
    st = walk(&w, L_MODEL, 0, 0, len, true, &again, &again_n);
    assert(!st && again == size && w.pos == size && w.n_spans == n);
    if (st) {
        or_wire_free(o);
        return st;
    }
    o->len = (size_t)size;
    o->n_spans = (size_t)n;
    return ONNXRUN_OK;
}

/* See internal.h. */
void or_wire_free(or_wire_out *o)
{
    if (!o) return;
    free(o->msg);
    free(o->spans);
    memset(o, 0, sizeof *o);
}

/* See internal.h. */
bool or_wire_span(const or_ld *ld, const ProtobufCBinaryData *raw, or_span **sp)
{
    if (raw->len != OR_WIRE_MARK) return false;
    const uint8_t *m = raw->data;
    uint32_t idx = (uint32_t)m[0] | (uint32_t)m[1] << 8 | (uint32_t)m[2] << 16 | (uint32_t)m[3] << 24;
    if (idx >= ld->n_spans) return false;
    *sp = &ld->spans[idx];
    return true;
}
