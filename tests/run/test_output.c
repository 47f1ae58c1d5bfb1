/*
 * A run's output and checkpoint (src/run/output.c, checkpoint.c) below
 * the command line: rows reach the file in frame order, chunk by chunk;
 * a run that fails before its first rows leaves an existing file as it
 * was and removes a file it created; a run stopped part way (its
 * output freed without closing, as a kill leaves it) resumes from the
 * checkpoint with only the missing frames computed and the same bytes; a
 * checkpoint of another run is refused with no file in it changed; the
 * transform sees every chunk, copied ones included, in order.
 */
#include "check.h"
#include "run/run.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

enum { NFRAMES = 10, CHUNK = 3 };

static char tmp[256];

static const char *tpath(const char *name)
{
    static char p[4][512];
    static int k;
    k = (k + 1) % 4;
    snprintf(p[k], sizeof p[k], "%s/%s", tmp, name);
    return p[k];
}

/* Frame f's table: f + 1 rows with y = f, x = row. */
static locus_table *frame_table(size_t f)
{
    locus_table *t = locus_table_create();
    double y[16], x[16];
    for (size_t r = 0; r <= f; r++)
        y[r] = (double)f, x[r] = (double)r + 0.5;
    locus_error err;
    locus_table_set_column(t, "y", y, f + 1, &err);
    locus_table_set_column(t, "x", x, f + 1, &err);
    return t;
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    static char buf[1 << 16];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = 0;
    fclose(f);
    return strdup(buf);
}

/* Transform: prefix every chunk with its number, to see which ran. */
typedef struct {
    size_t calls, order_errors, next;
} seen_chunks;

static int mark_chunk(void *user, const locus_chunk *c, locus_buffer *out, locus_error *err)
{
    (void)err;
    seen_chunks *s = user;
    if (c->index != s->next)
        s->order_errors++;
    s->next = c->index + 1;
    s->calls++;
    char tag[32];
    int n = snprintf(tag, sizeof tag, "# chunk %zu\n", c->index);
    out->len = 0;
    return locus_buffer_append(out, tag, (size_t)n) ||
                   locus_buffer_append(out, c->rows.data, c->rows.len)
               ? LOCUS_E_NOMEM
               : LOCUS_OK;
}

static void opts_for(locus_output_opts *o, const char *path, const char *ckpt, const char *manifest,
                     seen_chunks *s)
{
    memset(o, 0, sizeof *o);
    o->path = path;
    o->header = "y,x,frame\n";
    o->checkpoint = ckpt;
    o->manifest = manifest;
    o->chunk = CHUNK;
    o->nframes = NFRAMES;
    o->transform = s ? mark_chunk : NULL;
    o->transform_user = s;
}

/*
 * Feed the frames still to do, chunk by chunk through locus_output_frame,
 * stopping (without closing) after `stop_after` chunks if >= 0. Returns
 * how many frames were computed.
 */
static size_t feed(locus_output *out, int stop_after, int close, locus_error *err)
{
    size_t map[NFRAMES], n = locus_output_todo(out, map), done_chunks = 0;
    for (size_t k = 0; k < n; k++) {
        locus_table *t = frame_table(map[k]);
        int st = locus_output_frame(out, map[k], t, NULL, err);
        locus_table_free(t);
        if (st != LOCUS_OK)
            return k;
        if ((map[k] + 1) % CHUNK == 0 || map[k] + 1 == NFRAMES)
            done_chunks++;
        if (stop_after >= 0 && done_chunks == (size_t)stop_after)
            return k + 1;
    }
    if (close)
        locus_output_close(out, 1, err);
    return n;
}

static void test_plain(char **expected)
{
    locus_output_opts o;
    opts_for(&o, tpath("plain.csv"), NULL, NULL, NULL);
    locus_output *out = NULL;
    locus_error err = {0};
    CHECK(locus_output_open(&out, &o, &err) == LOCUS_OK, "open a plain output (%s)", err.message);
    size_t n = feed(out, -1, 1, &err);
    locus_output_stats st = locus_output_get_stats(out);
    locus_output_free(out);
    char *text = slurp(tpath("plain.csv"));
    CHECK(n == NFRAMES && st.frames == NFRAMES && st.features == 55,
          "every frame computed and counted (%zu frames, %zu features)", st.frames, st.features);
    int ordered = text && !strncmp(text, "y,x,frame\n", 10);
    const char *p = text ? text + 10 : "";
    for (size_t f = 0; ordered && f < NFRAMES; f++)
        for (size_t r = 0; ordered && r <= f; r++) {
            char line[64];
            int len = snprintf(line, sizeof line, "%zu,%zu.5,%zu\n", f, r, f);
            ordered = !strncmp(p, line, (size_t)len);
            p += len;
        }
    if (!CHECK(ordered && *p == 0, "the header, then every frame's rows in frame order"))
        printf("# got:\n%s", text ? text : "(no file)\n");
    *expected = text;
}

static void test_early_failure(void)
{
    /* a file that exists stays as it was */
    FILE *f = fopen(tpath("keep.csv"), "w");
    fputs("precious\n", f);
    fclose(f);
    locus_output_opts o;
    opts_for(&o, tpath("keep.csv"), NULL, NULL, NULL);
    locus_output *out = NULL;
    locus_error err = {0};
    int ok = locus_output_open(&out, &o, &err) == LOCUS_OK;
    locus_output_close(out, 0, &err);
    locus_output_free(out);
    char *text = slurp(tpath("keep.csv"));
    CHECK(ok && text && !strcmp(text, "precious\n"),
          "a run failing before its first rows leaves an existing file as it was");
    free(text);
    /* a file it created is removed */
    opts_for(&o, tpath("fresh.csv"), NULL, NULL, NULL);
    ok = locus_output_open(&out, &o, &err) == LOCUS_OK;
    locus_output_close(out, 0, &err);
    locus_output_free(out);
    CHECK(ok && access(tpath("fresh.csv"), F_OK) != 0,
          "a run failing before its first rows removes the file it created");
}

