/* Parameter tables: see settings.h. */
#include "common/settings.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

const setting *locus_setting_find(const setting_table *t, const char *name)
{
    for (int i = 0; t && name && i < t->count; i++)
        if (!strcmp(t->items[i].info.name, name))
            return &t->items[i];
    return NULL;
}

const locus_param_info *locus_param_at(int group, int i)
{
    const setting_table *t = locus_settings_of(group);
    return t && i >= 0 && i < t->count ? &t->items[i].info : NULL;
}

/* ------------------------------------------------------------------ */
/* Checks                                                              */
/* ------------------------------------------------------------------ */

/* "an odd integer", "a whole number", "a number" */
static const char *kind_of(const setting *s)
{
    return s->rules & SETTING_ODD       ? "an odd integer"
           : s->rules & SETTING_INTEGER ? "a whole number"
                                        : "a number";
}

static int out_of_range(const setting *s, double v, locus_error *err)
{
    const char *name = s->info.name;
    if ((s->rules & SETTING_ABOVE_MIN) && (s->rules & SETTING_BELOW_MAX))
        return locus_error_param(err, name, NULL, "must be %s between %g and %g (got %g)",
                                 kind_of(s), s->min, s->max, v);
    if ((s->rules & SETTING_HAS_MIN) && (s->rules & SETTING_HAS_MAX))
        return locus_error_param(err, name, NULL, "must be %s from %g to %g (got %g)", kind_of(s),
                                 s->min, s->max, v);
    if (s->rules & SETTING_ABOVE_MIN)
        return locus_error_param(err, name, NULL, "must be %s above %g (got %g)", kind_of(s),
                                 s->min, v);
    if (s->min == 0)
        return locus_error_param(err, name, NULL, "must not be negative (got %g)", v);
    return locus_error_param(err, name, NULL, "must be %s of at least %g (got %g)", kind_of(s),
                             s->min, v);
}

int locus_setting_check_value(const setting *s, double v, locus_error *err)
{
    const char *name = s->info.name;
    if (isnan(v) || (isinf(v) && !(s->rules & SETTING_INF_OK)))
        return locus_error_param(err, name, NULL, "must be a finite number");
    int whole = v == floor(v);
    if ((s->rules & (SETTING_INTEGER | SETTING_ODD)) && !whole)
        return out_of_range(s, v, err);
    int low = (s->rules & SETTING_HAS_MIN) &&
              ((s->rules & SETTING_ABOVE_MIN) ? !(v > s->min) : !(v >= s->min));
    int high = (s->rules & SETTING_HAS_MAX) &&
               ((s->rules & SETTING_BELOW_MAX) ? !(v < s->max) : !(v <= s->max));
    if (low || high)
        return out_of_range(s, v, err);
    if ((s->rules & SETTING_ODD) && fmod(v, 2.0) == 0.0)
        return locus_error_param(err, name, NULL, "must be odd (got %g)", v);
    return LOCUS_OK;
}

static void *field(const setting *s, void *target)
{
    return (char *)target + s->offset;
}

static const void *cfield(const setting *s, const void *target)
{
    return (const char *)target + s->offset;
}

/* A numeric field's value as a double. */
static double get_number(const setting *s, const void *target)
{
    const void *f = cfield(s, target);
    if (s->info.type == LOCUS_PARAM_REAL)
        return *(const double *)f;
    if (s->width == sizeof(long))
        return (double)*(const long *)f;
    return (double)*(const int *)f;
}

/* The choice's name for a value, or NULL. */
static const char *choice_name(const setting *s, int v)
{
    for (const setting_choice *c = s->choices; c && c->name; c++)
        if (c->value == v)
            return c->name;
    return NULL;
}

/* "a, b or c", for messages. */
static void choice_list(const setting *s, char *buf, size_t n)
{
    size_t k = 0;
    buf[0] = '\0';
    for (const setting_choice *c = s->choices; c && c->name && k + 1 < n; c++)
        k +=
            (size_t)snprintf(buf + k, n - k, "%s%s", k ? (c[1].name ? ", " : " or ") : "", c->name);
}

