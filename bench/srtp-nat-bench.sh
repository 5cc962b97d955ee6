#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
#
# srtp-nat-bench.sh - what DTLS-SRTP costs a call through the NAT lab: the
# rows of srtp-bench.sh (answer -> first audio, CPU per call, encrypted
# against plain) for a call through the rendezvous.  Run by `make bench`
# after srtp-bench.sh (as root; namespaces from tests/net/lib.sh +
# rendezvous-lib.sh).  Prints one table.
#
#   site 1 (cone NAT r1):  a 198.18.1.10  zcalld alice, the caller
#   site 2 (cone NAT r2):  b 198.18.2.10  zcalld bob, auto-answer
#   public side: Kamailio k1 198.19.0.10, coturn 198.19.0.20:3478, dnsmasq;
#                x 198.19.0.30 tests/net/siprelay.py in "strip" mode, next
#                hop k1 (for the plain calls)
#   Both agents [media] codecs=pcmu, no sound card, registered at k1 with
#   STUN and TURN (as in offlan-bench.sh).
#
# Rows, BENCH_SRTP_RUNS rounds each (default 5), interleaved:
#   encrypted  alice calls bob@example.test (through k1; ICE through both
#              NATs; DTLS-SRTP, alice the DTLS server)
#   plain      alice calls sip:bob@198.19.0.30: the relay removes
#              a=fingerprint and a=setup both ways and hands the INVITE to
#              k1 (the only way to a plain call between two zcall agents;
#              the relay adds well under a millisecond)
# Method: tcpdump on eth0 of a and of b (one kernel clock): bob's 200 OK to
# the INVITE leaving b -> the first RTP/SRTP packet arriving at a ("at
# caller", direct or inside a TURN ChannelData message) and at b ("at
# callee"); medians.  CPU: one call of BENCH_SRTP_HOLD_S (default 10) s per
# row, utime + stime of both zcalld from /proc/PID/stat over the hold, in %
# of one core.  baresip is in the LAN rows (srtp-bench.sh) only: it has no
# ICE and cannot cross this lab's NATs.
#
#   ZCALLD / ZCALL     binaries (default: $top_builddir/src/...)
#   NET_KEEP=1         keep the working directory (captures, logs)

if [ -z "${BASH_VERSION:-}" ]; then exec bash "$0" "$@"; fi
set -o pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../tests/net/lib.sh
. "$here/../tests/net/lib.sh"
# shellcheck source=../tests/net/call-lib.sh
. "$here/../tests/net/call-lib.sh"
# shellcheck source=../tests/net/rendezvous-lib.sh
. "$here/../tests/net/rendezvous-lib.sh"

RUNS=${BENCH_SRTP_RUNS:-5}
HOLD_S=${BENCH_SRTP_HOLD_S:-10}
RELAY_IP=198.19.0.30

net_find_binaries "$here/.."
net_init
rdv_require
command -v tcpdump >/dev/null 2>&1 || { echo "srtp-nat-bench: tcpdump not installed" >&2; exit 1; }
say() { echo "srtp-nat-bench: $*" >&2; }
W=$NET_WORKDIR
RESULTS=$W/results
: >"$RESULTS"

say "building the lab"
if ! rdv_setup cone cone || ! rdv_host_add a 1 10 || ! rdv_host_add b 2 10 ||
    ! rdv_public_add x "$RELAY_IP"; then
    rdv_logs 30 >&2
    say "could not build the NAT lab"
    exit 1
fi
rdv_sip_user_add alice alice-pw-1
rdv_sip_user_add bob bob-pw-2
rdv_bg x "$W/relay.log" python3 "$here/../tests/net/siprelay.py" "$RELAY_IP" "${RDV_ADDR[k1]}" strip "$W/relay.log"

