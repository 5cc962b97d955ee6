#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
#
# calls-bench.sh - call setup latency, offered load and crash detection of
# zcalld, beside SIPp as the anchor.  Run by `make bench` (as root; network
# namespaces from tests/net/lib.sh).  Prints one table.
#
# Hosts on one LAN bridge:
#   h1 198.18.0.1  zcalld "alice" under test: [calls] auto-answer=true auto-answer-from=*
#                  accept-from=any max-calls=100, [sip] rate-limit=BENCH_RATE_LIMIT
#   h2 198.18.0.2  sipp (uac from port 5070; uas on 5060)
#   h3 198.18.0.3  zcalld "carol", the caller for `zcall call`; later crashed
#
# Method.  Every SIP timing comes from one tcpdump capture on the LAN bridge
# (one clock, µs resolution): INVITE -> first final response of the same
# transaction, as seen on the wire.  The same method times the anchor, sipp uac
# (h3) -> sipp uas (h2), in the same run, in alternating rounds.
#   1. INVITE -> 200 OK: SETUP_CALLS (100) calls sipp uac -> zcalld (auto-
#      answer) and as many sipp uac -> sipp uas, in 4 interleaved rounds.
#   2. `zcall call TARGET --wait` -> exit 0 (the CLI's view, D-Bus included):
#      CLI_CALLS (20) calls carol -> alice (zcalld, auto-answer) and carol ->
#      sipp uas; `zcall status` round trips give the bare CLI cost.
#   3. Offered load: sipp (bench/uac-200-or-486.xml: 486 counts as an answer)
#      at 10, 50 and 100 calls/s for LOAD_SECONDS (20) s, each call held
#      LOAD_HOLD_MS (3000) ms, so from 50 calls/s on more than max-calls=100
#      calls would be up at once.  From the capture: % of INVITEs with a
#      correct final response (200, or 486 Busy Here); zcalld's VmRSS before
#      and 3 s after each run, and from the idle agent to after the last run;
#      `zcall status` at h1 once a second during the load, each capped at 1 s.
#      LOAD_RATES="100 100 100" repeats a rate (to tell a leak from a plateau).
#   4. Crash -> gone: CRASH_RUNS (3) times SIGKILL carol's zcalld and
#      avahi-daemon (no goodbye), time until alice's `zcall list` drops her.
#
#   ZCALLD / ZCALL        binaries (default: $top_builddir/src/...)
#   BENCH_RATE_LIMIT      [sip] rate-limit of the agent under test (default
#                         1000: sipp sends everything from one address, and the
#                         default per-source limit of 50 requests/s would turn
#                         the 50 and 100 calls/s runs into a flood test)
#   NET_KEEP=1            keep the working directory (captures, sipp traces)

if [ -z "${BASH_VERSION:-}" ]; then exec bash "$0" "$@"; fi
set -o pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../tests/net/lib.sh
. "$here/../tests/net/lib.sh"
# shellcheck source=../tests/net/call-lib.sh
. "$here/../tests/net/call-lib.sh"

SETUP_CALLS=${SETUP_CALLS:-100}
CLI_CALLS=${CLI_CALLS:-20}
LOAD_RATES=${LOAD_RATES:-"10 50 100"}
LOAD_SECONDS=${LOAD_SECONDS:-20}
LOAD_HOLD_MS=${LOAD_HOLD_MS:-3000}
CRASH_RUNS=${CRASH_RUNS:-3}
BENCH_RATE_LIMIT=${BENCH_RATE_LIMIT:-1000}

net_find_binaries "$here/.."
net_init   # exit 77 with "1..0 # SKIP" unless root with `ip netns`
if ! net_is_prog "$ZCALLD" || ! net_is_prog "$ZCALL"; then
    echo "calls-bench: zcalld/zcall not built ($ZCALLD, $ZCALL)" >&2
    exit 1
fi
for p in sipp tcpdump; do
    command -v "$p" >/dev/null 2>&1 ||
        { echo "calls-bench: $p not installed (apt-get install sip-tester tcpdump)" >&2; exit 1; }
done
net_setup 3 || { echo "calls-bench: could not build the namespace lab" >&2; exit 1; }
W=$NET_WORKDIR
A=${HOST_ADDR[h1]} B=${HOST_ADDR[h2]} C=${HOST_ADDR[h3]}
RESULTS=$W/results   # "METRIC VALUE"
: >"$RESULTS"
record() { echo "$1 $2" >>"$RESULTS"; }
say() { echo "calls-bench: $*" >&2; }
diag() { printf '%s\n' "$@" | sed 's/^/# /' >&2; }   # (call-lib's goes to stdout)
vmrss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status" 2>/dev/null; }

