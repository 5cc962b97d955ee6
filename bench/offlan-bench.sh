#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
#
# offlan-bench.sh - off-LAN calls: time from answer to
# media flowing per topology, and registration time, of zcalld beside plain
# libnice agents (bench/nice-pair.c) and a minimal SIP UA (tests/net/sipua.py)
# in the same lab and the same run.  Run by `make bench` (as root; network
# namespaces from tests/net/lib.sh + rendezvous-lib.sh).  Prints one table.
#
#   site 1 (NAT router r1): a 198.18.1.10  alice, the caller
#                           c 198.18.1.11  carol (auto-answer), the LAN callee
#   site 2 (NAT router r2): b 198.18.2.10  bob (auto-answer), the off-LAN callee
#   public side: Kamailio k1 198.19.0.10, coturn 198.19.0.20:3478, dnsmasq
#
# Topologies, in this order (NAT modes switched with rdv_nat_mode; existing
# bindings such as the registrations' keep their mapping):
#   lan        alice calls `carol` (found by mDNS) on site 1's LAN
#   cone       both routers cone; alice calls bob@example.test
#   symmetric  both routers symmetric (--random-fully); alice calls
#              bob@example.test: only the TURN relay gets through (TURN
#              over UDP)
#   turntls    both routers cone, but dropping every UDP packet from the
#              sites to the internet (DNS aside) and TCP to coturn's 3478;
#              alice and bob restarted with turn-server=turns:... (TLS to
#              5349) and SIP over TCP: only the relay reached over TLS gets
#              through (turntls.test's setting)
# Each topology runs BENCH_OFFLAN_RUNS (default 5) rounds, each one zcalld
# call and one nice-pair run (interleaved); turntls has no nice-pair run
# (libnice has no TURN over TLS): its anchors are the symmetric row's
# TURN-over-UDP zcalld and nice-pair figures of the same run.
#
# Method.  Every zcalld timing comes from tcpdump captures on the hosts' own
# interfaces (eth0 in each host's namespace; one kernel clock for all):
#   answer -> media   the callee's 200 OK to the INVITE leaving the callee
#                     host -> the first RTP packet received at the caller
#                     host (direct, or inside a TURN ChannelData message or
#                     Data indication from the relay; STUN and RTCP do not
#                     count).  The other direction (200 OK -> first RTP at
#                     the callee) is shown beside it.  Selected pair: the
#                     caller's `zcall calls --json` media.local_candidate /
#                     remote_candidate types.
#                     turntls: the 200 OK is read from TCP on the callee's
#                     eth0, the first RTP at the caller from the loopback
#                     leg between libnice and zcalld's TLS end (TCP from
#                     127.0.0.1, TURN ChannelData or Data indication
#                     carrying RTP): the moment libnice has it.
#   anchor            nice-pair (bench/nice-pair.c, built here with cc): a
#                     controlled agent on the callee host and a controlling
#                     one on the caller host, zcalld's libnice settings and
#                     the same STUN/TURN server and credentials; candidates
#                     exchanged through files in the work directory; both
#                     get SIGUSR1 at once and set the peer's candidates:
#                     checks start -> component CONNECTED, and -> first
#                     datagram received (each side sends one at CONNECTED,
#                     then every 20 ms), at the controlling (caller) side.
#   registration      alice's zcalld restarted BENCH_OFFLAN_RUNS times (cone
#                     NAT at site 1): zcalld start -> first REGISTER on the
#                     wire (RFC 3263 lookups included), first REGISTER ->
#                     200 OK (the 401 challenge round trip included) and
#                     start -> 200 OK, from a capture on host a (`zcall
#                     status --json` must then say "registered");
#                     anchor: sipua.py registering user "anchor" from the
#                     same host (port 5070) to k1, same capture, same span.
# Targets: answer -> media within 10 ms of the libnice pair's
# checks -> first datagram (medians) on every topology; through symmetric
# NATs every call connects, within 3 s of the answer.  Registration: no
# target (shown beside the anchor).
#
#   ZCALLD / ZCALL        binaries (default: $top_builddir/src/...)
#   BENCH_OFFLAN_RUNS     rounds per topology (default 5)
#   BENCH_ICE_TCP=1       [rendezvous] ice-tcp=true for the agents, and
#                         nice-pair --ice-tcp off the LAN to match
#   CC                    compiler for nice-pair (default cc)
#   NET_KEEP=1            keep the working directory (captures, logs)

