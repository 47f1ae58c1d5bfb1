/*
 * Loading FFmpeg's libraries on first use (see video_av.h for why).
 * The libraries are the ones locus was compiled against, by soname.
 */
#define LOCUS_VIDEO_AV_LOADER
#include "io/video_av.h"
#include "io/imageio.h"

#include <dlfcn.h>
#include <pthread.h>

locus_av_table locus_av;

#define SONAME(lib, major) "lib" lib ".so." AV_STRINGIFY(major)

static const char *const locus_av_libs[] = {
    SONAME("avformat", LIBAVFORMAT_VERSION_MAJOR), SONAME("avcodec", LIBAVCODEC_VERSION_MAJOR),
    SONAME("avutil", LIBAVUTIL_VERSION_MAJOR), SONAME("swscale", LIBSWSCALE_VERSION_MAJOR)};
enum { NLIBS = sizeof locus_av_libs / sizeof *locus_av_libs };

static pthread_once_t locus_av_once = PTHREAD_ONCE_INIT;
static char locus_av_error[256]; /* empty when loaded */

static void *symbol(void *const *handles, const char *name)
{
    for (int i = 0; i < NLIBS; i++) {
        void *p = dlsym(handles[i], name);
        if (p)
            return p;
    }
    snprintf(locus_av_error, sizeof locus_av_error, "%s not found in FFmpeg's libraries", name);
    return NULL;
}

static void load_once(void)
{
    void *h[NLIBS];
    for (int i = 0; i < NLIBS; i++)
        if (!(h[i] = dlopen(locus_av_libs[i], RTLD_NOW | RTLD_LOCAL))) {
            const char *why = dlerror();
            snprintf(locus_av_error, sizeof locus_av_error, "%s", why ? why : locus_av_libs[i]);
            return;
        }
        /* dlsym returns void *; the pointers are of the functions' own types */
#define LOCUS_AV_LOAD(name)                                                                        \
    if (!(*(void **)&locus_av.name = symbol(h, #name)))                                            \
        return;
    LOCUS_AV_FUNCTIONS(LOCUS_AV_LOAD)
#undef LOCUS_AV_LOAD
}

int locus_videoio_load(const char *path, locus_error *err)
{
    pthread_once(&locus_av_once, load_once);
    if (!locus_av_error[0])
        return LOCUS_OK;
    return locus_imageio_fail(err, LOCUS_E_UNSUPPORTED, path, "",
                              "video needs FFmpeg's libraries, which could not be loaded (%s)",
                              locus_av_error);
}