write_agent_config h1 alice Alice "[calls]" "auto-answer=true" "auto-answer-from=*" "accept-from=any" "max-calls=100"
# write_agent_config writes "[sip]" "port=5060" before the extra lines.
sed -i "/^\[sip\]/a rate-limit=$BENCH_RATE_LIMIT" "${HOST_DIR[h1]}/zcall.conf"
write_agent_config h3 carol Carol
start_agent h1
start_agent h3
if ! wait_for 10 zl h3 has user=alice reachable=true; then
    say "carol's zcalld does not see alice reachable; logs:"
    tail -n 20 "${HOST_DIR[h1]}/zcalld.log" "${HOST_DIR[h3]}/zcalld.log" >&2
    exit 1
fi

# run_uac DIR HOST LOCAL_IP TARGET ARGS...: one sipp uac run to completion.
run_uac() {
    local dir=$1 h=$2 ip=$3 target=$4
    shift 4
    sipp_bg "$h" "$dir" -i "$ip" -p 5070 -timeout 120s -timeout_error -recv_timeout 10000 "$@" "$target"
    sipp_wait "$LAST_PID" 130
    read -r UAC_OK UAC_FAIL <<<"$(sipp_summary "$dir")"
    [ "$SIPP_RC" = 0 ] || say "sipp in $dir: exit $SIPP_RC, $UAC_OK successful, $UAC_FAIL failed"
}

# ---------------------------------------------------------------- 1. INVITE -> 200
say "1/4 INVITE -> 200 OK: $SETUP_CALLS calls each, sipp -> zcalld and sipp -> sipp uas"
mkdir -p "$W/setup"
capture_start "$W/setup" || { say "tcpdump did not start"; exit 1; }
sipp_bg h2 "$W/setup/uas" -sn uas -i "$B" -p 5060 -timeout 600s
UAS_PID=$LAST_PID
sleep 0.3
per=$(( (SETUP_CALLS + 3) / 4 ))
for round in 1 2 3 4; do
    run_uac "$W/setup/z$round" h2 "$B" "$A:5060" -sn uac -s alice -m "$per" -r 20
    run_uac "$W/setup/s$round" h3 "$C" "$B:5060" -sn uac -m "$per" -r 20
done

# ---------------------------------------------------------------- 2. zcall call -> active
say "2/4 zcall call --wait: $CLI_CALLS calls each, carol -> alice (zcalld) and carol -> sipp uas"
cli_call() {   # TARGET METRIC
    local t0 rc id out
    t0=$(now_us)
    out=$(ZC_TIMEOUT=15 zc h3 call "$1" --wait 2>"$W/call.err")
    rc=$?
    if [ "$rc" = 0 ]; then
        record "$2" "$(( $(now_us) - t0 ))"
    else
        say "zcall call $1 --wait: exit $rc: $out $(cat "$W/call.err")"
        record "$2_fail" 1
    fi
    id=$(call_id_of "$out")
    zdo h3 hangup "${id:---all}" || zdo h3 hangup --all
    wait_for 3 ended_all h3 || say "carol's call $id did not end"
}
capture_stop
mkdir -p "$W/cli"
capture_start "$W/cli" || { say "tcpdump did not start"; exit 1; }
for ((i = 1; i <= CLI_CALLS; i++)); do
    t0=$(now_us); zc h3 status >/dev/null && record cli_status_us "$(( $(now_us) - t0 ))"
    cli_call alice cli_zcalld_us
    cli_call "sip:service@$B:5060" cli_sipp_us
done
_kill_wait "$UAS_PID" "${HOST_NS[h2]}"
capture_stop
"${SIPPCAP[@]}" calls "$W/setup/lan.pcap" >"$W/setup/calls.tsv"
"${SIPPCAP[@]}" calls "$W/cli/lan.pcap" >"$W/cli/calls.tsv"

