/*
 * Parameter tables: each parameter of the library is defined once — its
 * name, type, where it lives in its struct, its default, its check and
 * its help — in the table of its layer (locate/params.c for locate,
 * io/source.c for the sources of frames, link/ for linking). From the
 * tables come the public descriptions (locus_param_at), the setters from
 * text and from numbers, the checks of values set directly in a struct,
 * the command line's options and help, and the Python keywords.
 */
#ifndef LOCUS_COMMON_SETTINGS_H
#define LOCUS_COMMON_SETTINGS_H

#include "common/internal.h"

#include <stddef.h>

/* How a value is checked (declarative, so the help and the error say
 * the same thing). */
enum {
    SETTING_INTEGER = 1 << 0,   /* whole numbers only */
    SETTING_ODD = 1 << 1,       /* odd integers only */
    SETTING_ABOVE_MIN = 1 << 2, /* strictly above min (else at least min) */
    SETTING_HAS_MAX = 1 << 3,   /* at most max */
    SETTING_HAS_MIN = 1 << 4,   /* a lower bound at all */
    SETTING_UNSET_NAN = 1 << 5, /* NaN means "not given" (a default applies) */
    SETTING_INF_OK = 1 << 6,    /* infinity allowed */
    SETTING_BELOW_MAX = 1 << 7, /* with SETTING_HAS_MAX: strictly below max */
};

/* A name a LOCUS_PARAM_CHOICE takes, and the value it stands for. */
typedef struct {
    const char *name;
    int value;
} setting_choice;

typedef struct {
    locus_param_info info; /* what the public sees; info.name first */
    size_t offset;         /* of the field in its struct */
    size_t width;          /* sizeof the field (int, long, double, locus_axes) */
    unsigned rules;        /* SETTING_* */
    double min, max;
    double fallback_value;         /* what "not given" stores (n = 0 restores it) */
    const setting_choice *choices; /* LOCUS_PARAM_CHOICE: {NULL, 0}-terminated */
} setting;

typedef struct {
    const setting *items;
    int count;
} setting_table;

/* The table of a group (LOCUS_PARAMS_*), or NULL. */
const setting_table *locus_settings_of(int group);
const setting *locus_setting_find(const setting_table *t, const char *name);

/* Check one numeric value against s's rules: 0, or LOCUS_E_PARAM naming it. */
int locus_setting_check_value(const setting *s, double v, locus_error *err);
/* Check the value s describes as it is in the struct at target. */
int locus_setting_check(const setting *s, const void *target, locus_error *err);
/* Check every value of a table as they are in target. */
int locus_settings_check_all(const setting_table *t, const void *target, locus_error *err);

int locus_setting_set(const setting *s, void *target, const double *v, int n, locus_error *err);
int locus_setting_set_text(const setting *s, void *target, const char *text, locus_error *err);

#endif
