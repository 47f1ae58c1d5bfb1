/*
 * Set-up shared by the stage tests: an image view over test data,
 * parameters with a diameter, and a workspace planned for them (so a
 * test can call one stage function directly).
 */
#ifndef LOCUS_TEST_STAGE_HELPERS_H
#define LOCUS_TEST_STAGE_HELPERS_H

#include "check.h"
#include "locate/plan.h"

#include <string.h>

static inline locus_image make_image(const void *data, locus_dtype t, int nd, size_t s0, size_t s1,
                                     size_t s2)
{
    locus_image img;
    memset(&img, 0, sizeof img);
    img.data = data;
    img.dtype = t;
    img.ndim = nd;
    img.shape[0] = s0;
    img.shape[1] = s1;
    img.shape[2] = s2;
    locus_image_set_contiguous(&img);
    return img;
}

static inline locus_params params_d(double d)
{
    locus_params p;
    locus_params_init(&p);
    p.diameter.count = 1;
    p.diameter.v[0] = d;
    return p;
}

static inline locus_workspace *planned(const locus_params *p, const locus_image *img)
{
    locus_workspace *ws = locus_workspace_create();
    locus_error err;
    memset(&err, 0, sizeof err);
    if (locus_plan_build(&ws->pl, p, img, &err)) {
        CHECK(0, "locus_plan_build failed: %s", err.message);
        locus_workspace_free(ws);
        return NULL;
    }
    ws->planned = 1;
    return ws;
}

#endif