NOAUDIO=("[audio]" "capture-device=none" "playback-device=none" "ring-device=none" "[media]" "codecs=pcmu")
rdv_agent_config a alice alice-pw-1 Alice "${NOAUDIO[@]}"
rdv_agent_config b bob bob-pw-2 Bob "${NOAUDIO[@]}" "[calls]" "auto-answer=true" "auto-answer-from=*" "accept-from=any"
start_agent a
start_agent b
registered() { zc "$1" status --json 2>/dev/null | grep -q '"state" *: *"registered"'; }
for h in a b; do
    wait_for 15 registered "$h" || { say "$h not registered"; rdv_logs 20 >&2; exit 1; }
done

# host_capture_start HOST FILE / host_capture_stop HOST: tcpdump on HOST's eth0.
declare -A CAP_PID
host_capture_start() {
    : >"$2.log"
    host_bg "$1" "$2.log" tcpdump -i eth0 -s 0 -B 4096 -n --immediate-mode -U -w "$2" udp
    CAP_PID[$1]=$LAST_PID
    wait_for 5 grep -q 'listening on' "$2.log"
}
host_capture_stop() {
    [ -n "${CAP_PID[$1]:-}" ] || return 0
    sleep 0.1
    host_stop "${CAP_PID[$1]}" "$1"
    CAP_PID[$1]=
}
TCK=$(getconf CLK_TCK)

# one KIND RUN [HOLD]: one call of KIND (enc, plain); captures in W/KIND-RUN;
# with HOLD also "cpu KIND caller% callee%" in RESULTS.
one() {
    local kind=$1 run=$2 hold=${3:-} d=$W/$1-$2 c1 c2 sec
    mkdir -p "$d"
    host_capture_start a "$d/a.pcap" && host_capture_start b "$d/b.pcap" || { say "tcpdump did not start"; return 1; }
    if [ "$kind" = enc ]; then call_start a "bob@$RDV_DOMAIN"; else call_start a "sip:bob@$RELAY_IP"; fi
    if ! wait_for 10 zq a has id="$CALL_ID" state=active; then
        say "$kind call $run not active (exit $CALL_RC: $CALL_OUT)"
    fi
    wait_for 5 eval '[ -n "$(zq a get security id="$CALL_ID")" ]'
    sec=$(zq a get security id="$CALL_ID")
    [ "$kind" = enc ] && [ "$sec" != encrypted ] && say "$kind call $run: security \"$sec\""
    [ "$kind" = plain ] && [ "$sec" != PLAIN ] && say "$kind call $run: security \"$sec\""
    sleep 1
    if [ -n "$hold" ]; then
        c1=$(cpu_ticks "${AGENT_PID[a]}") c2=$(cpu_ticks "${AGENT_PID[b]}")
        sleep "$hold"
        echo "cpu $kind $(awk -v a="$c1" -v b="$(cpu_ticks "${AGENT_PID[a]}")" -v t="$TCK" -v h="$hold" 'BEGIN { printf "%.2f", (b - a) * 100 / t / h }') $(awk -v a="$c2" -v b="$(cpu_ticks "${AGENT_PID[b]}")" -v t="$TCK" -v h="$hold" 'BEGIN { printf "%.2f", (b - a) * 100 / t / h }')" >>"$RESULTS"
    fi
    zc a calls --json >"$d/calls-a.json" 2>&1
    zdo a hangup --all >/dev/null
    wait_for 5 ended_all a
    wait_for 5 ended_all b
    host_capture_stop a
    host_capture_stop b
    echo "first $kind $d ${HOST_ADDR[a]} ${HOST_ADDR[b]}" >>"$RESULTS"
    sleep 0.5
}

say "$RUNS rounds of encrypted and plain calls through cone NATs"
for ((r = 1; r <= RUNS; r++)); do
    for k in enc plain; do one "$k" "$r"; done
done
say "CPU over ${HOLD_S} s calls"
for k in enc plain; do one "$k" cpu "$HOLD_S"; done
for h in a b; do stop_agent "$h" >/dev/null || say "zcalld on $h: exit ${AGENT_RC[$h]} on SIGTERM"; done

NET_DIR="$here/../tests/net" python3 - "$RESULTS" "$RUNS" "$HOLD_S" <<'PY'
import json, os, socket, statistics, struct, sys, re
sys.path.insert(0, os.environ["NET_DIR"])
from sippcap import packets


