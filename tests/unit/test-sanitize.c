/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "common/sanitize.h"

static void
check (const char *input, gssize len, const char *expected)
{
  g_autofree char *out = zc_sanitize_text (input, len);

  g_assert_cmpstr (out, ==, expected);
  g_assert_true (g_utf8_validate (out, -1, NULL));
}

static void
test_plain (void)
{
  check ("Alice Example", -1, "Alice Example");
  check ("Zoë Ünal 李", -1, "Zoë Ünal 李");
  check ("", -1, "");
  check (NULL, -1, "");
}

static void
test_escape_sequences (void)
{
  check ("\033[31mEvil\033[0m", -1, "Evil");           /* SGR colour */
  check ("a\033[2Jb", -1, "ab");                       /* clear screen */
  check ("\033]0;pwned\007title", -1, "title");        /* OSC window title, BEL */
  check ("\033]8;;http://x\033\\link\033]8;;\033\\", -1, "link"); /* OSC 8, ST */
  check ("x\033Py\033\\z", -1, "xz");                  /* DCS string */
  check ("a\033cb", -1, "ab");                         /* RIS two-byte escape */
  check ("a\033(0b", -1, "ab");                        /* charset designation */
  check ("a\302\2332Jb", -1, "ab");                    /* 8-bit CSI U+009B */
  check ("a\302\2350;t\302\234b", -1, "ab");           /* 8-bit OSC ... ST */
  check ("trailing\033", -1, "trailing");
  check ("open\033[12", -1, "open");
}

static void
test_controls (void)
{
  check ("line1\nline2\r\tx\b", -1, "line1line2x");
  check ("del\177", -1, "del");
  check ("bell\007", -1, "bell");
  check ("rtl\342\200\256gnp.exe", -1, "rtlgnp.exe");   /* U+202E override */
}

static void
test_invisible (void)
{
  /* Zero-width characters would make "alice" and "al\u200Bice" two names
   * that look the same. */
  check ("al\u200Bice", -1, "alice");
  check ("\u200Ca\u200Db\u200Ec\u200Fd", -1, "abcd");
  check ("\uFEFFbom", -1, "bom");
  check ("word\u2060joiner", -1, "wordjoiner");
  check ("soft\u00ADhyphen", -1, "softhyphen");
  /* Every bidi embedding, override and isolate, and their pop. */
  check ("a\u202Ab\u202Bc\u202Cd\u202De\u202Ff", -1, "abcd" "e\u202Ff"); /* U+202F is a visible space */
  check ("x\u2066y\u2067z\u2068w\u2069", -1, "xyzw");
  check ("Invoice \u2067fdp.exe\u2069", -1, "Invoice fdp.exe");
  check ("arabic\u061Cmark", -1, "arabicmark");
  check ("line\u2028sep\u2029", -1, "linesep");
  /* Hangul fillers and tag characters: blank or invisible letters. */
  check ("\u3164\u115F\u1160\uFFA0", -1, "");
  check ("tag\U000E0041\U000E0042", -1, "tag");
  /* Other format characters GLib knows (U+110BD Kaithi number sign). */
  check ("k\U000110BDx", -1, "kx");
  /* Text that only looks special stays. */
  check ("Zoë \u05E9\u05DC\u05D5\u05DD \u0645\u0631\u062D\u0628\u0627", -1,
         "Zoë \u05E9\u05DC\u05D5\u05DD \u0645\u0631\u062D\u0628\u0627");
  check ("Ti\u1EBFng Vi\u1EC7t \U0001F600", -1, "Ti\u1EBFng Vi\u1EC7t \U0001F600");
}

static void
test_marks (void)
{
  /* Two marks on a letter (Vietnamese) stay; a pile of them is cut to 4. */
  check ("e\u0302\u0301", -1, "e\u0302\u0301");
  check ("Z\u0301\u0302\u0303\u0304\u0305\u0306\u0307a\u0308", -1,
         "Z\u0301\u0302\u0303\u0304a\u0308");
}

static void
test_invalid_utf8 (void)
{
  g_autofree char *out = zc_sanitize_text ("ab\xff\xfe" "c", -1);

  g_assert_true (g_utf8_validate (out, -1, NULL));
  g_assert_true (g_str_has_prefix (out, "ab"));
  g_assert_true (g_str_has_suffix (out, "c"));
  check ("abc\0def", 7, "abc\357\277\275def");  /* NUL becomes U+FFFD */
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/sanitize/plain", test_plain);
  g_test_add_func ("/sanitize/escape-sequences", test_escape_sequences);
  g_test_add_func ("/sanitize/controls", test_controls);
  g_test_add_func ("/sanitize/invisible", test_invisible);
  g_test_add_func ("/sanitize/marks", test_marks);
  g_test_add_func ("/sanitize/invalid-utf8", test_invalid_utf8);
  return g_test_run ();
}