int locus_setting_check(const setting *s, const void *target, locus_error *err)
{
    if (s->info.type == LOCUS_PARAM_CHOICE) {
        int v = *(const int *)cfield(s, target);
        if (!choice_name(s, v)) {
            char list[200];
            choice_list(s, list, sizeof list);
            return locus_error_param(err, s->info.name, NULL, "must be %s (got %d)", list, v);
        }
        return LOCUS_OK;
    }
    if (s->info.type == LOCUS_PARAM_FLAG) {
        int v = *(const int *)cfield(s, target);
        if (v != 0 && v != 1)
            return locus_error_param(err, s->info.name, NULL, "must be 0 or 1 (got %d)", v);
        return LOCUS_OK;
    }
    if (s->info.type == LOCUS_PARAM_AXES) {
        const locus_axes *a = cfield(s, target);
        if (a->count < 0 || a->count > 3)
            return locus_error_param(err, s->info.name, NULL, "takes 1 to 3 values, not %d",
                                     a->count);
        for (int i = 0; i < a->count; i++)
            if (locus_setting_check_value(s, a->v[i], err))
                return LOCUS_E_PARAM;
        return LOCUS_OK;
    }
    double v = get_number(s, target);
    if (isnan(v) && (s->rules & SETTING_UNSET_NAN))
        return LOCUS_OK;
    if (v == s->fallback_value)
        return LOCUS_OK; /* "not given" (topn -1, say) is always fine */
    return locus_setting_check_value(s, v, err);
}

int locus_settings_check_all(const setting_table *t, const void *target, locus_error *err)
{
    for (int i = 0; i < t->count; i++)
        if (locus_setting_check(&t->items[i], target, err))
            return LOCUS_E_PARAM;
    return LOCUS_OK;
}

/* ------------------------------------------------------------------ */
/* Setting                                                             */
/* ------------------------------------------------------------------ */

static void store_number(const setting *s, void *target, double v)
{
    void *f = field(s, target);
    if (s->info.type == LOCUS_PARAM_REAL)
        *(double *)f = v;
    else if (s->width == sizeof(long))
        *(long *)f = (long)v;
    else
        *(int *)f = (int)v;
}

int locus_setting_set(const setting *s, void *target, const double *v, int n, locus_error *err)
{
    const char *name = s->info.name;
    if (n < 0 || (n > 0 && !v))
        return locus_error_param(err, name, NULL, "has no values");
    if (s->info.type == LOCUS_PARAM_AXES) {
        if (n > 3)
            return locus_error_param(err, name, NULL, "takes 1 to 3 values, not %d", n);
        locus_axes a = {{0, 0, 0}, n};
        for (int i = 0; i < n; i++) {
            if (locus_setting_check_value(s, v[i], err))
                return LOCUS_E_PARAM;
            a.v[i] = v[i];
        }
        *(locus_axes *)field(s, target) = a;
        return LOCUS_OK;
    }
    if (n > 1)
        return locus_error_param(err, name, NULL, "takes one value, not %d", n);
    if (s->info.type == LOCUS_PARAM_CHOICE) {
        int c = n == 0 ? (int)s->fallback_value : (int)v[0];
        if (n && ((double)c != v[0] || !choice_name(s, c))) {
            char list[200];
            choice_list(s, list, sizeof list);
            return locus_error_param(err, name, NULL, "must be %s", list);
        }
        *(int *)field(s, target) = c;
        return LOCUS_OK;
    }
    if (s->info.type == LOCUS_PARAM_FLAG) {
        int on = n == 0 ? s->info.flag_default : v[0] != 0;
        if (n && v[0] != 0 && v[0] != 1)
            return locus_error_param(err, name, NULL, "must be true or false (0 or 1), not %g",
                                     v[0]);
        *(int *)field(s, target) = on;
        return LOCUS_OK;
    }
    if (n == 0) {
        store_number(s, target, s->fallback_value);
        return LOCUS_OK;
    }
    if (locus_setting_check_value(s, v[0], err))
        return LOCUS_E_PARAM;
    if (s->info.type == LOCUS_PARAM_INT && fabs(v[0]) > (s->width == sizeof(long) ? 9e18 : 2e9))
        return out_of_range(s, v[0], err);
    store_number(s, target, v[0]);
    return LOCUS_OK;
}

