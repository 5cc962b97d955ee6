# SPDX-License-Identifier: GPL-3.0-or-later
#
# tests/net/call-lib.sh - helpers shared by the call tests (calls.test,
# sipp.test) and bench/calls-bench.sh, on top of lib.sh (source lib.sh first).
# Defines functions only; like lib.sh, functions that start processes set
# globals and must not be called inside $(...).
#
#   TAP:      ok, not_ok, diag, skip_t, dump_logs, tap_done
#   CLI:      zc HOST ARGS...            zcall on HOST, 5 s cap
#             zq HOST CHECK ARGS...      `zcall calls --json` on HOST | zq.py
#             zl HOST CHECK ARGS...      `zcall list --json` on HOST | zq.py
#   sipp:     sipp_bg HOST DIR ARGS...   sipp in HOST's namespace, cwd DIR
#             sipp_wait PID TIMEOUT_S    wait for it; SIPP_RC is its status
#             sipp_summary DIR           "successful failed" from its screen log
#   capture:  capture_start DIR [FILTER] tcpdump on the LAN switch (all hosts)
#             capture_stop               (then DIR/lan.pcap; parse with sippcap.py)

# shellcheck disable=SC2034  # globals set here are read by the sourcing scripts

_call_lib_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ZQ=(python3 "$_call_lib_dir/zq.py")
SIPPCAP=(python3 "$_call_lib_dir/sippcap.py")

# ------------------------------------------------------------------ TAP
T=0
NFAIL=0
ok() { T=$((T + 1)); echo "ok $T - $*"; }
not_ok() { T=$((T + 1)); NFAIL=$((NFAIL + 1)); echo "not ok $T - $*"; }
skip_t() { T=$((T + 1)); echo "ok $T # SKIP $*"; }
diag() { printf '%s\n' "$@" | sed 's/^/# /'; }
# check DESCRIPTION CMD...: ok/not_ok on CMD's status.
check() {
    local d=$1
    shift
    if "$@"; then ok "$d"; else not_ok "$d"; return 1; fi
}
# tap_done: trailing plan; exit status for the test driver.
tap_done() {
    echo "1..$T"
    [ "$NFAIL" -eq 0 ]
}

# dump_logs HOST...: tail of each host's zcalld log, for a failed check.
dump_logs() {
    local h
    for h in "$@"; do
        echo "# --- $h zcalld.log (tail)"
        tail -n "${DUMP_LINES:-30}" "${HOST_DIR[$h]}/zcalld.log" 2>/dev/null | sed 's/^/#   /'
    done
}

# logs_clean HOST...: ok/not_ok on GLib criticals, failed assertions and
# sanitizer reports in the hosts' zcalld logs.
logs_clean() {
    local h bad=
    for h in "$@"; do
        if grep -qE 'CRITICAL|assertion .* failed|ERROR: AddressSanitizer|runtime error:' \
            "${HOST_DIR[$h]}/zcalld.log" 2>/dev/null; then
            bad="$bad $h"
        fi
    done
    if [ -z "$bad" ]; then
        ok "zcalld logs of $*: no criticals or failed assertions"
    else
        not_ok "zcalld logs: criticals or failed assertions on:$bad"
        for h in $bad; do
            grep -nE 'CRITICAL|assertion .* failed|ERROR: AddressSanitizer|runtime error:' \
                "${HOST_DIR[$h]}/zcalld.log" | head -n 10 | sed "s/^/#   $h: /"
        done
    fi
}

# ------------------------------------------------------------------ CLI

# zc HOST ARGS...: the CLI on HOST (never hangs: 5 s cap, ZC_TIMEOUT overrides).
zc() {
    local h=$1
    shift
    host_run "$h" timeout "${ZC_TIMEOUT:-5}" "$ZCALL" "$@"
}

