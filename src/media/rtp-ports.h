/* SPDX-License-Identifier: GPL-3.0-or-later */
/* RTP and RTCP ports for one call, really bound (RFC 3550 11: RTP on an
 * even port, RTCP on the next), so the port in our SDP is ours until the
 * call ends. */
#pragma once

#include <gio/gio.h>

typedef struct _ZcRtpPorts ZcRtpPorts;

/* The range desk phones and softphones commonly use. */
#define ZC_RTP_PORT_MIN 16384
#define ZC_RTP_PORT_MAX 32766

ZcRtpPorts *zc_rtp_ports_reserve (GError **error);
guint16 zc_rtp_ports_get_rtp_port (ZcRtpPorts *ports);
void zc_rtp_ports_release (ZcRtpPorts *ports);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ZcRtpPorts, zc_rtp_ports_release)