/* The whole of text as one number (blanks around allowed). */
static int parse_number(const char *text, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(text, &end);
    if (end == text)
        return -1;
    while (*end == ' ')
        end++;
    /* an underflow to a tiny or zero value is not the number written */
    if (*end || (errno == ERANGE && fabs(v) < 1))
        return -1;
    *out = v;
    return 0;
}

/* "5,9,9": one to three numbers; -1 on anything else. */
static int parse_list(const char *text, double *v, int *n)
{
    char buf[256];
    size_t len = strlen(text);
    if (len == 0 || len >= sizeof buf)
        return -1;
    memcpy(buf, text, len + 1);
    *n = 0;
    for (char *p = buf;;) {
        char *comma = strchr(p, ',');
        if (comma)
            *comma = '\0';
        if (*n == 3 || parse_number(p, &v[*n]))
            return -1;
        ++*n;
        if (!comma)
            return 0;
        p = comma + 1;
    }
}

static int parse_flag(const char *text, double *v)
{
    static const char *const yes[] = {"1", "true", "yes", "on"}, *const no[] = {"0", "false", "no",
                                                                                "off"};
    for (int i = 0; i < 4; i++) {
        if (!strcasecmp(text, yes[i]))
            return *v = 1, 0;
        if (!strcasecmp(text, no[i]))
            return *v = 0, 0;
    }
    return -1;
}

int locus_setting_set_text(const setting *s, void *target, const char *text, locus_error *err)
{
    double v[3];
    int n = 1;
    const char *name = s->info.name;
    if (!text)
        return locus_setting_set(s, target, NULL, 0, err);
    switch (s->info.type) {
    case LOCUS_PARAM_CHOICE:
        for (const setting_choice *c = s->choices; c && c->name; c++)
            if (!strcmp(c->name, text)) {
                v[0] = c->value;
                return locus_setting_set(s, target, v, 1, err);
            }
        {
            char list[200];
            choice_list(s, list, sizeof list);
            return locus_error_param(err, name, NULL, "must be %s, not '%.64s'", list, text);
        }
    case LOCUS_PARAM_AXES:
        if (parse_list(text, v, &n))
            return locus_error_param(err, name, NULL,
                                     "must be a number or a list like 5,9,9, not '%.64s'", text);
        break;
    case LOCUS_PARAM_FLAG:
        if (parse_flag(text, v))
            return locus_error_param(err, name, NULL, "must be true or false, not '%.64s'", text);
        break;
    default:
        if (parse_number(text, v))
            return locus_error_param(err, name, NULL, "must be %s, not '%.64s'", kind_of(s), text);
    }
    return locus_setting_set(s, target, v, n, err);
}

/* ------------------------------------------------------------------ */
/* The public face                                                     */
/* ------------------------------------------------------------------ */

static const setting *lookup(int group, const char *name, locus_error *err)
{
    const setting_table *t = locus_settings_of(group);
    const setting *s = locus_setting_find(t, name);
    if (!t)
        locus_error_set(err, LOCUS_E_PARAM, "no parameter group %d", group);
    else if (!s)
        locus_error_set(err, LOCUS_E_PARAM, "unknown parameter '%.64s'", name ? name : "(null)");
    return s;
}

int locus_param_set(int group, void *target, const char *name, const double *v, int n,
                    locus_error *err)
{
    const setting *s = lookup(group, name, err);
    if (!s || !target)
        return LOCUS_E_PARAM;
    return locus_setting_set(s, target, v, n, err);
}

int locus_param_set_text(int group, void *target, const char *name, const char *text,
                         locus_error *err)
{
    const setting *s = lookup(group, name, err);
    if (!s || !target)
        return LOCUS_E_PARAM;
    return locus_setting_set_text(s, target, text, err);
}
