/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Aligned text tables for humans.  Every cell is sanitised: values come
 * from the network and must not drive the terminal. */
#pragma once

#include <glib.h>

typedef struct _ZcTable ZcTable;

ZcTable *zc_table_new (guint n_columns, const char *const *headers);
void zc_table_add_row (ZcTable *table, const char *const *cells);
void zc_table_print (ZcTable *table, gboolean bold_header);
void zc_table_free (ZcTable *table);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ZcTable, zc_table_free)
