/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The DNS-SD TXT record of a zcall agent (RFC 6763 6):
 *   txtvers=1 user= name= contact= instance_id= state= ver= fp= tls= note=
 * state= is available, ringing, on-call or dnd (older agents: busy);
 * note= the user's presence note, absent when none (core/presence.h).
 * fp= is the agent's certificate fingerprint in the 43-character compact
 * form (trust/fingerprint.h): what peers pin the instance_id to.
 * tls= is the port of its SIP over TLS (sip/tls.h), absent when it has
 * none: 8 bytes, where a _sips._tcp service would cost a second record
 * set per agent.
 * Encoding and decoding are plain functions so that they can be tested
 * and fuzzed without a daemon. */
#pragma once

#include <avahi-common/strlst.h>
#include <glib.h>

#define ZC_TXT_VERSION 1

typedef struct {
  guint txtvers;        /* 0 when absent */
  char *user;
  char *display_name;   /* TXT "name" */
  char *contact;
  char *instance_id;
  char *state;
  char *version;        /* TXT "ver" */
  char *fingerprint;    /* TXT "fp", compact form; NULL when absent */
  char *tls_port;       /* TXT "tls", decimal; NULL when absent */
  char *note;           /* TXT "note"; NULL when absent */
  char *forward;        /* TXT "fwd": "1" while calls are forwarded; NULL when absent */
} ZcTxt;

void zc_txt_clear (ZcTxt *txt);
void zc_txt_copy (ZcTxt *dest, const ZcTxt *src);

/* Each "key=value" string is cut to 255 bytes (RFC 6763 6.1) at a UTF-8
 * character boundary; empty values are left out. */
AvahiStringList *zc_txt_encode (const ZcTxt *txt);

/* Keys match case-insensitively and the first occurrence wins (RFC 6763
 * 6.4); unknown keys are ignored.  Every value is sanitised: the result is
 * safe to print. */
void zc_txt_decode (AvahiStringList *list, ZcTxt *txt);
