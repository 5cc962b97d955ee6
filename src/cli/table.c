/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"
#include "cli/table.h"

#include "common/sanitize.h"

#include <stdio.h>

struct _ZcTable {
  guint n_columns;
  GPtrArray *cells;      /* row-major, sanitised */
};

/* Terminal columns taken by @text: wide (CJK) characters take two,
 * combining marks none. */
static guint
display_width (const char *text)
{
  guint width = 0;

  for (const char *p = text; *p; p = g_utf8_next_char (p)) {
    gunichar c = g_utf8_get_char (p);

    if (g_unichar_iszerowidth (c))
      continue;
    width += g_unichar_iswide (c) ? 2 : 1;
  }
  return width;
}

ZcTable *
zc_table_new (guint n_columns, const char *const *headers)
{
  ZcTable *table = g_new0 (ZcTable, 1);

  table->n_columns = n_columns;
  table->cells = g_ptr_array_new_with_free_func (g_free);
  zc_table_add_row (table, headers);
  return table;
}

void
zc_table_add_row (ZcTable *table, const char *const *cells)
{
  for (guint i = 0; i < table->n_columns; i++)
    g_ptr_array_add (table->cells, zc_sanitize_text (cells[i] && *cells[i] ? cells[i] : "-", -1));
}

void
zc_table_print (ZcTable *table, gboolean bold_header)
{
  g_autofree guint *widths = g_new0 (guint, table->n_columns);
  guint n_rows = table->cells->len / table->n_columns;

  for (guint i = 0; i < table->cells->len; i++)
    widths[i % table->n_columns] = MAX (widths[i % table->n_columns],
                                        display_width (g_ptr_array_index (table->cells, i)));
  for (guint row = 0; row < n_rows; row++) {
    if (row == 0 && bold_header)
      fputs ("\033[1m", stdout);
    for (guint col = 0; col < table->n_columns; col++) {
      const char *cell = g_ptr_array_index (table->cells, row * table->n_columns + col);
      gboolean last = col + 1 == table->n_columns;

      fputs (cell, stdout);
      if (!last)
        printf ("%*s", (int) (widths[col] - display_width (cell) + 2), "");
    }
    if (row == 0 && bold_header)
      fputs ("\033[0m", stdout);
    putchar ('\n');
  }
}

void
zc_table_free (ZcTable *table)
{
  if (table == NULL)
    return;
  g_ptr_array_unref (table->cells);
  g_free (table);
}