# zdo HOST ARGS...: a zcall command whose output does not matter, except on
# failure: then it becomes TAP comments (and the status is returned).
zdo() {
    local h=$1 out rc
    shift
    out=$(zc "$h" "$@" 2>&1)
    rc=$?
    [ "$rc" = 0 ] || diag "$h: zcall $* -> exit $rc: $out"
    return "$rc"
}

# zq HOST ZQ-ARGS...: `zcall calls --json` on HOST through zq.py.
zq() {
    local h=$1
    shift
    zc "$h" calls --json | "${ZQ[@]}" "$@"
}

# zl HOST ZQ-ARGS...: `zcall list --json` on HOST through zq.py.
zl() {
    local h=$1
    shift
    zc "$h" list --json | "${ZQ[@]}" "$@"
}

# peers_settled HOST_A USER_B HOST_B USER_A: both agents have published
# themselves, each sees the other reachable, and still does a second and
# a half later.  Just after two agents start together, each has seen the
# other appear, leave and appear again within that time (CI, 2026-12-07),
# and a call made in between found no peer.
_published() { [ "$(zc "$1" status --json | python3 "$_call_lib_dir/zjson.py" get discovery)" = running ]; }
peers_settled() {
    wait_for 10 _published "$1" && wait_for 10 _published "$3" &&
        wait_for 10 zl "$1" has user="$2" reachable=true && wait_for 5 zl "$3" has user="$4" reachable=true &&
        sleep 1.5 &&
        wait_for 5 zl "$1" has user="$2" reachable=true && wait_for 5 zl "$3" has user="$4" reachable=true
}

# show_calls HOST / show_list HOST: the JSON as TAP comments (after a failure).
show_calls() {
    echo "# $1: zcall calls --json:"
    zc "$1" calls --json 2>&1 | sed 's/^/#   /'
}
show_list() {
    echo "# $1: zcall list --json --all:"
    zc "$1" list --json --all 2>&1 | sed 's/^/#   /'
}

# wait_until DEADLINE_MS CMD...: like wait_for, but up to an absolute time.
wait_until() {
    local deadline=$1 left
    shift
    left=$(( deadline - $(now_ms) ))
    [ "$left" -lt 0 ] && left=0
    wait_for "$(awk -v m="$left" 'BEGIN { printf "%.3f", m / 1000 }')" "$@"
}

# call_start HOST TARGET: `zcall call TARGET` on HOST; CALL_ID is the id it
# printed (the last word of its first line on stdout), CALL_OUT all its output
# (stdout, then stderr), CALL_RC its status.
call_start() {
    local err
    err=$(mktemp "$NET_WORKDIR/err.XXXXXX")
    CALL_OUT=$(zc "$1" call "$2" 2>"$err")
    CALL_RC=$?
    CALL_ID=$(call_id_of "$CALL_OUT")
    CALL_OUT="$CALL_OUT${CALL_OUT:+$'\n'}$(cat "$err")"
    rm -f "$err"
}
# call_id_of TEXT: the call id in `zcall call` output (first line, last word).
call_id_of() {
    printf '%s\n' "$1" | awk 'NF { print $NF; exit }'
}

# call_wait_bg HOST LOG TARGET: `zcall call TARGET --wait` on HOST in the
# background (20 s cap); LAST_PID.  Collect with call_wait_collect.
call_wait_bg() {
    host_bg "$1" "$2" timeout 20 "$ZCALL" call "$3" --wait
}
# call_wait_collect PID TIMEOUT_S: wait up to TIMEOUT_S for it to exit;
# WAIT_RC = its exit status, or "running" (then it is killed).
call_wait_collect() {
    local pid=$1 t=$2
    if wait_for "$t" fails _pid_alive "$pid"; then
        wait "$pid"
        WAIT_RC=$?
    else
        WAIT_RC=running
        kill -TERM "$pid" 2>/dev/null
        wait "$pid" 2>/dev/null
    fi
}
fails() { ! "$@"; }

