#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
#
# discovery-bench.sh - discovery latency of zcalld against avahi-publish, and
# zcalld's idle memory.  Run by `make bench` (as root; namespaces).
#
# Two hosts, A and B, on one LAN bridge (tests/net/lib.sh), each with its own
# avahi-daemon.  B runs `avahi-browse -rpk _sip._udp` the whole time; every
# line it prints is timestamped on arrival.  Both publishers are timed by that
# same browser, so the figures compare like with like:
#   start -> visible   publisher started in A -> first "=" (resolved) line at B
#   stop  -> gone      SIGTERM to the publisher -> its last "-" line at B
# Runs alternate avahi-publish and zcalld so drift on the machine hits both.
# B also runs a zcalld of its own, so A's agent has one peer; A's zcalld's
# VmRSS is read 2 s after it became visible (and knows that peer).
#
#   BENCH_RUNS=N     runs per publisher (default 10, minimum 10 for the report)
#   ZCALLD / ZCALL   binaries (default: $top_builddir/src/...)

# `make bench` may start us with $(SHELL); this needs bash (arrays, EPOCHREALTIME).
if [ -z "${BASH_VERSION:-}" ]; then exec bash "$0" "$@"; fi
set -o pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../tests/net/lib.sh
. "$here/../tests/net/lib.sh"

RUNS=${BENCH_RUNS:-10}
net_find_binaries "$here/.."
net_init   # exit 77 with "1..0 # SKIP" unless root with `ip netns`
if ! net_is_prog "$ZCALLD" || ! net_is_prog "$ZCALL"; then
    echo "discovery-bench: zcalld/zcall not built ($ZCALLD, $ZCALL)" >&2
    exit 1
fi

net_setup 2 || { echo "discovery-bench: could not build the namespace lab" >&2; exit 1; }
BLOG=$NET_WORKDIR/browse.log      # "EPOCHREALTIME avahi-browse-line"
RESULTS=$NET_WORKDIR/results      # "metric impl value"
: >"$RESULTS"

# ---------------------------------------------------------------- browser at B
# avahi-browse writes into a FIFO; a reader in this shell stamps each line the
# moment it arrives ($EPOCHREALTIME, no fork per line).  stdbuf execs, so the
# tracked PID is avahi-browse's; avahi-browse also flushes per line itself.
mkfifo "$NET_WORKDIR/browse.fifo"
( while IFS= read -r line; do printf '%s %s\n' "$EPOCHREALTIME" "$line"; done ) \
    <"$NET_WORKDIR/browse.fifo" >"$BLOG" &
host_bg h2 "$NET_WORKDIR/browse.fifo" stdbuf -oL avahi-browse -rpk _sip._udp
# (The teardown stops avahi-browse; the reader then sees EOF and ends.)

# first_ts KIND NAME: timestamp (µs) of the first KIND ("=", "-", "+") line of NAME.
first_ts() {
    awk -F'[ ;]' -v k="$1" -v n="$2" '$2 == k && $5 == n { sub(/[.,]/, "", $1); print $1; exit }' "$BLOG"
}
# last_ts KIND NAME
last_ts() {
    awk -F'[ ;]' -v k="$1" -v n="$2" '$2 == k && $5 == n { sub(/[.,]/, "", $1); t = $1 } END { if (t) print t }' "$BLOG"
}
count() {   # KIND NAME
    awk -F'[ ;]' -v k="$1" -v n="$2" '$2 == k && $5 == n { c++ } END { print c + 0 }' "$BLOG"
}
resolved() { [ -n "$(first_ts '=' "$1")" ]; }
# gone NAME: every "+" (one per interface and protocol) has had its "-".
gone() {
    local p
    p=$(count + "$1")
    [ "$p" -gt 0 ] && [ "$(count - "$1")" -ge "$p" ]
}

peer_known() {   # A's zcalld lists B's agent
    host_run h1 timeout 5 "$ZCALL" list --json | python3 "$here/../tests/net/zjson.py" present benchpeer
}

vmrss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status" 2>/dev/null; }

record() { echo "$1 $2 $3" >>"$RESULTS"; }   # METRIC IMPL VALUE

# ---------------------------------------------------------------- B's peer agent
write_agent_config h2 benchpeer bench-peer
start_agent h2
if ! wait_for 10 resolved bench-peer; then
    echo "discovery-bench: B's zcalld never became visible; its log:" >&2
    cat "${HOST_DIR[h2]}/zcalld.log" >&2
    exit 1
fi

