/* SPDX-License-Identifier: GPL-3.0-or-later */
/* What a user agent checks of an inbound message before the transaction
 * layer sees it: RFC 3261 8.2 for requests (with RFC 4475's torture
 * cases), 8.1.3.3 and 18.1.2 for responses.  Pure: a parsed message in,
 * a verdict out. */
#pragma once

#include <glib.h>
#include <osip2/osip.h>

/* Returns 0 when the request may go on, -1 when it is dropped without an
 * answer, else the status to answer with @reason (NULL: the default
 * phrase); @header and @value (taken) name a header to add (Unsupported,
 * Accept, Warning). */
int zc_sip_check_request (osip_message_t *sip, const char **reason, const char **header, char **value);

/* FALSE for a response to discard: @data and @len are its raw bytes. */
gboolean zc_sip_check_response (osip_message_t *sip, const char *data, gsize len);