# ---------------------------------------------------------------- 3. offered load
# status_probe_during PID RUN: `zcall status` at h1 once a second while PID runs.
status_probe_during() {
    local pid=$1 run=$2 t0 rc el
    while _pid_alive "$pid"; do
        t0=$(now_us)
        ZC_TIMEOUT=1 zc h1 status >/dev/null 2>&1
        rc=$?
        el=$(( $(now_us) - t0 ))
        record "status_us_$run" "$([ "$rc" = 0 ] && echo "$el" || echo fail)"
        [ "$el" -lt 1000000 ] && sleep "0.$(printf '%06d' $((1000000 - el)))"
    done
}
k=0
for rate in $LOAD_RATES; do
    k=$((k + 1))
    say "3/4 offered load: $rate calls/s for $LOAD_SECONDS s, calls held $LOAD_HOLD_MS ms"
    d="$W/load$k"
    mkdir -p "$d"
    wait_for 10 ended_all h1 || say "alice has open calls before the $rate/s run"
    record "rss_before_$k" "$(vmrss_kb "${AGENT_PID[h1]}")"
    capture_start "$d" || { say "tcpdump did not start"; exit 1; }
    sipp_bg h2 "$d" -sf "$here/uac-200-or-486.xml" -s alice -i "$B" -p 5070 \
        -r "$rate" -m $((rate * LOAD_SECONDS)) -d "$LOAD_HOLD_MS" -l 100000 \
        -timeout $((LOAD_SECONDS + 60))s -timeout_error -recv_timeout 10000 "$A:5060"
    spid=$LAST_PID
    status_probe_during "$spid" "$k"
    sipp_wait "$spid" 1
    read -r ok_calls bad_calls <<<"$(sipp_summary "$d")"
    record "sipp_rc_$k" "$SIPP_RC"
    record "sipp_ok_$k" "$ok_calls"
    record "sipp_fail_$k" "$bad_calls"
    sleep 3
    capture_stop
    record "rss_after_$k" "$(vmrss_kb "${AGENT_PID[h1]}")"
    _pid_alive "${AGENT_PID[h1]}" || { say "zcalld on h1 died during the $rate/s run"; record "died_$k" 1; break; }
    "${SIPPCAP[@]}" summary "$d/lan.pcap" --from "$B" --to "$A" >"$d/summary.json"
done

# ---------------------------------------------------------------- 4. crash -> gone
say "4/4 crash -> gone: $CRASH_RUNS runs"
carol_gone() {   # a valid list at alice without carol (no python: it starts slowly)
    local js
    js=$(zc h1 list --json) && [ -n "$js" ] && ! grep -q '"carol"' <<<"$js"
}
carol_unreachable() {
    local js
    js=$(zc h1 list --json) && grep -q '"reachable" *: *false' <<<"$js"
}
for ((i = 1; i <= CRASH_RUNS; i++)); do
    if [ "$i" -gt 1 ]; then
        start_avahi h3 && start_agent h3
    fi
    if ! wait_for 10 zl h1 has user=carol reachable=true; then
        say "run $i: carol not reachable at alice before the crash"
        continue
    fi
    sleep 1
    cpid=${AGENT_PID[h3]} apid=${AVAHI_PID[h3]}
    t0=$(now_ms)
    kill -KILL "$cpid" "$apid" 2>/dev/null
    wait "$cpid" "$apid" 2>/dev/null
    AGENT_PID[h3]='' AVAHI_PID[h3]=''
    if wait_for 15 carol_unreachable; then
        record crash_unreachable_ms "$((WAIT_OK_AT_MS - t0))"
    fi
    if wait_until $((t0 + 15000)) carol_gone; then
        record crash_gone_ms "$((WAIT_OK_AT_MS - t0))"
    else
        record crash_gone_ms 99999
        say "run $i: carol still listed at alice 15 s after the crash"
    fi
done
stop_agent h1 || say "zcalld on h1: exit status ${AGENT_RC[h1]} on SIGTERM"

# ---------------------------------------------------------------- report
BENCH_DIR="$here" python3 - "$RESULTS" "$W" "$A" "$B" "$C" "$LOAD_RATES" "$LOAD_SECONDS" "$LOAD_HOLD_MS" "$SETUP_CALLS" \
    "$BENCH_RATE_LIMIT" <<'EOF'
import os, sys
sys.path.insert(0, os.environ["BENCH_DIR"])
import mdtable
import json, os, statistics, sys
res, W, A, B, C, rates, secs, hold, ncalls, rlim = sys.argv[1:]
vals = {}
for line in open(res):
    k, v = line.split()
    vals.setdefault(k, []).append(v)
def nums(k, scale=1.0):
    return [float(v) * scale for v in vals.get(k, []) if v.replace(".", "").lstrip("-").isdigit()]
def mmm(v, fmt="%.2f"):
    if not v:
        return "n/a"
    return "%s / %s / %s (n=%d)" % (fmt % min(v), fmt % statistics.median(v), fmt % max(v), len(v))

def tsv(phase):
    return [l.rstrip("\n").split("\t") for l in open(os.path.join(W, phase, "calls.tsv"))]
def setup(src, dst, phase="setup"):
    return [float(c[6]) for c in tsv(phase) if c[1] == src and c[2] == dst and c[4] == "200"]
def nonok(src, dst, phase="setup"):
    return sum(1 for c in tsv(phase) if c[1] == src and c[2] == dst and c[4] != "200")
rows = []
z, s = setup(B, A), setup(C, B)
zm = statistics.median(z) if z else None
rows.append(("INVITE -> 200 OK, wire (ms)", "sipp uac -> zcalld: " + mmm(z) +
             (", %d not 200" % nonok(B, A) if nonok(B, A) else ""),
             "sipp uac -> sipp uas: " + mmm(s), "median <= 3 ms",
             "NOT MEASURED" if zm is None else ("met" if zm <= 3 and len(z) >= int(ncalls) else
                                                "NOT MET" if zm > 3 else "NOT MET (%d of %s calls)" % (len(z), ncalls))))
