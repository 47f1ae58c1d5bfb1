/*
 * Where the parameter tables of every layer are found by group: this is
 * the one place that sees them all (run is the layer above locate, io
 * and link), so common/settings.c can serve every group without
 * including a higher layer.
 */
#include "common/settings.h"

extern const setting_table locus_locate_settings, locus_source_settings, locus_link_settings;

const setting_table *locus_settings_of(int group)
{
    switch (group) {
    case LOCUS_PARAMS_LOCATE:
        return &locus_locate_settings;
    case LOCUS_PARAMS_SOURCE:
        return &locus_source_settings;
    case LOCUS_PARAMS_LINK:
        return &locus_link_settings;
    default:
        return NULL;
    }
}
