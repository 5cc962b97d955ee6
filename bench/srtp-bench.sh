#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
#
# srtp-bench.sh - what DTLS-SRTP costs a call on the LAN: answer -> first
# audio and the CPU of the agents, encrypted against plain, of zcalld beside
# baresip 1.0 with dtls_srtp in the same lab and the same run.  Run by `make
# bench` (as root; network namespaces from tests/net/lib.sh).  Prints one
# table.
#
#   h1 198.18.0.1  zcalld alice, the caller        ([media] codecs=pcmu, no sound card)
#   h2 198.18.0.2  zcalld bob, auto-answer, accept-from=any
#   h3 198.18.0.3  baresip "a" (caller), later the SIP relay for plain calls
#   h4 198.18.0.4  baresip "b" (auto-answer); both mediaenc=dtls_srtp, PCMU,
#                  a PulseAudio sound card each (tests/net/pulse-lib.sh)
#
# Rows, BENCH_SRTP_RUNS rounds each (default 5), interleaved:
#   zcalld encrypted  alice calls bob (DTLS-SRTP, RFC 8643 offer)
#   zcalld plain      alice calls bob through tests/net/siprelay.py on h3 in
#                     "strip" mode (no a=fingerprint either way: plain RTP;
#                     the relay adds well under a millisecond to the SIP path)
#   baresip dtls_srtp a calls b
# Method: tcpdump on the LAN bridge (one clock): the callee's 200 OK to
# the INVITE -> the first RTP/SRTP packet callee -> caller ("to caller") and
# caller -> callee ("to callee"), bench/firstaudio.py; medians.  CPU: one
# call of BENCH_SRTP_HOLD_S (default 10) seconds per row, utime + stime of
# both processes from /proc/PID/stat over the hold, in % of one core (for
# zcalld the whole daemon: codec, RTP, SRTP, ICE).  The SRTP cost per call
# is the encrypted row minus the plain one.

if [ -z "${BASH_VERSION:-}" ]; then exec bash "$0" "$@"; fi
set -o pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../tests/net/lib.sh"
. "$here/../tests/net/call-lib.sh"
. "$here/../tests/net/pulse-lib.sh"

RUNS=${BENCH_SRTP_RUNS:-5}
HOLD_S=${BENCH_SRTP_HOLD_S:-10}
FIRST=(python3 "$here/firstaudio.py")

net_find_binaries "$here/.."
net_init
for tool in tcpdump baresip pulseaudio pactl; do
    command -v "$tool" >/dev/null 2>&1 || { echo "srtp-bench: $tool not installed (tools/install-deps --bench)" >&2; exit 1; }
done
say() { echo "srtp-bench: $*" >&2; }
net_setup 4 || { say "could not build the lab"; exit 1; }
W=$NET_WORKDIR
A=${HOST_ADDR[h1]} B=${HOST_ADDR[h2]} M=${HOST_ADDR[h3]} D=${HOST_ADDR[h4]}
RESULTS=$W/results
: >"$RESULTS"

unset PULSE_SINK PULSE_SOURCE ALSA_CONFIG_PATH
for h in h3 h4; do host_sound_card "$h" "$W" || { say "PulseAudio does not start"; exit 1; }; done
export PULSE_CLIENTCONFIG=$W/pulse-client.conf

NOAUDIO=("[audio]" "capture-device=none" "playback-device=none" "ring-device=none" "[media]" "codecs=pcmu")
write_agent_config h1 alice Alice "${NOAUDIO[@]}"
write_agent_config h2 bob Bob "[calls]" "auto-answer=true" "auto-answer-from=*" "accept-from=any" "${NOAUDIO[@]}"
start_agent h1
start_agent h2
wait_for 10 zc h1 status >/dev/null && wait_for 10 zc h2 status >/dev/null || { say "agents did not start"; exit 1; }

declare -A BS_PID
for h in h3 h4; do
    d=${HOST_DIR[$h]}/baresip
    mkdir -p "$d"
    cat >"$d/config" <<EOC
poll_method epoll
sip_listen ${HOST_ADDR[$h]}:5070
audio_player pulse,spk
audio_source pulse,mic.monitor
audio_alert pulse,spk
module_path /usr/lib/baresip/modules
module g711.so
module pulse.so
module srtp.so
module dtls_srtp.so
module cons.so
module_tmp account.so
module_app menu.so
cons_listen 127.0.0.1:5555
EOC
    echo "<sip:$h@${HOST_ADDR[$h]}:5070>;regint=0;answermode=auto;audio_codecs=PCMU/8000;mediaenc=dtls_srtp" >"$d/accounts"
    : >"$d/contacts"
    host_bg "$h" "${HOST_DIR[$h]}/baresip.log" baresip -f "$d"
    BS_PID[$h]=$LAST_PID
done
wait_for 10 grep -q 'baresip is ready' "${HOST_DIR[h3]}/baresip.log" &&
    wait_for 10 grep -q 'baresip is ready' "${HOST_DIR[h4]}/baresip.log" || { say "baresip did not start"; exit 1; }
