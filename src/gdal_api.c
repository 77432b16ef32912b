/* gdal_api.c: loads GDAL on first use (see gdal_api.h). */
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "gdal_api.h"
#include "util.h"

#ifndef INCMAP_GDAL_SONAME
#error "INCMAP_GDAL_SONAME: the build passes the soname of the GDAL it compiled against"
#endif

/* The table is the process's one piece of state outside the objects it creates: the dynamic
 * loader's own state is process-wide, and the table is written once, under pthread_once, and
 * only read after. */
typedef struct {
    pthread_once_t once;
    incmap_gdal fn;
    int loaded;
    char why[512]; /* why it could not be loaded */
} gdal_library;

static gdal_library library = {.once = PTHREAD_ONCE_INIT};

static void load(void)
{
    /* never unloaded: GDAL registers handlers at exit and keeps drivers in static storage */
    void *h = dlopen(INCMAP_GDAL_SONAME, RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE);
    if (!h) {
        snprintf(library.why, sizeof library.why,
                 "cannot load GDAL (%s), which writes the layers: %s; install it (apt-get install libgdal32, or "
                 "run ./setup.sh)",
                 INCMAP_GDAL_SONAME, dlerror());
        return;
    }
    void *p;
#define INCMAP_GDAL_RESOLVE(name)                                                                                      \
    if (!(p = dlsym(h, #name))) {                                                                                      \
        snprintf(library.why, sizeof library.why, "%s lacks %s: incmap was built against another GDAL; rebuild it",    \
                 INCMAP_GDAL_SONAME, #name);                                                                           \
        return;                                                                                                        \
    }                                                                                                                  \
    memcpy(&library.fn.name, &p, sizeof p); /* POSIX: a function's address, as an object pointer */
    INCMAP_GDAL_FUNCTIONS(INCMAP_GDAL_RESOLVE)
#undef INCMAP_GDAL_RESOLVE
    if (library.fn.GDALGetDriverCount() == 0)
        library.fn.GDALAllRegister();
    library.loaded = 1;
}

const incmap_gdal *incmap_gdal_load(incmap_error *err)
{
    pthread_once(&library.once, load);
    if (!library.loaded) {
        incmap_fail(err, INCMAP_ERR_IO, "%s", library.why);
        return NULL;
    }
    return &library.fn;
}
