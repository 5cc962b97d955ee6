/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Inside the call core: redirection both ways.  redirect.c follows the
 * 3xx answers to our INVITEs (RFC 3261 8.1.3.4); forward.c answers
 * incoming calls with 302 as `zcall forward` asks (always, when busy, or
 * after ringing unanswered). */
#pragma once

#include "core/call-private.h"

/* Redirections one call follows at most: a chain longer than this is a
 * loop the target keys did not catch, or a misconfiguration. */
#define ZC_CALL_REDIRECT_MAX_HOPS 5

/* What a call keeps of its redirections (redirect.c). */
typedef struct _ZcCallRedirect ZcCallRedirect;
void zc_call_redirect_free (ZcCallRedirect *redirect);

/* The user agent ended @call's INVITE (@cause, @status): after a 3xx its
 * Contacts join the targets to try; after a failure the next target is
 * tried.  TRUE when a new INVITE is out (the caller must not end the
 * call); FALSE to end it as usual (the reason is set when redirection
 * itself failed: "redirect loop", "too many redirects"). */
gboolean zc_call_follow_redirect (ZcCall *call, ZcSipSession *session, ZcSipEndCause cause, int status);

/* What identifies a target for loop detection: "user@host" from a
 * sip:/sips: URI, lower-case, without port and parameters (the same
 * agent over UDP and over TLS is the same target).  A new string; NULL
 * when @uri is no SIP URI. */
char *zc_redirect_target_key (const char *uri);

/* forward.c: the forwarding rule, part of ZcCalls. */
typedef enum {
  ZC_FORWARD_OFF,
  ZC_FORWARD_ALWAYS,           /* every incoming call, at once */
  ZC_FORWARD_BUSY,             /* instead of 486 Busy Here */
  ZC_FORWARD_NO_ANSWER,        /* after ringing this long */
} ZcForwardMode;

struct _ZcForward {
  ZcForwardMode mode;
  char *target;                /* as the user gave it */
  guint no_answer_s;
};

void zc_forward_clear (ZcForward *forward);
/* A new incoming call: TRUE when it was forwarded (it has ended); with
 * forwarding after no answer it arms the timer. */
gboolean zc_call_forward_incoming (ZcCall *call);
/* The call is about to be refused busy: TRUE when it was forwarded
 * instead. */
gboolean zc_call_forward_busy (ZcCall *call);