# ---------------------------------------------------------------- one run each
run_publish() {   # RUN
    local name="pub-$1-$$" t_start t_stop pid
    t_start=$(now_us)
    host_bg h1 "${HOST_DIR[h1]}/publish.log" avahi-publish -s "$name" _sip._udp 5070 txtvers=1
    pid=$LAST_PID
    if ! wait_for 5 resolved "$name"; then
        echo "# run $1: avahi-publish $name not visible at B in 5 s" >&2
        host_stop "$pid" h1
        return 1
    fi
    sleep 2   # the same idle time as the zcalld run
    record rss_kb avahi-publish "$(vmrss_kb "$pid")"
    t_stop=$(now_us)
    host_stop "$pid" h1
    wait_for 5 gone "$name" || echo "# run $1: avahi-publish $name still at B 5 s after SIGTERM" >&2
    record visible_ms avahi-publish $(( ($(first_ts '=' "$name") - t_start) / 1000 ))
    gone "$name" && record gone_ms avahi-publish $(( ($(last_ts - "$name") - t_stop) / 1000 ))
}

run_agent() {   # RUN
    local name="agent-$1-$$" t_start t_stop pid
    write_agent_config h1 benchagent "$name"
    t_start=$(now_us)
    start_agent h1
    pid=${AGENT_PID[h1]}
    if ! wait_for 5 resolved "$name"; then
        echo "# run $1: zcalld $name not visible at B in 5 s; log:" >&2
        tail -n 20 "${HOST_DIR[h1]}/zcalld.log" >&2
        stop_agent h1
        return 1
    fi
    # "Idle with one peer": A's agent must know B's before the clock starts.
    wait_for 5 peer_known ||
        echo "# run $1: A's zcalld does not list B's agent" >&2
    sleep 2
    record rss_kb zcalld "$(vmrss_kb "$pid")"
    t_stop=$(now_us)
    stop_agent h1 || echo "# run $1: zcalld exit status ${AGENT_RC[h1]} after SIGTERM" >&2
    wait_for 5 gone "$name" || echo "# run $1: zcalld $name still at B 5 s after SIGTERM" >&2
    record visible_ms zcalld $(( ($(first_ts '=' "$name") - t_start) / 1000 ))
    gone "$name" && record gone_ms zcalld $(( ($(last_ts - "$name") - t_stop) / 1000 ))
}

echo "discovery-bench: $RUNS runs each of avahi-publish and zcalld ($ZCALLD)" >&2
for ((i = 1; i <= RUNS; i++)); do
    run_publish "$i"
    sleep 0.5
    run_agent "$i"
    sleep 0.5
    printf '.' >&2
done
echo >&2

# ---------------------------------------------------------------- report
BENCH_DIR="$here" python3 - "$RESULTS" <<'EOF'
import os, sys
sys.path.insert(0, os.environ["BENCH_DIR"])
import mdtable
import statistics, sys
vals = {}
for line in open(sys.argv[1]):
    m, impl, v = line.split()
    if v.lstrip("-").isdigit():
        vals.setdefault((m, impl), []).append(int(v))

def mmm(m, impl, scale=1.0, fmt="%d"):
    v = vals.get((m, impl), [])
    if not v:
        return "n/a", None
    s = [x * scale for x in v]
    return ("%s / %s / %s (n=%d)" % (fmt % min(s), fmt % statistics.median(s), fmt % max(s), len(s)),
            s)

rows = []
z, zs = mmm("visible_ms", "zcalld")
p, ps = mmm("visible_ms", "avahi-publish")
if zs and ps:
    lim = statistics.median(ps) + 50
    rows.append(("start -> visible (ms)", z, p, "median <= %d (avahi-publish median + 50)" % lim,
                 "met" if statistics.median(zs) <= lim else "NOT MET"))
else:
    rows.append(("start -> visible (ms)", z, p, "avahi-publish median + 50", "NOT MEASURED"))
z, zs = mmm("gone_ms", "zcalld")
p, ps = mmm("gone_ms", "avahi-publish")
rows.append(("stop -> gone (ms)", z, p, "median <= 1100",
             ("met" if statistics.median(zs) <= 1100 else "NOT MET") if zs else "NOT MEASURED"))
z, zs = mmm("rss_kb", "zcalld", 1 / 1024, "%.1f")
p, ps = mmm("rss_kb", "avahi-publish", 1 / 1024, "%.1f")
rows.append(("idle RSS (MB)", z, p, "max <= 10.0",
             ("met" if max(zs) <= 10.0 else "NOT MET") if zs else "NOT MEASURED"))

print("discovery benchmark, %d runs each, interleaved; times from the same avahi-browse at B" %
      len(vals.get(("visible_ms", "avahi-publish"), [])))
print("(times are judged on the median, memory on the maximum)")
hdr = ("metric", "zcalld min / median / max", "avahi-publish min / median / max", "target", "result")
sys.exit(mdtable.print_table(hdr, rows))
EOF