# incoming_id HOST [STATE]: id of HOST's newest incoming call (in STATE,
# default ringing); fails if none.
incoming_id() {
    zq "$1" id direction=incoming state="${2:-ringing}"
}

# ended_all HOST: no call on HOST is in any state but ended.
ended_all() {
    [ "$(zq "$1" count 'state!=ended')" = 0 ]
}

# ------------------------------------------------------------------ sipp

# sipp_bg HOST DIR ARGS...: sipp in HOST's namespace with working directory
# DIR (its -trace_* files land there), no keyboard, screen to DIR/stdout.
# LAST_PID is sipp's own PID (sh execs).
sipp_bg() {
    local h=$1 dir=$2
    shift 2
    mkdir -p "$dir"
    # shellcheck disable=SC2016  # expanded by the inner sh
    host_bg "$h" "$dir/stdout" sh -c 'cd "$1" && shift && exec "$@"' sh "$dir" \
        sipp -nostdin -trace_screen -trace_stat -trace_err "$@"
}

# sipp_wait PID TIMEOUT_S: SIPP_RC = sipp's exit status, or "timeout" (it is
# then stopped; SIGUSR1 first so it still writes its screen).
sipp_wait() {
    local pid=$1 t=$2
    if wait_for "$t" fails _pid_alive "$pid"; then
        wait "$pid"
        SIPP_RC=$?
    else
        SIPP_RC=timeout
        kill -TERM "$pid" 2>/dev/null
        wait_for 3 fails _pid_alive "$pid" || kill -KILL "$pid" 2>/dev/null
        wait "$pid" 2>/dev/null
    fi
}

# sipp_summary DIR: "SUCCESSFUL FAILED" calls from the last screen sipp wrote.
sipp_summary() {
    local f
    for f in "$1"/*_screen.log; do :; done   # one per sipp run: the last
    [ -e "$f" ] || { echo "? ?"; return 1; }
    awk '/Successful call/ { s = $NF } /Failed call/ { f = $NF }
         END { print (s == "" ? "?" : s), (f == "" ? "?" : f) }' "$f"
}

# sipp_show DIR: sipp's screen and errors as TAP comments.
sipp_show() {
    local f
    for f in "$1"/*_screen.log; do
        [ -e "$f" ] || continue
        echo "# --- $f"
        grep -v '^\s*$' "$f" | tail -n 40 | sed 's/^/#   /'
    done
    for f in "$1"/*_errors.log; do
        [ -s "$f" ] || continue
        echo "# --- $f (head)"
        head -n 30 "$f" | sed 's/^/#   /'
    done
}

# ------------------------------------------------------------------ capture

# capture_start DIR [FILTER]: tcpdump on the LAN bridge (in the switch
# namespace, so it sees every host's packets with one clock), writing
# DIR/lan.pcap; FILTER is a pcap filter (default: SIP on port 5060).  Needs
# tcpdump; returns 1 without it.
capture_start() {
    command -v tcpdump >/dev/null 2>&1 || return 1
    CAPTURE_FILE=$1/lan.pcap
    # --immediate-mode -U: every packet reaches the file at once (otherwise
    # the last partly filled ring block is lost when tcpdump is stopped).
    ip netns exec "$NET_SWITCH" tcpdump -i br0 -s 0 -B 8192 -n --immediate-mode -U -w "$CAPTURE_FILE" \
        "${2:-udp port 5060 or tcp port 5060}" </dev/null >>"$1/tcpdump.log" 2>&1 &
    CAPTURE_PID=$!
    net_track_pid "$CAPTURE_PID" "$NET_SWITCH" tcpdump
    # Wait until it is listening ("listening on br0").
    wait_for 5 grep -q 'listening on' "$1/tcpdump.log"
}
capture_stop() {
    [ -n "${CAPTURE_PID:-}" ] || return 0
    sleep 0.2   # the last packets of the run are on their way
    _kill_wait "$CAPTURE_PID" "$NET_SWITCH" 3000
    CAPTURE_PID=
}
