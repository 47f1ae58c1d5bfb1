/* Ordered, checkpointed output of a run: see output.h. */
#include "run/output.h"

#include "common/internal.h"

#include <errno.h>
#include <string.h>

void locus_run_output_init(run_output *o, FILE *out, const char *out_name, checkpoint *ckpt,
                           size_t chunk, size_t nframes)
{
    memset(o, 0, sizeof *o);
    o->out = out;
    o->out_name = out_name;
    o->ckpt = ckpt;
    o->chunk = chunk ? chunk : 1;
    o->nframes = nframes;
    o->nchunks = (nframes + o->chunk - 1) / o->chunk;
}

void locus_run_output_free(run_output *o)
{
    locus_buffer_free(&o->skips);
    locus_chunk_result_free(&o->scratch);
}

size_t locus_run_output_chunk_of(const run_output *o, size_t frame)
{
    return frame / o->chunk;
}

int locus_run_output_last_in_chunk(const run_output *o, size_t frame)
{
    return frame + 1 == o->nframes || (frame + 1) % o->chunk == 0;
}

int locus_run_output_write(run_output *o, const chunk_result *r, int complete, locus_error *err)
{
    int rc;
    if (complete && o->ckpt && !locus_checkpoint_has(o->ckpt, r->index) &&
        (rc = locus_checkpoint_save(o->ckpt, r, err)))
        return rc;
    if (r->rows.len && fwrite(r->rows.data, 1, r->rows.len, o->out) != r->rows.len) {
        o->write_errno = errno ? errno : EIO;
        return locus_error_set(err, LOCUS_E_IO, "%s: write failed: %s", o->out_name,
                               strerror(o->write_errno));
    }
    o->frames += r->frames;
    o->features += r->features;
    o->blank += r->blank;
    o->skipped += r->skipped;
    if (r->skips.len && locus_buffer_append(&o->skips, r->skips.data, r->skips.len))
        return locus_error_set(err, LOCUS_E_NOMEM, "out of memory");
    if (complete)
        o->next = r->index + 1;
    return LOCUS_OK;
}

int locus_run_output_resume(run_output *o, size_t upto, locus_error *err)
{
    while (o->ckpt && o->next < upto && locus_checkpoint_has(o->ckpt, o->next)) {
        int rc = locus_checkpoint_load(o->ckpt, o->next, &o->scratch, err);
        if (rc == LOCUS_OK)
            rc = locus_run_output_write(o, &o->scratch, 1, err);
        if (rc)
            return rc;
        o->resumed += o->scratch.frames + o->scratch.skipped;
    }
    return LOCUS_OK;
}