if [ -z "${BASH_VERSION:-}" ]; then exec bash "$0" "$@"; fi
set -o pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../tests/net/lib.sh
. "$here/../tests/net/lib.sh"
# shellcheck source=../tests/net/call-lib.sh
. "$here/../tests/net/call-lib.sh"
# shellcheck source=../tests/net/rendezvous-lib.sh
. "$here/../tests/net/rendezvous-lib.sh"

RUNS=${BENCH_OFFLAN_RUNS:-5}
TURN_IP=198.19.0.20
TURN_PORT=3478

net_find_binaries "$here/.."
net_init   # exit 77 with "1..0 # SKIP" unless root with `ip netns`
rdv_require
if ! net_is_prog "$ZCALLD" || ! net_is_prog "$ZCALL"; then
    echo "offlan-bench: zcalld/zcall not built ($ZCALLD, $ZCALL)" >&2
    exit 1
fi
command -v tcpdump >/dev/null 2>&1 ||
    { echo "offlan-bench: tcpdump not installed (apt-get install tcpdump)" >&2; exit 1; }
W=$NET_WORKDIR
say() { echo "offlan-bench: $*" >&2; }
RESULTS=$W/results   # "METRIC VALUE"
: >"$RESULTS"
record() { echo "$1 $2" >>"$RESULTS"; }

NICE_PAIR=$W/nice-pair
# shellcheck disable=SC2046  # pkg-config's words
if ! ${CC:-cc} -std=gnu11 -O2 -Wall -o "$NICE_PAIR" "$here/nice-pair.c" \
    $(pkg-config --cflags --libs nice glib-2.0 gio-2.0) 2>"$W/cc.log"; then
    say "cannot build nice-pair (libnice-dev installed?):"
    cat "$W/cc.log" >&2
    exit 1
fi

say "building the lab"
if ! rdv_setup cone cone || ! rdv_host_add a 1 10 || ! rdv_host_add c 1 11 || ! rdv_host_add b 2 10; then
    rdv_logs 30 >&2
    say "could not build the off-LAN lab"
    exit 1
fi
for h in a c; do
    start_avahi "$h" || { say "avahi-daemon on $h did not start"; exit 1; }
done
rdv_sip_user_add alice alice-pw-1
rdv_sip_user_add bob bob-pw-2
rdv_sip_user_add carol carol-pw-3
rdv_sip_user_add anchor anchor-pw-4

NOAUDIO=("[audio]" "capture-device=none" "playback-device=none" "ring-device=none")
ANSWER=("[calls]" "auto-answer=true" "auto-answer-from=*" "accept-from=any")
TCP=()
[ -n "${BENCH_ICE_TCP:-}" ] && TCP=("ice-tcp=true")
rdv_agent_config a alice alice-pw-1 Alice "${TCP[@]}" "${NOAUDIO[@]}"
rdv_agent_config b bob bob-pw-2 Bob "${TCP[@]}" "${NOAUDIO[@]}" "${ANSWER[@]}"
rdv_agent_config c carol carol-pw-3 Carol "${TCP[@]}" "${NOAUDIO[@]}" "${ANSWER[@]}"

