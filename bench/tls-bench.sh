#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
#
# tls-bench.sh - what SIP over TLS costs a call on the LAN: INVITE -> 200
# and answer -> first audio, over TLS against UDP, for a call that opens the
# TLS connection and for one that reuses it.  Run by `make bench` (as root;
# network namespaces from tests/net/lib.sh).  Prints one table.
#
#   h1 198.18.0.1  zcalld alice, the caller   ([media] codecs=pcmu, no sound card)
#   h2 198.18.0.2  zcalld bob, auto-answer, accept-from=any
#
# Each of BENCH_TLS_RUNS rounds (default 5, after one uncounted round that
# warms bob's agent up) restarts alice's agent (so that
# no TLS connection is left), then alice calls bob:
#   TLS, first call    by name: TLS to bob's tls= port; the call opens the
#                      connection (TCP and TLS handshakes included)
#   TLS, second call   by name again: the same connection
#   UDP, first/second  sip:bob@198.18.0.2:5060;transport=udp (no upgrade)
# Method: tcpdump on the LAN bridge (one clock), bench/tlssetup.py: over UDP
# the INVITE and its 200 read in clear; over TLS the caller's TCP SYN (a
# new connection) or its first application-data record large enough to
# hold the INVITE's SDP, to the callee's first such record (the 200 with
# the answer); then the first RTP each way.  Medians.

if [ -z "${BASH_VERSION:-}" ]; then exec bash "$0" "$@"; fi
set -o pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../tests/net/lib.sh"
. "$here/../tests/net/call-lib.sh"

RUNS=${BENCH_TLS_RUNS:-5}
SETUP=(python3 "$here/tlssetup.py")

net_find_binaries "$here/.."
net_init
command -v tcpdump >/dev/null 2>&1 || { echo "tls-bench: tcpdump not installed (tools/install-deps --bench)" >&2; exit 1; }
say() { echo "tls-bench: $*" >&2; }
net_setup 2 || { say "could not build the lab"; exit 1; }
W=$NET_WORKDIR
A=${HOST_ADDR[h1]} B=${HOST_ADDR[h2]}
RESULTS=$W/results
: >"$RESULTS"

NOAUDIO=("[audio]" "capture-device=none" "playback-device=none" "ring-device=none" "[media]" "codecs=pcmu")
write_agent_config h1 alice Alice "${NOAUDIO[@]}"
write_agent_config h2 bob Bob "[calls]" "auto-answer=true" "auto-answer-from=*" "accept-from=any" "${NOAUDIO[@]}"
start_agent h2

# one KIND LABEL RUN: one call (KIND tls: by name; udp: plain URI), its
# capture in W/LABEL-RUN, "LABEL setup to_caller to_callee" in RESULTS.
one() {
    local kind=$1 label=$2 run=$3 dir=$W/$2-$3
    mkdir -p "$dir"
    capture_start "$dir" "not port 5353" || { say "tcpdump did not start"; return 1; }
    if [ "$kind" = tls ]; then call_start h1 bob; else call_start h1 "sip:bob@$B:5060;transport=udp"; fi
    wait_for 10 zq h1 has id="$CALL_ID" state=active || say "$label call $run not active"
    zq h1 has id="$CALL_ID" transport="${kind^^}" || say "$label call $run: transport $(zq h1 get transport id="$CALL_ID")"
    sleep 1
    zdo h1 hangup --all >/dev/null
    wait_for 5 ended_all h1
    sleep 0.3
    capture_stop
    echo "$label $("${SETUP[@]}" "$dir/lan.pcap" "$A" "$B" "$kind")" >>"$RESULTS"
}

say "$RUNS rounds of TLS and UDP calls, first and second"
for ((r = 0; r <= RUNS; r++)); do
    [ -n "${AGENT_PID[h1]:-}" ] && stop_agent h1 >/dev/null
    start_agent h1
    wait_for 10 zl h1 has user=bob tls_port'>'0 || { say "alice does not see bob's TLS"; exit 1; }
    one tls tls1 "$r"
    one tls tls2 "$r"
    one udp udp1 "$r"
    one udp udp2 "$r"
    # Round 0 warms bob's agent up (its first call costs it ~1 s more,
    # whatever the transport): not counted.
    [ "$r" = 0 ] && : >"$RESULTS"
done

python3 - "$RESULTS" "$RUNS" <<'PY'
import statistics, sys
rows = {}
for line in open(sys.argv[1]):
    f = line.split()
    rows.setdefault(f[0], []).append(f[1:4])
def med(vals):
    v = [float(x) for x in vals if x != "-"]
    return ("%.1f" % statistics.median(v), len(v)) if v else ("-", 0)
names = {"tls1": "TLS, first call (opens the connection)", "tls2": "TLS, second call (reuses it)",
         "udp1": "UDP, first call", "udp2": "UDP, second call"}
print("| LAN, PCMU (%s rounds) | INVITE -> 200, ms (median) | answer -> first audio at caller, ms | at callee, ms |" % sys.argv[2])
print("|---|---|---|---|")
for k in ("tls1", "tls2", "udp1", "udp2"):
    r = rows.get(k, [])
    s, n = med([x[0] for x in r])
    c, _ = med([x[1] for x in r])
    e, _ = med([x[2] for x in r])
    print("| %s | %s (n=%d) | %s | %s |" % (names[k], s, n, c, e))
PY
for h in h1 h2; do stop_agent "$h" >/dev/null; done