zz = setup(C, A, "cli")
zs = setup(C, B, "cli")
rows.append(("INVITE -> 200 OK, wire, zcalld caller (ms)", "carol zcalld -> alice zcalld: " + mmm(zz),
             "carol zcalld -> sipp uas: " + mmm(zs), "-", "info"))
cz, cs, st = nums("cli_zcalld_us", 1e-3), nums("cli_sipp_us", 1e-3), nums("cli_status_us", 1e-3)
rows.append(("zcall call --wait -> exit 0 (ms)", "to zcalld (auto-answer): " + mmm(cz, "%.1f") +
             ("; %d failed" % len(vals["cli_zcalld_us_fail"]) if "cli_zcalld_us_fail" in vals else ""),
             "to sipp uas: " + mmm(cs, "%.1f") +
             ("; %d failed" % len(vals["cli_sipp_us_fail"]) if "cli_sipp_us_fail" in vals else "") +
             "; bare `zcall status`: " + mmm(st, "%.1f"), "-", "info"))
for k, r in enumerate(rates.split(), 1):
    k = str(k)
    p = os.path.join(W, "load" + k, "summary.json")
    if not os.path.exists(p):
        rows.append(("load %s calls/s x %s s" % (r, secs), "not run (agent died?)", "", "", "NOT MEASURED"))
        continue
    sm = json.load(open(p))
    fin = sm["final"]
    good = fin.get("200", 0) + fin.get("486", 0)
    pct = 100.0 * good / sm["calls"] if sm["calls"] else 0.0
    other = {k: v for k, v in fin.items() if k not in ("200", "486")}
    rb, ra = nums("rss_before_" + k), nums("rss_after_" + k)
    growth = (ra[0] - rb[0]) / 1024 if rb and ra else None
    pr = vals.get("status_us_" + k, [])
    pok = [float(v) / 1000 for v in pr if v != "fail" and float(v) < 1e6]
    resp = len(pok) == len(pr) and len(pr) > 0
    desc = ("%d INVITEs: %.1f %% correct (200: %d, 486: %d%s, no final: %d); sipp ok/failed %s/%s" %
            (sm["calls"], pct, fin.get("200", 0), fin.get("486", 0),
             "".join(", %s: %d" % kv for kv in sorted(other.items())), sm["no_final"],
             vals.get("sipp_ok_" + k, ["?"])[0], vals.get("sipp_fail_" + k, ["?"])[0]))
    mem = ("RSS %.1f -> %.1f MB (%+.1f); zcall status within 1 s: %d/%d, max %.0f ms" %
           (rb[0] / 1024, ra[0] / 1024, growth, len(pok), len(pr), max(pok) if pok else -1)
           if growth is not None else "RSS n/a")
    met = pct == 100.0 and growth is not None and growth < 20 and resp
    rows.append(("load %s calls/s x %s s, hold %s ms" % (r, secs, hold), desc, mem,
                 "100 % correct; RSS growth < 20 MB; status < 1 s", "met" if met else "NOT MET"))
runs = [str(i) for i in range(1, len(rates.split()) + 1)]
first = [k for k in runs if nums("rss_before_" + k)]
last = [k for k in runs if nums("rss_after_" + k)]
if first and last:
    a, b = nums("rss_before_" + first[0])[0] / 1024, nums("rss_after_" + last[-1])[0] / 1024
    n = sum(json.load(open(os.path.join(W, "load" + k, "summary.json")))["calls"] for k in last)
    rows.append(("RSS, idle agent -> after all load runs (MB)",
                 "%.1f -> %.1f (%+.1f) after %d INVITEs" % (a, b, b - a, n),
                 "%.1f KB per INVITE" % ((b - a) * 1024 / n if n else 0), "growth < 20 MB",
                 "met" if b - a < 20 else "NOT MET"))
g, u = nums("crash_gone_ms"), nums("crash_unreachable_ms")
rows.append(("crash -> gone from list (ms)", mmm(g, "%.0f"), "unreachable after: " + mmm(u, "%.0f"),
             "max <= 5000", ("met" if max(g) <= 5000 else "NOT MET") if g else "NOT MEASURED"))

print("calls benchmark: namespace LAN, timings from one capture on the bridge; zcalld [calls]"
      " auto-answer=true auto-answer-from=* max-calls=100, [sip] rate-limit=%s" % rlim)
hdr = ("metric", "zcalld (min / median / max)", "anchor / detail", "target", "result")
sys.exit(mdtable.print_table(hdr, rows))
EOF
