/*
 * vectorize.h - VECTORIZE, for row functions whose loops gcc should
 * vectorize at -O2: gcc 12 at -O2 uses the "very cheap" cost model, which
 * leaves loops that need an alias check (out may be an input) or a
 * remainder loop scalar; the dynamic cost model vectorizes them (2.5-5x on
 * a 800k-element Add). clang vectorizes these at -O2 already and has no
 * such attribute, so there it is empty.
 */
#ifndef OR_VECTORIZE_H
#define OR_VECTORIZE_H

#if defined(__GNUC__) && !defined(__clang__)
#define VECTORIZE __attribute__((optimize("vect-cost-model=dynamic")))
#else
#define VECTORIZE
#endif

#endif /* OR_VECTORIZE_H */