# No python in the measuring loop (it takes ~0.5 s to start on a busy
# machine): `zcall ... --json` is read with grep/awk, the captures and
# nice-pair's output are analysed once at the end.
registered() {   # HOST: its `zcall status --json` says the rendezvous is registered
    zc "$1" status --json 2>/dev/null | grep -q '"state" *: *"registered"'
}
# call_pair HOST ID: "local-remote" candidate types of HOST's call ID while
# it is active with a selected pair; fails otherwise.
call_pair() {
    local out
    out=$(zc "$1" calls --json 2>/dev/null | awk -v id="$2" '
        /"id" *:/ { v = $3; gsub(/[",]/, "", v); cur = v }
        cur != id { next }
        /"state" *:/ { v = $3; gsub(/[",]/, "", v); st = v }
        /"local_candidate" *:/ { want = "l" }
        /"remote_candidate" *:/ { want = "r" }
        want != "" && /"type" *:/ { v = $3; gsub(/[",]/, "", v); t[want] = v; want = "" }
        END { if (st == "active" && t["l"] != "" && t["r"] != "") print t["l"] "-" t["r"] }')
    [ -n "$out" ] && echo "$out"
}
ended_all() {   # HOST: no call on HOST in any state but ended
    local js
    js=$(zc "$1" calls --json) || return 1
    ! grep '"state" *:' <<<"$js" | grep -vq '"ended"'
}

# host_capture_start HOST FILE [IFACE FILTER] / host_capture_stop HOST:
# tcpdump on HOST's eth0 (UDP), or IFACE with FILTER; one capture per host
# and interface.
declare -A CAP_PID
host_capture_start() {
    local h=$1 f=$2 i=${3:-eth0} filter=${4:-udp}
    : >"$f.log"
    host_bg "$h" "$f.log" tcpdump -i "$i" -s 0 -B 4096 -n --immediate-mode -U -w "$f" $filter
    CAP_PID[$h.$i]=$LAST_PID
    wait_for 5 grep -q 'listening on' "$f.log"
}
host_capture_stop() {
    local k
    for k in "${!CAP_PID[@]}"; do
        [ "${k%.*}" = "$1" ] && [ -n "${CAP_PID[$k]}" ] || continue
        sleep 0.1
        host_stop "${CAP_PID[$k]}" "$1"
        CAP_PID[$k]=
    done
}

# ---------------------------------------------------------------- 1. registration
say "1/2 registration: $RUNS zcalld starts at site 1 (cone NAT), each beside a sipua.py REGISTER"
for ((i = 1; i <= RUNS; i++)); do
    d=$W/reg$i
    mkdir -p "$d"
    if [ -n "${AGENT_PID[a]:-}" ]; then
        stop_agent a || say "run $i: zcalld on a: exit ${AGENT_RC[a]} on SIGTERM"
        sleep 0.3
    fi
    host_capture_start a "$d/a.pcap" || { say "tcpdump did not start"; exit 1; }
    t0=$(now_us)
    start_agent a
    sleep 1.5   # poll `zcall status` only after the fact: no load on the start itself
    if wait_for 10 registered a; then
        record regrun "$d $t0"
    else
        say "run $i: alice not registered 10 s after start"
        record reg_fail 1
    fi
    host_run a timeout 10 "${SIPUA[@]}" register --server "${RDV_ADDR[k1]}:5060" --user anchor \
        --password anchor-pw-4 --port 5070 >"$d/sipua.out" 2>"$d/sipua.err" ||
        say "run $i: sipua.py register failed: $(tail -n 1 "$d/sipua.out") $(cat "$d/sipua.err")"
    host_capture_stop a
done
for h in b c; do start_agent "$h"; done
for h in b c; do
    wait_for 10 registered "$h" || say "$h not registered: $(zc "$h" status --json 2>&1 | grep -A3 rendezvous)"
done
if ! wait_for 15 zl a has user=carol reachable=true; then
    say "alice does not see carol on the LAN (mDNS)"
fi

# ---------------------------------------------------------------- 2. calls
# zcalld_run TOPO CALLEE TARGET I: alice calls TARGET on CALLEE's agent.
zcalld_run() {
    local topo=$1 h=$2 target=$3 i=$4 d=$W/$1/z$4 pair ok=0
    mkdir -p "$d"
    if [ "$topo" = turntls ]; then
        # SIP over TCP; media inside TLS: read on the loopback leg.
        if ! host_capture_start a "$d/caller.pcap" lo tcp || ! host_capture_start "$h" "$d/callee.pcap" eth0 tcp; then
            say "tcpdump did not start"
            exit 1
        fi
    elif ! host_capture_start a "$d/caller.pcap" || ! host_capture_start "$h" "$d/callee.pcap"; then
        say "tcpdump did not start"
        exit 1
    fi
    call_start a "$target"
    if [ "$CALL_RC" != 0 ] || [ -z "$CALL_ID" ]; then
        say "$topo run $i: zcall call $target: exit $CALL_RC: $CALL_OUT"
    elif ! wait_for 10 call_pair a "$CALL_ID"; then
        say "$topo run $i: alice's call $CALL_ID has no media pair 10 s after the call"
        zc a calls --json 2>&1 | tail -n 60 | sed 's/^/  /' >&2
    else
        pair=$(call_pair a "$CALL_ID")
        ok=1
        sleep 0.5   # RTP both ways
    fi
    zc a calls --json >"$d/calls-a.json" 2>&1
    zc a hangup --all >/dev/null 2>&1
    wait_for 5 ended_all a || say "$topo run $i: alice's call did not end"
    wait_for 5 ended_all "$h" || say "$topo run $i: $h's call did not end"
    host_capture_stop a
    host_capture_stop "$h"
    record zrun "$topo $d ${HOST_ADDR[$h]} ${HOST_ADDR[a]} $ok ${pair:--}"
}

# nice_run TOPO CALLEE I: nice-pair, controlled on CALLEE, controlling on a.
nice_run() {
    local topo=$1 h=$2 i=$3 d=$W/$1/n$3 pe pr args
    mkdir -p "$d"
    args=(--stun "$TURN_IP:$TURN_PORT" --turn "$TURN_IP:$TURN_PORT" --turn-user "$RDV_TURN_USER"
          --turn-pass "$RDV_TURN_PASS" --port-min 16384 --port-max 32766 --timeout 12)
    # zcalld offers ICE-TCP on calls through the rendezvous with
    # [rendezvous] ice-tcp=true, never on the LAN.
    [ "$topo" != lan ] && [ -n "${BENCH_ICE_TCP:-}" ] && args+=(--ice-tcp)
    host_bg "$h" "$d/callee.out" "$NICE_PAIR" --controlled --out "$d/callee.cand" --in "$d/caller.cand" "${args[@]}"
    pe=$LAST_PID
    host_bg a "$d/caller.out" "$NICE_PAIR" --controlling --out "$d/caller.cand" --in "$d/callee.cand" "${args[@]}"
    pr=$LAST_PID
    if wait_for 10 test -e "$d/callee.cand" -a -e "$d/caller.cand"; then
        kill -USR1 "$pe" "$pr"
    else
        say "$topo run $i: nice-pair did not gather within 10 s"
    fi
    wait_for 15 fails _pid_alive "$pr"
    wait_for 5 fails _pid_alive "$pe"
    host_stop "$pr" a
    host_stop "$pe" "$h"
    grep -q '"ok": true' "$d/caller.out" ||
        say "$topo run $i: nice-pair did not connect: $(grep -h '^{' "$d/caller.out" "$d/callee.out")"
    record nrun "$topo $d"
}

for topo in lan cone symmetric turntls; do
    case $topo in
        lan) callee=c target=carol ;;
        cone) callee=b target=bob@example.test; rdv_nat_mode 1 cone; rdv_nat_mode 2 cone ;;
        symmetric) callee=b target=bob@example.test; rdv_nat_mode 1 symmetric; rdv_nat_mode 2 symmetric ;;
        turntls)
            callee=b target=bob@example.test
            rdv_nat_mode 1 cone
            rdv_nat_mode 2 cone
            for r in r1 r2; do
                ip netns exec "${RDV_NS[$r]}" sh -ec "
                    iptables -I FORWARD 1 -i lan0 -o wan0 -p udp ! --dport 53 -j DROP
                    iptables -I FORWARD 1 -i lan0 -o wan0 -p tcp -d $TURN_IP --dport 3478 -j DROP"
            done
            for h in a b; do stop_agent "$h"; done
            TLSCONF=("registrar=sip:$RDV_DOMAIN;transport=tcp" "turn-server=turns:turn.$RDV_DOMAIN"
                     "turn-ca-file=$RDV_DIR/tls/ca.pem")
            rdv_agent_config a alice alice-pw-1 Alice "${TLSCONF[@]}" "${TCP[@]}" "${NOAUDIO[@]}"
            rdv_agent_config b bob bob-pw-2 Bob "${TLSCONF[@]}" "${TCP[@]}" "${NOAUDIO[@]}" "${ANSWER[@]}"
            for h in a b; do
                sed -i -e "/^stun-server=/d" -e "/^turn-server=turn\./d" -e "/^registrar=$RDV_DOMAIN\$/d" \
                    "${HOST_DIR[$h]}/zcall.conf"
                start_agent "$h"
            done
            for h in a b; do
                wait_for 15 registered "$h" || say "turntls: $h not registered over TCP"
            done
            ;;
    esac
    say "2/2 $topo: $RUNS rounds of (alice calls $target; nice-pair a <-> $callee)"
    for ((i = 1; i <= RUNS; i++)); do
        zcalld_run "$topo" "$callee" "$target" "$i"
        [ "$topo" = turntls ] || nice_run "$topo" "$callee" "$i"
    done
done
for h in a b c; do
    stop_agent "$h" || say "zcalld on $h: exit status ${AGENT_RC[$h]} on SIGTERM"
done
for h in a b c; do
    if grep -qE 'CRITICAL|assertion .* failed' "${HOST_DIR[$h]}/zcalld.log"; then
        say "criticals in $h's zcalld log:"
        grep -hE 'CRITICAL|assertion .* failed' "${HOST_DIR[$h]}/zcalld.log" | head -n 5 >&2
    fi
done

# ---------------------------------------------------------------- report
BENCH_DIR="$here" NET_DIR="$here/../tests/net" python3 - "$RESULTS" "$RUNS" <<'EOF'
import os, sys
sys.path.insert(0, os.environ["BENCH_DIR"])
sys.path.insert(0, os.environ["NET_DIR"])
import mdtable
from sippcap import packets, parse_sip
import collections, json, socket, statistics, struct

MAGIC = b"\x21\x12\xa4\x42"
NOT_MEDIA_PORTS = {53, 5353, 5060, 5061, 5070, 3478}


def udp(lt, d):
    """(src, sport, dst, dport, payload) of an IPv4 UDP packet on Ethernet, or None."""
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
    # RTP version 2, not RTCP (RFC 5761: a second byte of 192..223 is RTCP)
    return len(p) >= 12 and (p[0] & 0xC0) == 0x80 and not 192 <= p[1] <= 223


def media(src, sp, dst, dp, p):
    """How an RTP packet arrived: "direct", in a TURN "channel" message or a
    "data-ind"ication from the relay; None for anything else (STUN, RTCP,
    SIP, DNS, mDNS)."""
    if len(p) >= 20 and p[0] < 2 and p[4:8] == MAGIC:
        if struct.unpack("!H", p[0:2])[0] != 0x0017:   # not a Data indication
            return None
        i, n = 20, min(len(p), 20 + struct.unpack("!H", p[2:4])[0])
        while i + 4 <= n:
            at, al = struct.unpack("!HH", p[i:i + 4])
            if at == 0x0013:   # DATA
                return "data-ind" if is_rtp(p[i + 4:i + 4 + al]) else None
            i += 4 + ((al + 3) & ~3)
        return None
    if sp == 3478 and 0x40 <= p[0] <= 0x7F and len(p) >= 4:
        return "channel" if is_rtp(p[4:4 + struct.unpack("!H", p[2:4])[0]]) else None
    if sp in NOT_MEDIA_PORTS or dp in NOT_MEDIA_PORTS:
        return None
    return "direct" if is_rtp(p) else None


def first_rtp(path, ip):
    for ts, lt, d in packets(path):
        u = udp(lt, d)
        if u and u[2] == ip:
            via = media(*u)
            if via:
                return ts, via
    return None, None


def tcp(lt, d):
    """(src, sport, dst, dport, payload) of an IPv4 TCP segment on Ethernet, or None."""
    if lt != 1 or len(d) < 54 or struct.unpack("!H", d[12:14])[0] != 0x0800:
        return None
    ip = d[14:]
    if ip[9] != 6:
        return None
    t = ip[(ip[0] & 15) * 4:struct.unpack("!H", ip[2:4])[0]]
    if len(t) < 20:
        return None
    sp, dp = struct.unpack("!HH", t[:4])
    return socket.inet_ntoa(ip[12:16]), sp, socket.inet_ntoa(ip[16:20]), dp, t[(t[12] >> 4) * 4:]


def first_rtp_tls(path):
    """TURN over TLS: the first RTP zcalld's TLS end hands libnice on the
    loopback (TCP from the end's port: ChannelData or a Data indication,
    RFC 8656 framing; a segment is searched message by message)."""
    ends = set()
    for ts, lt, d in packets(path):
        t = tcp(lt, d)
        if not t or not t[4]:
            continue
        src, sp, dst, dp, p = t
        # libnice connects to the end: the end's port is the SYN's target,
        # seen here as the port libnice first writes to.
        if not ends and p[4:8] == MAGIC:
            ends.add(dp)
        if sp not in ends:
            continue
        i = 0
        while i + 4 <= len(p):
            if 0x40 <= p[i] <= 0x7F:
                n = struct.unpack("!H", p[i + 2:i + 4])[0]
                if is_rtp(p[i + 4:i + 4 + n]):
                    return ts, "channel/tls"
                i += 4 + ((n + 3) & ~3)
            elif p[i] < 2 and p[i + 4:i + 8] == MAGIC:
                n = struct.unpack("!H", p[i + 2:i + 4])[0]
                if media(src, sp, dst, dp, p[i:i + 20 + n]) == "data-ind":
                    return ts, "data-ind/tls"
                i += 20 + n
            else:
                break
    return None, None


def first_200_tcp(path, src):
    for ts, lt, d in packets(path):
        t = tcp(lt, d)
        if not t or t[0] != src or not t[4].startswith(b"SIP/2.0 200"):
            continue
        m = parse_sip(t[4])
        if m and m[0] == "resp" and m[4] == "INVITE":
            return ts
    return None


def first_200(path, src=None, dst=None):
    for ts, lt, d in packets(path):
        u = udp(lt, d)
        if not u or (src and u[0] != src) or (dst and u[2] != dst):
            continue
        m = parse_sip(u[4])
        if m and m[0] == "resp" and m[1] == "200" and m[4] == "INVITE":
            return ts
    return None


def ms(a, b):
    return (b - a) * 1000 if a is not None and b is not None else None


def register(path, ip, port):
    """First REGISTER from ip:port -> first 200 OK to a REGISTER of its Call-ID."""
    first = {}
    for ts, lt, d in packets(path):
        u = udp(lt, d)
        m = parse_sip(u[4]) if u else None
        if not m:
            continue
        kind, tok, cid, _num, meth = m
        if kind == "req" and tok == "REGISTER" and u[0] == ip and u[1] == port:
            first.setdefault(cid, ts)
        elif kind == "resp" and tok == "200" and meth == "REGISTER" and cid in first and u[2] == ip and u[3] == port:
            return first[cid], ts
    return (min(first.values()) if first else None), None


res, runs = sys.argv[1], int(sys.argv[2])
vals = collections.defaultdict(list)
for line in open(res):
    k, _, v = line.rstrip("\n").partition(" ")
    vals[k].append(v)

Z = collections.defaultdict(lambda: collections.defaultdict(list))   # topology -> metric -> values
for r in vals["zrun"]:
    topo, d, callee, caller, ok, pair = r.split()
    if topo == "turntls":
        t200 = first_200_tcp(os.path.join(d, "callee.pcap"), callee)
        tc, via = first_rtp_tls(os.path.join(d, "caller.pcap"))
        te = None
    else:
        t200 = first_200(os.path.join(d, "callee.pcap"), src=callee)
        tc, via = first_rtp(os.path.join(d, "caller.pcap"), caller)
        te, _ = first_rtp(os.path.join(d, "callee.pcap"), callee)
    z = Z[topo]
    if ok == "1" and t200 is not None and tc is not None:
        z["caller"].append(ms(t200, tc))
        z["via"].append(via)
        z["pair"].append(pair)
        if te is not None:
            z["callee"].append(ms(t200, te))
    else:
        z["fail"].append(1)
        print("offlan-bench: %s: no media (pair %s, 200 OK at %s, RTP at the caller at %s)" % (d, pair, t200, tc),
              file=sys.stderr)
N = collections.defaultdict(lambda: collections.defaultdict(list))
for r in vals["nrun"]:
    topo, d = r.split()
    js = None
    try:
        js = [json.loads(l) for l in open(os.path.join(d, "caller.out")) if l.startswith("{")][-1]
    except (OSError, IndexError, ValueError):
        pass
    n = N[topo]
    if js and js["ok"]:
        n["recv"].append(js["first_recv_ms"])
        n["conn"].append(js["connected_ms"])
        n["pair"].append(js["local_type"] + "-" + js["remote_type"])
    else:
        n["fail"].append(1)
R = collections.defaultdict(list)
for r in vals["regrun"]:
    d, t0 = r.split()
    t0 = int(t0) / 1e6
    treg, t200 = register(os.path.join(d, "a.pcap"), "198.18.1.10", 5060)
    if t200 is not None:
        R["wire"].append(ms(treg, t200))
        R["start"].append(ms(t0, treg))
        R["total"].append(ms(t0, t200))
    else:
        R["fail"].append(1)
    treg, t200 = register(os.path.join(d, "a.pcap"), "198.18.1.10", 5070)
    if t200 is not None:
        R["anchor"].append(ms(treg, t200))
R["fail"] += [1] * len(vals["reg_fail"])


def mmm(v, fmt="%.1f"):
    if not v:
        return "n/a"
    return "%s / %s / %s (n=%d)" % (fmt % min(v), fmt % statistics.median(v), fmt % max(v), len(v))


def counts(v):
    return ", ".join("%s x%d" % kv for kv in sorted(collections.Counter(v).items())) or "-"


rows = []
names = {"lan": "LAN (site 1, host <-> host)", "cone": "cone NATs (sites 1, 2)",
         "symmetric": "symmetric NATs (sites 1, 2), TURN over UDP",
         "turntls": "no UDP out of the sites, TURN over TLS"}
for t in ("lan", "cone", "symmetric"):
    z, n = Z[t], N[t]
    zf, nf = len(z["fail"]), len(n["fail"])
    zdesc = ("200 OK -> 1st RTP at caller: %s; at callee: %s; pair %s; RTP %s%s" %
             (mmm(z["caller"]), mmm(z["callee"]), counts(z["pair"]), counts(z["via"]),
              "; %d of %d calls without media" % (zf, runs) if zf else ""))
    ndesc = ("checks -> 1st datagram: %s; -> CONNECTED: %s; pair %s%s" %
             (mmm(n["recv"]), mmm(n["conn"]), counts(n["pair"]), "; %d of %d failed" % (nf, runs) if nf else ""))
    zc, nr = z["caller"], n["recv"]
    if not zc or not nr:
        rows.append(("answer -> media, %s (ms)" % names[t], zdesc, ndesc, "-", "NOT MEASURED"))
        continue
    diff = statistics.median(zc) - statistics.median(nr)
    met = diff <= 10
    target = "median <= anchor's + 10 ms"
    if t == "symmetric":
        target += "; every call connects, max <= 3000 ms"
        met = met and zf == 0 and len(zc) == runs and max(zc) <= 3000
    rows.append(("answer -> media, %s (ms)" % names[t], zdesc, ndesc, target,
                 "%s (%+.1f ms)" % ("met" if met else "NOT MET", diff)))
z, zs, ns = Z["turntls"], Z["symmetric"], N["symmetric"]
zf = len(z["fail"])
zdesc = ("200 OK -> 1st RTP at caller (libnice side of the TLS leg): %s; pair %s; RTP %s%s" %
         (mmm(z["caller"]), counts(z["pair"]), counts(z["via"]),
          "; %d of %d calls without media" % (zf, runs) if zf else ""))
adesc = ("zcalld TURN over UDP (symmetric row): %s; nice-pair TURN over UDP checks -> 1st datagram: %s" %
         (mmm(zs["caller"]), mmm(ns["recv"])))
if z["caller"] and zs["caller"]:
    rows.append(("answer -> media, %s (ms)" % names["turntls"], zdesc, adesc, "- (info: TLS vs UDP to the relay)",
                 "info (%+.1f ms vs TURN over UDP)" % (statistics.median(z["caller"]) - statistics.median(zs["caller"]))))
else:
    rows.append(("answer -> media, %s (ms)" % names["turntls"], zdesc, adesc, "-", "NOT MEASURED"))
rf = len(R["fail"])
rows.append(("registration, site 1 cone NAT (ms)",
             "REGISTER -> 200 OK (401 round trip incl.): %s; zcalld start -> 1st REGISTER: %s; "
             "start -> 200 OK: %s%s" % (mmm(R["wire"]), mmm(R["start"]), mmm(R["total"]),
                                        "; %d not registered" % rf if rf else ""),
             "sipua.py REGISTER -> 200 OK: " + mmm(R["anchor"]), "- (none in the issue)",
             "NOT MEASURED" if not R["wire"] or not R["anchor"] else
             "info (%+.1f ms)" % (statistics.median(R["wire"]) - statistics.median(R["anchor"]))))
print("off-LAN benchmark: rendezvous lab (Kamailio, coturn, dnsmasq; two sites behind NAT routers); "
      "%d rounds per topology, zcalld and the anchor interleaved; zcalld from tcpdump on the hosts, "
      "nice-pair from its own monotonic clock (controlling = caller side)" % runs)
hdr = ("metric", "zcalld (min / median / max)", "anchor: plain libnice pair / sipua.py", "target", "result")
sys.exit(mdtable.print_table(hdr, rows))
EOF
