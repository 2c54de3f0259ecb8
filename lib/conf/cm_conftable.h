/* cm_conftable - the key table of cm_config.c, for the files of lib/conf
 * that walk it (cm_confdump). Private to lib/conf. */
#ifndef CM_CONFTABLE_H
#define CM_CONFTABLE_H

#include <stddef.h>
#include <stdint.h>

typedef enum { T_STR, T_BOOL, T_SIZE, T_DURATION, T_ENUM, T_LIST, T_CIDRS } cm_conf_type;

typedef struct cm_conf_key {
    const char *name;
    cm_conf_type type;
    size_t off;
    const char *def;            /* default, parsed like a value from the file */
    uint64_t min, max;          /* T_SIZE / T_DURATION bounds */
    const char *const *enums;   /* T_ENUM: names, index = stored value */
    const int *enum_vals;       /* T_ENUM: optional stored values */
    int inert;                  /* accepted, but not implemented yet */
} cm_conf_key;

extern const cm_conf_key cm_conf_table[];
extern const size_t cm_conf_nkeys;

#endif