/* The names and sizes of a directory's files, as one string. */
static char *listing(const char *dir)
{
    static char buf[8192];
    buf[0] = 0;
    DIR *d = opendir(dir);
    struct dirent *e;
    char names[64][256];
    int n = 0;
    while (d && (e = readdir(d)) && n < 64)
        if (e->d_name[0] != '.')
            snprintf(names[n++], sizeof names[0], "%s", e->d_name);
    if (d)
        closedir(d);
    qsort(names, (size_t)n, sizeof names[0], (int (*)(const void *, const void *))strcmp);
    for (int i = 0; i < n; i++) {
        char p[600];
        struct stat st;
        snprintf(p, sizeof p, "%.300s/%.255s", dir, names[i]);
        stat(p, &st);
        size_t len = strlen(buf);
        snprintf(buf + len, sizeof buf - len, "%.255s:%lld:%lld ", names[i], (long long)st.st_size,
                 (long long)st.st_mtime);
    }
    return strdup(buf);
}

static void test_resume(const char *expected)
{
    char ck[512];
    const char *manifest = "run A\nframes 10\n";
    snprintf(ck, sizeof ck, "%s", tpath("ck"));
    seen_chunks first = {0};
    locus_output_opts o;
    opts_for(&o, tpath("resumed.csv"), ck, manifest, &first);
    locus_output *out = NULL;
    locus_error err = {0};
    CHECK(locus_output_open(&out, &o, &err) == LOCUS_OK, "open with a checkpoint (%s)",
          err.message);
    feed(out, 2, 0, &err); /* two chunks, then "killed" */
    locus_output_free(out);

    seen_chunks second = {0};
    opts_for(&o, tpath("resumed.csv"), ck, manifest, &second);
    CHECK(locus_output_open(&out, &o, &err) == LOCUS_OK, "reopen the same run (%s)", err.message);
    size_t map[NFRAMES], todo = out ? locus_output_todo(out, map) : 0;
    CHECK(out && locus_output_has_chunk(out, 0) && locus_output_has_chunk(out, 1) &&
              !locus_output_has_chunk(out, 2) && todo == NFRAMES - 2 * CHUNK && map[0] == 2 * CHUNK,
          "the two finished chunks are in the checkpoint; frames 6.. are still to do (%zu)", todo);
    size_t computed = out ? feed(out, -1, 1, &err) : 0;
    locus_output_stats st = out ? locus_output_get_stats(out) : (locus_output_stats){0};
    locus_output_free(out);
    CHECK(computed == 4 && st.resumed == 2 * CHUNK, "only 4 frames computed, 6 copied (%zu)",
          st.resumed);
    CHECK(second.calls == 4 && second.order_errors == 0,
          "the transform saw all 4 chunks in order, copied ones included (%zu calls)",
          second.calls);
    /* the transformed file is the plain one with a tag per chunk */
    char *text = slurp(tpath("resumed.csv"));
    locus_buffer want = {0};
    const char *p = expected + 10;
    locus_buffer_append(&want, "y,x,frame\n", 10);
    for (size_t c = 0; c * CHUNK < NFRAMES; c++) {
        char tag[32];
        int n = snprintf(tag, sizeof tag, "# chunk %zu\n", c);
        locus_buffer_append(&want, tag, (size_t)n);
        for (size_t f = c * CHUNK; f < NFRAMES && f < (c + 1) * CHUNK; f++)
            for (size_t r = 0; r <= f; r++) {
                const char *nl = strchr(p, '\n');
                locus_buffer_append(&want, p, (size_t)(nl - p + 1));
                p = nl + 1;
            }
    }
    locus_buffer_append(&want, "", 1);
    if (!CHECK(text && !strcmp(text, want.data),
               "the resumed output equals an uninterrupted run's"))
        printf("# got:\n%s", text ? text : "(no file)\n");
    free(text);
    locus_buffer_free(&want);

    /* another run's checkpoint: refused, nothing in it changed */
    char *before = listing(ck);
    opts_for(&o, tpath("other.csv"), ck, "run B\nframes 10\n", NULL);
    out = NULL;
    int st2 = locus_output_open(&out, &o, &err);
    char *after = listing(ck);
    CHECK(st2 != LOCUS_OK && !out && strstr(err.message, ck),
          "a checkpoint of another run is refused, naming the directory (%s)", err.message);
    CHECK(!strcmp(before, after) && access(tpath("other.csv"), F_OK) != 0,
          "no file in the checkpoint changed and no output was made (%s)", after);
    free(before);
    free(after);
}

int main(void)
{
    snprintf(tmp, sizeof tmp, "/tmp/locus-test-output-XXXXXX");
    if (!mkdtemp(tmp)) {
        CHECK(0, "a temporary directory");
        return check_done();
    }
    char *expected = NULL;
    test_plain(&expected);
    test_early_failure();
    if (expected)
        test_resume(expected);
    free(expected);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp);
    if (system(cmd) != 0)
        printf("# could not remove %s\n", tmp);
    return check_done();
}
