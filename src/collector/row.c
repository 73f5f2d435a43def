/*
 * row.c - column strings of row enums (compat.md §1.4).
 */
#include "collector/row.h"

const char *row_push_type_str(int t)
{
    switch (t) {
    case ROW_POLL:
        return "poll";
    case ROW_BACKFILL:
        return "backfill";
    default:
        return "push";
    }
}
