/*
 * plan_svg.c - draws a session's memory plan as SVG, the way such plans are
 * drawn by hand: schedule steps left to right, arena offsets bottom to top,
 * each planned buffer a rectangle over its lifetime labelled with the node
 * that produces it, the live bytes per step as a curve and the lower bound
 * (their peak) as a dashed line. Written directly, no plotting library.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

enum { W = 1200, H = 640, LEFT = 90, RIGHT = 20, TOP = 40, BOTTOM = 50 };

/* Writes s with XML's five special characters escaped. */
static void xml_text(FILE *f, const char *s)
{
    for (; s && *s; s++) {
        switch (*s) {
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '&': fputs("&amp;", f); break;
        case '"': fputs("&quot;", f); break;
        case '\'': fputs("&apos;", f); break;
        default:
            if ((unsigned char)*s >= 0x20 || *s == '\t') fputc(*s, f);
        }
    }
}

int cli_plan_svg(const onnxrun_session *s, const char *path)
{
    onnxrun_memory_info mi;
    if (onnxrun_session_memory(s, &mi) != ONNXRUN_OK) return cli_err(CLI_FAIL, "%s: no memory plan", path);
    size_t n = onnxrun_session_plan_count(s), steps = onnxrun_session_node_count(s) + 1;
    FILE *f = fopen(path, "w");
    if (!f) return cli_err(CLI_FAIL, "%s: cannot write: %s", path, strerror(errno));
    double top = (double)(mi.arena_bytes > mi.lower_bound_bytes ? mi.arena_bytes : mi.lower_bound_bytes);
    if (top <= 0) top = 1;
    double sx = (double)(W - LEFT - RIGHT) / (double)steps, sy = (double)(H - TOP - BOTTOM) / top;
    fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
               "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
               "viewBox=\"0 0 %d %d\" font-family=\"sans-serif\" font-size=\"10\">\n",
            W, H, W, H);
    fprintf(f, "<text x=\"%d\" y=\"20\" font-size=\"14\">memory plan: arena %.2f MiB, lower bound %.2f MiB, "
               "%zu buffers over %zu steps</text>\n",
            LEFT, (double)mi.arena_bytes / 1048576.0, (double)mi.lower_bound_bytes / 1048576.0, n,
            steps - 1);
    fprintf(f, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"black\"/>\n", LEFT, H - BOTTOM,
            W - RIGHT, H - BOTTOM);
    fprintf(f, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"black\"/>\n", LEFT, TOP, LEFT,
            H - BOTTOM);
    fprintf(f, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">schedule step</text>\n",
            (W + LEFT) / 2, H - 15);
    fprintf(f, "<text x=\"15\" y=\"%d\" transform=\"rotate(-90 15 %d)\" text-anchor=\"middle\">"
               "arena offset (MiB)</text>\n", (H) / 2, (H) / 2);
    for (int t = 0; t <= 4; t++) { /* y ticks */
        double bytes = top * t / 4;
        double y = H - BOTTOM - bytes * sy;
        fprintf(f, "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%.2f</text>\n", LEFT - 5, y + 3,
                bytes / 1048576.0);
    }
    double *live = calloc(steps + 1, sizeof *live);
    fprintf(f, "<g stroke=\"#333\" stroke-width=\"0.5\">\n");
    for (size_t i = 0; i < n; i++) {
        onnxrun_plan_entry e;
        if (onnxrun_session_plan_entry(s, i, &e) != ONNXRUN_OK) continue;
        double x = LEFT + e.first * sx, w = (e.last - e.first + 1) * sx;
        double h = (double)e.bytes * sy, y = H - BOTTOM - (double)(e.offset + e.bytes) * sy;
        unsigned hue = (unsigned)(i * 47 % 360);
        fprintf(f, "<rect x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" height=\"%.2f\" fill=\"hsl(%u,60%%,70%%)\">"
                   "<title>", x, y, w, h, hue);
        xml_text(f, e.name);
        fprintf(f, " (%s ", e.op_type);
        xml_text(f, e.producer);
        fprintf(f, "): %llu bytes at %llu, steps %d-%d</title></rect>\n", (unsigned long long)e.bytes,
                (unsigned long long)e.offset, e.first, e.last);
        if (w > 40 && h > 10) {
            fprintf(f, "<text x=\"%.2f\" y=\"%.2f\" stroke=\"none\">", x + 2, y + h / 2 + 3);
            xml_text(f, e.producer[0] ? e.producer : e.name);
            fputs("</text>\n", f);
        }
        for (int t = e.first; live && t <= e.last && t >= 0 && (size_t)t <= steps; t++) live[t] += (double)e.bytes;
    }
    fputs("</g>\n", f);
    if (live) { /* live bytes per step */
        fputs("<polyline fill=\"none\" stroke=\"blue\" stroke-width=\"1\" points=\"", f);
        for (size_t t = 0; t < steps; t++)
            fprintf(f, "%.2f,%.2f %.2f,%.2f ", LEFT + t * sx, H - BOTTOM - live[t] * sy, LEFT + (t + 1) * sx,
                    H - BOTTOM - live[t] * sy);
        fputs("\"/>\n", f);
        free(live);
    }
    double yl = H - BOTTOM - (double)mi.lower_bound_bytes * sy;
    fprintf(f, "<line x1=\"%d\" y1=\"%.2f\" x2=\"%d\" y2=\"%.2f\" stroke=\"red\" stroke-dasharray=\"6,4\"/>\n",
            LEFT, yl, W - RIGHT, yl);
    fprintf(f, "<text x=\"%d\" y=\"%.2f\" fill=\"red\" text-anchor=\"end\">lower bound</text>\n", W - RIGHT,
            yl - 4);
    fputs("</svg>\n", f);
    if (fclose(f) != 0) return cli_err(CLI_FAIL, "%s: cannot write: %s", path, strerror(errno));
    return CLI_OK;
}
