/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"
#include "trust/trust-error.h"

G_DEFINE_QUARK (zc-trust-error-quark, zc_trust_error)
