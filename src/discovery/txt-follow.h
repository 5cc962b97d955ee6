/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Inside discovery: a resolved service's TXT record followed as it
 * changes.  avahi's service resolver keeps reporting the TXT it found
 * first until that record leaves the cache, which a cache-flush
 * announcement of the new one only schedules a second later (RFC 6762
 * 10.2): a presence change reached colleagues 1.0 to 1.4 s late.  A
 * record browser on the TXT key reports the new record as it arrives,
 * and the service is reported again with it at once. */
#pragma once

#include "discovery/peer-table.h"
#include "discovery/resolve-bus.h"

#include <glib.h>

typedef struct _ZcTxtFollow ZcTxtFollow;

/* Called with the service as last resolved and the TXT just seen;
 * @record is the callee's. */
typedef void (*ZcTxtFollowFunc) (ZcServiceRecord *record, gpointer user_data);

/* @name, @type and @domain as the browser reported them.  The record
 * browser is made through @bus (resolve-bus.h: never blocking).  NULL
 * (logged at debug level) when it cannot be: the resolver still reports
 * changes, later. */
ZcTxtFollow *zc_txt_follow_new (ZcResolveBus *bus, int ifindex, int protocol, const char *name, const char *type,
                                const char *domain, ZcTxtFollowFunc func, gpointer user_data);
void zc_txt_follow_free (ZcTxtFollow *follow);

/* The resolver reported @record: kept as the base of later reports, and
 * its TXT replaced by the newest one the browser has seen (the resolver's
 * may be a second old). */
void zc_txt_follow_resolved (ZcTxtFollow *follow, ZcServiceRecord *record);