def udp(lt, d):
    if lt != 1 or len(d) < 42 or struct.unpack("!H", d[12:14])[0] != 0x0800:
        return None
    ip = d[14:]
    if ip[9] != 17:
        return None
    u = ip[(ip[0] & 15) * 4:struct.unpack("!H", ip[2:4])[0]]
    if len(u) < 8:
        return None
    sp, dp = struct.unpack("!HH", u[:4])
    return socket.inet_ntoa(ip[12:16]), sp, socket.inet_ntoa(ip[16:20]), dp, u[8:]


def is_rtp(p):
    # RTP version 2, not RTCP (RFC 5761: a second byte of 192..223)
    return len(p) >= 12 and (p[0] & 0xC0) == 0x80 and not 192 <= p[1] <= 223


def media(sp, dp, p):
    """An RTP/SRTP packet: direct, or inside a TURN ChannelData message."""
    if 3478 in (sp, dp) and 0x40 <= p[0] <= 0x7F and len(p) >= 4:
        return is_rtp(p[4:4 + struct.unpack("!H", p[2:4])[0]])
    if {53, 5060, 5353, 3478} & {sp, dp}:
        return False
    return is_rtp(p)


def answer_time(path, me):
    t0 = None
    for ts, lt, d in packets(path):
        u = udp(lt, d)
        if u and u[0] == me and u[4].startswith(b"SIP/2.0 200") and \
                re.search(rb"(?im)^cseq\s*:\s*\d+\s+INVITE", u[4]):
            t0 = ts
    return t0


def first_in(path, me, t0):
    for ts, lt, d in packets(path):
        u = udp(lt, d)
        if u and ts >= t0 and u[2] == me and media(u[1], u[3], u[4]):
            return (ts - t0) * 1000
    return None


first, cpu, pairs = {}, {}, {}
for line in open(sys.argv[1]):
    f = line.split()
    if f[0] == "cpu":
        cpu[f[1]] = f[2:4]
    elif f[0] == "first":
        kind, d, a, b = f[1:5]
        t0 = answer_time(os.path.join(d, "b.pcap"), b)
        if t0 is None:
            continue
        first.setdefault(kind, []).append((first_in(os.path.join(d, "a.pcap"), a, t0),
                                           first_in(os.path.join(d, "b.pcap"), b, t0)))
        try:
            calls = [c for c in json.load(open(os.path.join(d, "calls-a.json"))) if c.get("state") == "active"]
            m = calls[-1]["media"]
            pairs.setdefault(kind, set()).add("%s-%s" % (m["local_candidate"]["type"], m["remote_candidate"]["type"]))
        except (OSError, ValueError, KeyError, IndexError):
            pass


def med(v):
    v = [x for x in v if x is not None]
    return ("%.1f" % statistics.median(v), len(v)) if v else ("-", 0)


names = {"enc": "zcalld, DTLS-SRTP", "plain": "zcalld, plain RTP"}
names = {k: "%s (pair %s)" % (v, "/".join(sorted(pairs.get(k, ["?"])))) for k, v in names.items()}
print("| NAT lab (cone/cone, via Kamailio), PCMU (%s rounds) | answer -> first audio at caller, ms (median) "
      "| at callee, ms | CPU caller, %% of a core (%s s call) | CPU callee |" % (sys.argv[2], sys.argv[3]))
print("|---|---|---|---|---|")
for k in ("enc", "plain"):
    rows = first.get(k, [])
    c, n = med([r[0] for r in rows])
    e, m = med([r[1] for r in rows])
    cp = cpu.get(k, ["-", "-"])
    print("| %s | %s (n=%d) | %s (n=%d) | %s | %s |" % (names[k], c, n, e, m, cp[0], cp[1]))
if "enc" in cpu and "plain" in cpu:
    print()
    print("SRTP per call through the NATs (encrypted - plain): caller %+.2f %%, callee %+.2f %% of a core" %
          (float(cpu["enc"][0]) - float(cpu["plain"][0]), float(cpu["enc"][1]) - float(cpu["plain"][1])))
PY