host_bg h3 "$W/relay.log" python3 "$here/../tests/net/siprelay.py" "$M" "$B" strip "$W/relay.log"
sleep 0.5

bcmd() {
    # shellcheck disable=SC2016
    host_run "$1" timeout 2 bash -c 'exec 3<>/dev/tcp/127.0.0.1/5555 && printf "%s\n" "$1" >&3 &&
        timeout 0.3 cat <&3 >/dev/null; exit 0' _ "$2"
}
TCK=$(getconf CLK_TCK)

# one KIND RUN [HOLD]: one call of KIND (enc, plain, baresip), its capture
# in W/KIND-RUN; with HOLD, also "cpu KIND caller% callee%" in RESULTS.
one() {
    local kind=$1 run=$2 hold=${3:-} dir=$W/$1-$2 p1 p2 c1 c2 n
    mkdir -p "$dir"
    capture_start "$dir" "udp and not port 5353" || { say "tcpdump did not start"; return 1; }
    case $kind in
    enc|plain)
        p1=${AGENT_PID[h1]} p2=${AGENT_PID[h2]}
        if [ "$kind" = enc ]; then call_start h1 bob; else call_start h1 "sip:bob@$M"; fi
        wait_for 10 zq h1 has id="$CALL_ID" state=active || say "$kind call $run not active"
        caller=$A callee=$B
        ;;
    baresip)
        p1=${BS_PID[h3]} p2=${BS_PID[h4]}
        n=$(grep -c 'DTLS-SRTP complete' "${HOST_DIR[h3]}/baresip.log")
        bcmd h3 "/dial sip:h4@$D:5070"
        wait_for 10 eval '[ "$(grep -c "DTLS-SRTP complete" "${HOST_DIR[h3]}/baresip.log")" -gt '"$n"' ]' ||
            say "baresip call $run not secured"
        caller=$M callee=$D
        ;;
    esac
    sleep 1.5
    if [ -n "$hold" ]; then
        c1=$(cpu_ticks "$p1") c2=$(cpu_ticks "$p2")
        sleep "$hold"
        echo "cpu $kind $(awk -v a="$c1" -v b="$(cpu_ticks "$p1")" -v t="$TCK" -v h="$hold" 'BEGIN { printf "%.2f", (b - a) * 100 / t / h }') $(awk -v a="$c2" -v b="$(cpu_ticks "$p2")" -v t="$TCK" -v h="$hold" 'BEGIN { printf "%.2f", (b - a) * 100 / t / h }')" >>"$RESULTS"
    fi
    if [ "$kind" = baresip ]; then bcmd h3 "/hangup"; else zdo h1 hangup --all >/dev/null; fi
    sleep 0.5
    capture_stop
    echo "first $kind $("${FIRST[@]}" "$dir/lan.pcap" "$caller" "$callee")" >>"$RESULTS"
    [ "$kind" = baresip ] || wait_for 5 ended_all h1
    sleep 0.5
}

say "$RUNS rounds of encrypted, plain and baresip calls"
for ((r = 1; r <= RUNS; r++)); do
    for k in enc plain baresip; do one "$k" "$r"; done
done
say "CPU over ${HOLD_S} s calls"
for k in enc plain baresip; do one "$k" cpu "$HOLD_S"; done

python3 - "$RESULTS" "$RUNS" "$HOLD_S" <<'PY'
import statistics, sys
first, cpu = {}, {}
for line in open(sys.argv[1]):
    f = line.split()
    if f[0] == "first":
        first.setdefault(f[1], []).append(f[2:4])
    elif f[0] == "cpu":
        cpu[f[1]] = f[2:4]
def med(vals):
    v = [float(x) for x in vals if x != "-"]
    return ("%.1f" % statistics.median(v), len(v)) if v else ("-", 0)
names = {"enc": "zcalld, DTLS-SRTP", "plain": "zcalld, plain RTP", "baresip": "baresip 1.0, dtls_srtp"}
print("| LAN, PCMU (%s rounds) | answer -> first audio at caller, ms (median) | at callee, ms | CPU caller, %% of a core (%s s call) | CPU callee |" % (sys.argv[2], sys.argv[3]))
print("|---|---|---|---|---|")
for k in ("enc", "plain", "baresip"):
    rows = first.get(k, [])
    c, n = med([r[0] for r in rows])
    e, m = med([r[1] for r in rows])
    cp = cpu.get(k, ["-", "-"])
    print("| %s | %s (n=%d) | %s (n=%d) | %s | %s |" % (names[k], c, n, e, m, cp[0], cp[1]))
if "enc" in cpu and "plain" in cpu:
    print()
    print("SRTP per call (zcalld encrypted - plain): caller %+.2f %%, callee %+.2f %% of a core" %
          (float(cpu["enc"][0]) - float(cpu["plain"][0]), float(cpu["enc"][1]) - float(cpu["plain"][1])))
PY
for h in h1 h2; do stop_agent "$h" >/dev/null; done
