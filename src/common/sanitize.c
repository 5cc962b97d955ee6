/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"
#include <string.h>
#include "common/sanitize.h"

#define ESC 0x1b
#define BEL 0x07

enum { ST_TEXT, ST_ESC, ST_CSI, ST_STRING, ST_STRING_ESC };

/* Marks stacked on one base character beyond this are dropped: enough
 * for any script (Vietnamese stacks two, Tibetan up to four), too few to
 * smear a name over the lines above and below it ("Zalgo" text). */
#define MAX_MARKS_PER_CHAR 4

static gboolean
is_c1 (gunichar c)
{
  return c >= 0x80 && c <= 0x9f;
}

/* Characters that do not show, or that reorder or hide what follows: a
 * name made with them looks like another one ("alice" with a zero-width
 * space is not alice), and bidi controls make "gnp.exe" read "exe.png".
 * The ranges are listed, not only looked up with g_unichar_type(), so the
 * result does not depend on GLib's Unicode version. */
static gboolean
is_invisible (gunichar c)
{
  GUnicodeType type;

  if ((c >= 0x200b && c <= 0x200f)      /* ZWSP, ZWNJ, ZWJ, LRM, RLM */
      || (c >= 0x202a && c <= 0x202e)   /* LRE, RLE, PDF, LRO, RLO */
      || (c >= 0x2060 && c <= 0x206f)   /* word joiner, invisible operators, LRI..PDI, deprecated */
      || c == 0x2028 || c == 0x2029     /* line and paragraph separators */
      || c == 0xfeff                    /* BOM / zero-width no-break space */
      || c == 0x00ad || c == 0x034f     /* soft hyphen, combining grapheme joiner */
      || c == 0x061c || c == 0x180e     /* Arabic letter mark, Mongolian vowel separator */
      || c == 0x115f || c == 0x1160 || c == 0x3164 || c == 0xffa0 /* Hangul fillers: blank letters */
      || (c >= 0xfff9 && c <= 0xfffb)   /* interlinear annotation */
      || (c >= 0xe0000 && c <= 0xe007f)) /* tags: invisible ASCII copies */
    return TRUE;
  type = g_unichar_type (c);
  /* Unassigned code points stay: to an older GLib a new emoji is one. */
  return type == G_UNICODE_FORMAT || type == G_UNICODE_LINE_SEPARATOR || type == G_UNICODE_PARAGRAPH_SEPARATOR
         || type == G_UNICODE_SURROGATE;
}

/* Escape sequences per ECMA-48: a CSI ends at a byte 0x40-0x7e; OSC, DCS,
 * SOS, PM and APC carry a string ended by BEL or ST (ESC \).  The 8-bit C1
 * forms (U+009B CSI, U+009D OSC, ...) are handled like their ESC forms
 * since some terminals honour them. */
char *
zc_sanitize_text (const char *text, gssize len)
{
  g_autofree char *valid = NULL;
  GString *out;
  int state = ST_TEXT;
  guint marks = 0;

  if (text == NULL)
    return g_strdup ("");
  valid = g_utf8_make_valid (text, len);
  out = g_string_sized_new (strlen (valid));

  for (const char *p = valid; *p; p = g_utf8_next_char (p)) {
    gunichar c = g_utf8_get_char (p);

    switch (state) {
    case ST_TEXT:
      if (c == ESC)
        state = ST_ESC;
      else if (c == 0x9b)
        state = ST_CSI;
      else if (c == 0x90 || c == 0x98 || c == 0x9d || c == 0x9e || c == 0x9f)
        state = ST_STRING;
      else if (c < 0x20 || c == 0x7f || is_c1 (c))
        ; /* dropped */
      else if (is_invisible (c))
        ; /* dropped */
      else if (g_unichar_ismark (c) && ++marks > MAX_MARKS_PER_CHAR)
        ; /* dropped */
      else {
        if (!g_unichar_ismark (c))
          marks = 0;
        g_string_append_unichar (out, c);
      }
      break;
    case ST_ESC:
      if (c == '[')
        state = ST_CSI;
      else if (c == ']' || c == 'P' || c == 'X' || c == '^' || c == '_')
        state = ST_STRING;
      else if (c >= 0x20 && c <= 0x2f)
        ; /* intermediate bytes of an nF escape: keep waiting for the final */
      else
        state = ST_TEXT; /* two-byte escape: the final byte is swallowed */
      break;
    case ST_CSI:
      if (c >= 0x40 && c <= 0x7e)
        state = ST_TEXT;
      else if (c < 0x20 || c > 0x7e)
        state = ST_TEXT; /* broken sequence: stop eating text */
      break;
    case ST_STRING:
      if (c == BEL || c == 0x9c)
        state = ST_TEXT;
      else if (c == ESC)
        state = ST_STRING_ESC;
      break;
    case ST_STRING_ESC:
      state = (c == '\\') ? ST_TEXT : ST_STRING;
      break;
    default:
      g_assert_not_reached ();
    }
  }
  return g_string_free (out, FALSE);
}
