#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
#
# voice-bench.sh - voice quality and cost of zcalld beside baresip, measured
# on the same harness in the same run.  Run by `make bench` (as root; network
# namespaces from tests/net/lib.sh, PulseAudio from tests/net/pulse-lib.sh).
# Prints one table.
#
# Hosts on one LAN bridge:
#   h1 198.18.0.1  zcalld "alice", the caller (A)
#   h2 198.18.0.2  zcalld "bob", the callee (B): [calls] auto-answer=true auto-answer-from=*
#   h3 198.18.0.3  baresip "a", the caller (A)
#   h4 198.18.0.4  baresip "b", the callee (B): answermode=auto
#   h5 198.18.0.5  linphonec 5.1 "lin" (Debian's linphone-cli), a third
#                  callee (B) in part 2: -a (auto-answer), its echo canceller
#                  on ([sound] echocancellation=1), B's devices mic_b and
#                  spk_b through its PulseAudio cards, other settings its
#                  defaults (lp_start).  Not on h2 beside bob: alice knows
#                  h2's address as a discovered zcall peer's, so she would
#                  call it over TLS (reaching bob) or require encryption.
#
# Sound cards (lab notes, "Measuring mouth-to-ear latency and CPU against
# baresip"): one PulseAudio (in h1's namespace, its socket reached from all
# hosts) with one null sink "lab" of four channels aux0..aux3, and
# module-remap-sink/-source devices on single channels of it:
#   aux0  sink "mouth" (the test signal)  = source "mic_a" (A's microphone)
#   aux1  sink "spk_b" (B's speaker)
#   aux2  sink "bmic"  (into B's mic)     = source "mic_b" (B's microphone)
#   aux3  sink "spk_a" (A's speaker)
# so one parecord of lab.monitor holds mouth, B's ear, B's microphone and A's
# speaker sample-aligned.  A hosts get ALSA PCMs mic=mic_a, spk=spk_a, B hosts
# mic=mic_b, spk=spk_b (pulse_asoundrc in each HOME; the ALSA pulse plugin).
# zcalld runs with [audio] capture-device=mic playback-device=spk
# echo-cancel=true (other keys at their defaults: denoise on); baresip 1.0
# (Debian) with its alsa module on the same PCMs (its pulse module is in
# baresip-x11; BARESIP_AUDIO=pulse uses it on the same devices instead),
# direct-IP accounts, modules opus g711 alsa cons menu, commands over its cons
# TCP port inside its namespace.  Nothing else is changed from its defaults.
#
# Method, every call A -> B and auto-answered, zcalld and baresip calls
# alternating:
#   0. Harness: module-loopback mouth -> spk_b latency_msec=20 instead of
#      the agents: the same burst measurement must read ~20 ms.
#   1. Voice: BENCH_VOICE_CALLS (5) calls per agent with Opus, then as many
#      with PCMU ([media] codecs=pcmu / account audio_codecs=pcmu).  From
#      SETTLE_S (1) s after the call is established, for WINDOW_S (10) s:
#      bursts (50 ms of 1 kHz at -6 dBFS, one a second) into "mouth",
#      recorded with B's speaker -> mouth-to-ear latency per burst; the
#      caller's utime+stime (/proc/PID/stat) over the window, scaled to 10 s;
#      the caller's VmRSS at the end of the window (and idle, before the
#      first call after each start).  One tcpdump on the bridge over all
#      calls -> INVITE -> first RTP packet (either direction).
#   2. Echo: BENCH_ERLE_CALLS (3) calls per agent with Opus, a continuous
#      1 kHz tone into "mouth", and an echo path at B: module-loopback
#      spk_b.monitor -> bmic, latency_msec=50, -6 dB.  Recorded from 3 s to
#      12 s of the call; at 7 s the loopback is replaced by one of
#      latency_msec=120.  ERLE = level of A's 1 kHz in B's microphone (the
#      echo) minus its level at A's speaker (what B sent back), 100 ms
#      blocks, median over the 2 s before the change; reconvergence = from
#      the change (as it shows at A's speaker, one B -> A delay later) to the
#      first 0.5 s with ERLE back at min(30 dB, steady - 3 dB) in every
#      block (bench/voicemeasure.py).  Here zcalld runs with denoise=false
#      at both ends and echo-cancel=false at A (a noise suppressor damps a
#      steady tone by itself, and A's own canceller would learn to remove
#      her tone from what she sends); baresip has no echo canceller: its
#      figure is what the same measurement reads, about 0 dB.
#      Then BENCH_SPEECH_CALLS (2) calls per agent with espeak-ng speech
#      into "mouth" instead of the tone, the 50 ms path replaced by one of
#      150 ms SPEECH_CHANGE_S (7) s into the recording: ERLE on speech as
#      tests/net/echo-speech.test measures it (tests/net/speecherle.py: B's
#      microphone against A's speaker, lined up by their envelopes, 100 ms
#      blocks of far-end speech from 2 s to the change; median and 5th
#      percentile per call), and the time from the change until the echo
#      is cancelled again (speecherle.py --change: the steady level less
#      3 dB, or 20 dB, held for HOLD_BLOCKS blocks; a steady tone's
#      residual is too low to show the change for WebRTC's canceller).  Each speech call ends with
#      B's own voice, 1.5 s of 1 kHz into bmic with A silent, read at A's
#      speaker: a dead B -> A path would read as a perfect canceller.  The
#      echo's level in B's microphone is printed too: every callee gets the
#      same echo to remove.  Then, per speech call, double talk on the 50 ms
#      path (as echo-speech.test measures it): two calls with B's own
#      espeak-ng voice into bmic, the second with A's speech into "mouth"
#      at the same time; the mean level at A's speaker from 2 s for 8 s,
#      alone less while both speak, is what B's canceller took off near-end
#      speech (the residue of A's echo counts in: with no canceller the
#      figure goes negative).  Part 2's calls go to zcalld, baresip and
#      linphonec in turn, each called by the same zcalld caller A except
#      baresip's (baresip A); linphonec's figures are a column of their own.
#
#   ZCALLD / ZCALL        binaries (default: $top_builddir/src/...)
#   BENCH_VOICE_CALLS     calls per agent and codec in part 1 (default 5;
#                         0: no part 1, the harness rows and part 2 only)
#   BENCH_ERLE_CALLS      calls per agent in part 2 (default 3)
#   BENCH_SPEECH_CALLS    calls per agent with speech in part 2 (default 2)
#   BARESIP_AUDIO         alsa (default) or pulse: baresip's audio module
#   BENCH_ZCALLD_MEDIA    extra [media] lines for both zcalld agents, as
#                         space-separated words (e.g. "jitter-buffer=20")
#   BENCH_PERF=1          perf record the caller over each agent's first
#                         call per codec (perf-KIND-CODEC.data; with NET_KEEP)
#   NET_KEEP=1            keep the working directory (recordings, capture, logs)

if [ -z "${BASH_VERSION:-}" ]; then exec bash "$0" "$@"; fi
set -o pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../tests/net/lib.sh
. "$here/../tests/net/lib.sh"
# shellcheck source=../tests/net/call-lib.sh
. "$here/../tests/net/call-lib.sh"
# shellcheck source=../tests/net/pulse-lib.sh
. "$here/../tests/net/pulse-lib.sh"

VOICE_CALLS=${BENCH_VOICE_CALLS:-5}
ERLE_CALLS=${BENCH_ERLE_CALLS:-3}
SPEECH_CALLS=${BENCH_SPEECH_CALLS:-2}
SPEECH_REC_S=12
SPEECH_CHANGE_S=7
DT_REC_S=11                 # double talk: recorded from the voices' start
ECHO_MS_SPEECH_AFTER=150
BARESIP_AUDIO=${BARESIP_AUDIO:-alsa}
SETTLE_S=1
WINDOW_S=10
ERLE_REC_FROM_S=${ERLE_REC_FROM_S:-3}
ERLE_CHANGE_S=${ERLE_CHANGE_S:-7}
ERLE_REC_TO_S=${ERLE_REC_TO_S:-12}
ECHO_MS=50
ECHO_MS_AFTER=120
TONE_HZ=1000

say() { echo "voice-bench: $*" >&2; }
net_find_binaries "$here/.."
net_init   # exit 77 with "1..0 # SKIP" unless root with `ip netns`
if ! net_is_prog "$ZCALLD" || ! net_is_prog "$ZCALL"; then
    say "zcalld/zcall not built ($ZCALLD, $ZCALL)"
    exit 1
fi
for p in pulseaudio pactl parec parecord paplay sox tcpdump baresip linphonec; do
    command -v "$p" >/dev/null 2>&1 ||
        { say "$p not installed (tools/install-deps --bench)"; exit 1; }
done
BARESIP_MODS=/usr/lib/baresip/modules
if [ ! -e "$BARESIP_MODS/$BARESIP_AUDIO.so" ]; then
    say "baresip has no $BARESIP_AUDIO module ($BARESIP_MODS/$BARESIP_AUDIO.so)"
    exit 1
fi
net_setup 5 || { say "could not build the namespace lab"; exit 1; }
W=$NET_WORKDIR
A=${HOST_ADDR[h1]} B=${HOST_ADDR[h2]} BA=${HOST_ADDR[h3]} BB=${HOST_ADDR[h4]} LB=${HOST_ADDR[h5]}
RESULTS=$W/results   # "METRIC VALUE"
: >"$RESULTS"
record() { echo "$1 $2" >>"$RESULTS"; }
TCK=$(getconf CLK_TCK)
# mem_record PID WHEN KIND: Rss, Pss and Private_Dirty (kB) from
# /proc/PID/smaps_rollup as rss_WHEN_KIND, pss_... and pd_... results.
mem_record() {
    local k v
    while read -r k v; do
        record "${k}_$2_$3" "$v"
    done < <(awk '$1 == "Rss:" { print "rss", $2 } $1 == "Pss:" { print "pss", $2 }
                  $1 == "Private_Dirty:" { print "pd", $2 }' "/proc/$1/smaps_rollup" 2>/dev/null)
}
# mem_by_mapping PID: "NAME RSS PRIVATE_DIRTY" (kB) per library file and per
# kind of anonymous memory: [heap] (the main arena), thread stacks (a
# read-write mapping right after a 4 kB guard), malloc arenas (a read-write
# mapping right before the PROT_NONE rest of its 64 MB heap), other anon.
mem_by_mapping() {
    python3 - "/proc/$1/smaps" <<'PY' 2>/dev/null
import collections, re, sys
maps = []   # [lo, hi, perms, name, rss, pd]
for line in open(sys.argv[1]):
    m = re.match(r"([0-9a-f]+)-([0-9a-f]+) (\S+) \S+ \S+ \S+\s*(.*)", line)
    if m:
        maps.append([int(m[1], 16), int(m[2], 16), m[3], m[4].strip(), 0, 0])
    elif line.startswith("Rss:"):
        maps[-1][4] = int(line.split()[1])
    elif line.startswith("Private_Dirty:"):
        maps[-1][5] = int(line.split()[1])
tot = collections.defaultdict(lambda: [0, 0])
for i, (lo, hi, perms, name, rss, pd) in enumerate(maps):
    if name:
        name = name.rsplit("/", 1)[-1]
    elif perms.startswith("---"):
        continue
    else:
        before = maps[i - 1] if i else None
        after = maps[i + 1] if i + 1 < len(maps) else None
        if before and before[1] == lo and before[2].startswith("---") and not before[3] \
                and before[1] - before[0] == 4096:
            name = "[thread stacks]"
        elif after and after[0] == hi and after[2].startswith("---") and not after[3]:
            name = "[malloc arenas]"
        else:
            name = "[anon]"
    tot[name][0] += rss
    tot[name][1] += pd
for name, (rss, pd) in tot.items():
    if rss:
        print(name.replace(" ", "_"), rss, pd)
PY
}
# thread_ticks PID: "NAME TICKS SWITCHES" per thread (utime+stime, and
# voluntary context switches: how often it went to sleep, i.e. its
# wakeups), for where the CPU goes.
thread_ticks() {
    local t
    for t in /proc/"$1"/task/*; do
        printf '%s %s %s\n' "$(tr ' ' _ <"$t/comm")" "$(awk '{ print $14 + $15 }' "$t/stat")" \
            "$(awk '$1 == "voluntary_ctxt_switches:" { print $2 }' "$t/status")"
    done 2>/dev/null
}
# thread_split BEFORE AFTER MS: CPU seconds per 10 s by thread name, and
# its wakeups per second.
thread_split() {
    awk -v t="$TCK" -v ms="$3" 'NR == FNR { b[$1] += $2; bw[$1] += $3; next } { a[$1] += $2; aw[$1] += $3 }
        END { for (n in a) if (a[n] - b[n] > 0) printf "%s %.3f (%.0f wakeups/s)  ", n, (a[n] - b[n]) / t * 10000 / ms,
                                                       (aw[n] - bw[n]) * 1000 / ms }' "$1" "$2"
}
# sleep_to MS: sleep until the absolute time MS (now_ms).
sleep_to() {
    local left=$(( $1 - $(now_ms) ))
    [ "$left" -gt 0 ] && sleep "$(awk -v m="$left" 'BEGIN { printf "%.3f", m / 1000 }')"
    return 0
}

# ---------------------------------------------------------------- sound
unset PULSE_SINK PULSE_SOURCE ALSA_CONFIG_PATH
pulse_client_conf "$W/pulse-client.conf"
export PULSE_CLIENTCONFIG=$W/pulse-client.conf   # for our own clients
PS=unix:$W/pa/pulse/native
if ! PULSE_HOST=h1 start_pulse "$W/pa" "$W/pulse.log"; then
    say "PulseAudio does not start"
    tail -n 20 "$W/pulse.log.out" "$W/pulse.log" >&2
    exit 1
fi
pa() { PULSE_SERVER=$PS timeout 5 pactl "$@"; }
LAB_MAP=aux0,aux1,aux2,aux3
ok_pa=1
pa load-module module-null-sink sink_name=lab rate=48000 channels=4 channel_map=$LAB_MAP >/dev/null || ok_pa=
for m in mouth:aux0 spk_b:aux1 bmic:aux2 spk_a:aux3; do
    pa load-module module-remap-sink sink_name="${m%:*}" master=lab channels=1 channel_map=mono \
        master_channel_map="${m#*:}" remix=no sink_properties=device.description="${m%:*}" >/dev/null || ok_pa=
done
for m in mic_a:aux0 mic_b:aux2; do
    pa load-module module-remap-source source_name="${m%:*}" master=lab.monitor channels=1 channel_map=mono \
        master_channel_map="${m#*:}" remix=no source_properties=device.description="${m%:*}" >/dev/null || ok_pa=
done
# The echo path's attenuation (-6 dB) is the volume of the sink it feeds.
pa set-sink-volume bmic 0.5 || ok_pa=
[ -n "$ok_pa" ] || { say "the PulseAudio lab devices did not load"; tail -n 20 "$W/pulse.log" >&2; exit 1; }
PULSE_HOST=h1 keep_alive "$PS" lab.monitor
for h in h1 h2 h3 h4 h5; do
    host_setenv "$h" PULSE_SERVER="$PS" PULSE_CLIENTCONFIG="$W/pulse-client.conf"
done
pulse_asoundrc "${HOST_DIR[h1]}/home/.asoundrc" mic_a spk_a
pulse_asoundrc "${HOST_DIR[h3]}/home/.asoundrc" mic_a spk_a
pulse_asoundrc "${HOST_DIR[h2]}/home/.asoundrc" mic_b spk_b
pulse_asoundrc "${HOST_DIR[h4]}/home/.asoundrc" mic_b spk_b
# 50 ms bursts of 1 kHz at peak 0.5, one a second from 0.5 s on, the last
# 1.5 s before the end of the window (so that it arrives inside it).
sox -n -r 48000 -c 1 -b 16 "$W/bursts.wav" synth 0.05 sine $TONE_HZ vol 0.5 pad 0.5 0.45 \
    repeat $((WINDOW_S - 2)) || { say "sox could not make the bursts"; exit 1; }

# lab_record WAV: record all four channels (LAB_REC = the PID); lab_record_stop.
lab_record() {
    host_bg h1 "$1.log" env PULSE_SERVER="$PS" parecord --latency-msec=10 --device=lab.monitor \
        --rate=48000 --channels=4 --channel-map=$LAB_MAP --format=s16le --file-format=wav "$1"
    LAB_REC=$LAST_PID
}
lab_record_stop() { pulse_record_stop "$LAB_REC"; }
# bursts_play: the bursts into "mouth" (BURSTS_PID).
bursts_play() {
    host_bg h1 "$W/paplay.log" env PULSE_SERVER="$PS" paplay --device=mouth "$W/bursts.wav"
    BURSTS_PID=$LAST_PID
}
sleep 2.2   # the null sink leaves its idle latency (keep_alive)

# ---------------------------------------------------------------- 0. harness
say "0/2 harness: module-loopback latency_msec=20 in place of the agents"
mkdir -p "$W/voice"
# From mouth's own monitor: a loopback from a source of lab (mic_a) back into
# lab keeps PulseAudio 16 busy in a loop of rewinds (the sink then runs slower
# than real time); one from a remap sink's monitor does not.
lb=$(pa load-module module-loopback source=mouth.monitor sink=spk_b latency_msec=20 \
    source_dont_move=true sink_dont_move=true)
sleep 2   # module-loopback settles its rate to the asked-for latency
lab_record "$W/voice/harness.wav"
sleep 0.3
bursts_play
sleep 5.5
lab_record_stop
host_stop "$BURSTS_PID" h1
[ -n "$lb" ] && pa unload-module "$lb"
echo "harness - - $W/voice/harness.wav" >>"$W/wavs"

# The floor any agent on these devices starts from: bench/alsa-floor.c
# copying A's microphone PCM straight into B's speaker PCM through the same
# ALSA pulse plugin, with zcalld's engine settings (10 ms periods, three
# per buffer).  No codec, no network, no jitter buffer.
say "0/2 device floor: alsa-floor mic_a -> spk_b through the ALSA pulse plugin"
mkdir -p "$W/floor"
pulse_asoundrc "$W/floor/.asoundrc" mic_a spk_b
# shellcheck disable=SC2046  # pkg-config's words
if ! ${CC:-cc} -std=gnu11 -O2 -Wall -o "$W/alsa-floor" "$here/alsa-floor.c" $(pkg-config --cflags --libs alsa) \
    2>"$W/floor/cc.log"; then
    say "cannot build alsa-floor:"; cat "$W/floor/cc.log" >&2
fi
host_bg h1 "$W/floor/alsa-floor.log" env HOME="$W/floor" "$W/alsa-floor" mic spk 30
FLOOR_PID=$LAST_PID
sleep 1.5
lab_record "$W/voice/floor.wav"
sleep 0.3
bursts_play
sleep 5.5
lab_record_stop
host_stop "$BURSTS_PID" h1
host_stop "$FLOOR_PID" h1
echo "floor - - $W/voice/floor.wav" >>"$W/wavs"

# ---------------------------------------------------------------- agents
# zcalld_pair CODECS A-AUDIO-KEYS B-AUDIO-KEYS: (re)start alice (h1) and bob
# (h2), extra [audio] lines given as space-separated words.
zcalld_pair() {
    local h
    for h in h1 h2; do
        [ -n "${AGENT_PID[$h]:-}" ] && { stop_agent "$h" || say "zcalld on $h: exit ${AGENT_RC[$h]} on SIGTERM"; }
    done
    # shellcheck disable=SC2086  # word lists on purpose
    write_agent_config h1 alice Alice "[calls]" "accept-from=any" \
        "[audio]" capture-device=mic playback-device=spk ring-device=spk $2 "[media]" "codecs=$1" ${BENCH_ZCALLD_MEDIA:-}
    # shellcheck disable=SC2086
    write_agent_config h2 bob Bob "[calls]" "auto-answer=true" "auto-answer-from=*" "accept-from=any" \
        "[audio]" capture-device=mic playback-device=spk ring-device=spk $3 "[media]" "codecs=$1" ${BENCH_ZCALLD_MEDIA:-}
    start_agent h1
    start_agent h2
    if ! wait_for 10 zc h1 status || ! wait_for 10 zc h2 status; then
        say "zcalld does not answer on D-Bus"
        tail -n 20 "${HOST_DIR[h1]}/zcalld.log" "${HOST_DIR[h2]}/zcalld.log" >&2
        return 1
    fi
}

# baresip_pair CODEC: (re)start a (h3) and b (h4) with only CODEC offered.
declare -A BS_PID
baresip_pair() {
    local h d user codec=$1
    [ "$codec" = opus ] && codec=opus/48000/2
    for h in h3 h4; do
        [ -n "${BS_PID[$h]:-}" ] && host_stop "${BS_PID[$h]}" "$h"
        d=${HOST_DIR[$h]}/baresip
        mkdir -p "$d"
        cat >"$d/config" <<EOF
poll_method epoll
sip_listen ${HOST_ADDR[$h]}:5060
audio_player $BARESIP_AUDIO,$([ "$BARESIP_AUDIO" = pulse ] && { [ $h = h3 ] && echo spk_a || echo spk_b; } || echo spk)
audio_source $BARESIP_AUDIO,$([ "$BARESIP_AUDIO" = pulse ] && { [ $h = h3 ] && echo mic_a || echo mic_b; } || echo mic)
audio_alert $BARESIP_AUDIO,$([ "$BARESIP_AUDIO" = pulse ] && { [ $h = h3 ] && echo spk_a || echo spk_b; } || echo spk)
module_path $BARESIP_MODS
module opus.so
module g711.so
module $BARESIP_AUDIO.so
module cons.so
module_tmp account.so
module_app menu.so
cons_listen 127.0.0.1:5555
EOF
        user=a
        [ "$h" = h4 ] && user=b
        echo "<sip:$user@${HOST_ADDR[$h]}>;regint=0;answermode=auto;audio_codecs=$codec" >"$d/accounts"
        : >"$d/contacts"
        host_bg "$h" "${HOST_DIR[$h]}/baresip.log" baresip -f "$d"
        BS_PID[$h]=$LAST_PID
    done
    if ! wait_for 10 grep -q 'baresip is ready' "${HOST_DIR[h3]}/baresip.log" ||
        ! wait_for 10 grep -q 'baresip is ready' "${HOST_DIR[h4]}/baresip.log"; then
        say "baresip did not start"
        tail -n 20 "${HOST_DIR[h3]}/baresip.log" "${HOST_DIR[h4]}/baresip.log" >&2
        return 1
    fi
}
# bcmd HOST COMMAND: a command line to baresip's cons port on HOST.
bcmd() {
    # Read its echo of the line before closing: closing with unread data
    # resets the connection, and baresip then drops the command.
    # shellcheck disable=SC2016  # expanded by the inner bash
    host_run "$1" timeout 2 bash -c 'exec 3<>/dev/tcp/127.0.0.1/5555 && printf "%s\n" "$1" >&3 &&
        timeout 0.3 cat <&3 >/dev/null; exit 0' _ "$2"
}
bcount() { grep -c "$2" "${HOST_DIR[$1]}/baresip.log"; }
bcount_ge() { [ "$(bcount "$1" "$2")" -ge "$3" ]; }

# linphonec 5.1 as a third callee on h5 (tests/net/linphone.test shows what
# it needs in a namespace: its data directory, $HOME/.linphone-usr-crt, and
# a default route, out of h5's own eth0 onto the lab bridge, or it offers
# c=127.0.0.1).  Commands through a
# FIFO held open read-write on its stdin; -a auto-answers.  Its settings are
# a user's defaults (Opus first, no media encryption, its jitter buffer,
# noise gate and echo limiter as shipped; SIP on 5070, as h5 is not a
# zcall agent's address that is no matter) but for the echo canceller, on:
# [sound] echocancellation=1, which Debian's mediastreamer2 5.1 runs as the
# filter its log names (lp_start prints it).  Sound: its PulseAudio cards
# for B's devices, mic_b and spk_b (the lab's remap devices carry their
# names as descriptions for this), so it reaches the lab as directly as a
# desktop user's linphone would.
LP_PORT=5070
LP_DIR=${HOST_DIR[h5]}/linphone
LP_PID=
lcmd() { printf '%s\n' "$1" >"$LP_DIR/cmd"; sleep 0.3; }
lp_count() { grep -c "$1" "$LP_DIR/linphonec.out"; }
lp_count_ge() { [ "$(lp_count "$1")" -ge "$2" ]; }
# lp_card NAME: the index of linphonec's PulseAudio card for the device
# NAME ("N: PulseAudio Unknown: NAME" in its "soundcard list" output; its
# stdout is a file: it answers after a moment, poll for it).
lp_card() {
    awk -v name="$1" '/^[0-9]+: / && /PulseAudio/ && $NF == name { sub(":.*", ""); print; exit }' "$LP_DIR/linphonec.out"
}
lp_cards_listed() { [ -n "$(lp_card mic_b)" ] && [ -n "$(lp_card spk_b)" ]; }
lp_start() {
    local home=${HOST_DIR[h5]}/home cin cout
    mkdir -p "$LP_DIR" "$home/.local/share/linphone" "$home/.linphone-usr-crt"
    chmod 700 "$home/.linphone-usr-crt"
    ip -n "${HOST_NS[h5]}" route add default dev eth0 2>/dev/null || true
    cat >"$LP_DIR/linphonerc" <<EOC
[sip]
sip_port=$LP_PORT
sip_tcp_port=-1
sip_tls_port=-1
contact="Lin" <sip:lin@$LB>
guess_hostname=0
[sound]
echocancellation=1
[video]
enabled=0
EOC
    rm -f "$LP_DIR/cmd"
    mkfifo "$LP_DIR/cmd"
    # stdbuf: its answers line by line, not when its stdio buffer fills.
    # shellcheck disable=SC2016  # expanded by the inner bash
    host_bg h5 "$LP_DIR/linphonec.out" bash -c 'exec 3<>"$1"; exec stdbuf -oL linphonec -c "$2" -a -d 6 -l "$3" <&3' _ \
        "$LP_DIR/cmd" "$LP_DIR/linphonerc" "$LP_DIR/linphonec.log"
    LP_PID=$LAST_PID
    if ! wait_for 10 eval "ip netns exec ${HOST_NS[h5]} ss -lunH 'sport = :$LP_PORT' | grep -q ."; then
        say "linphonec does not listen on $LP_PORT"
        tail -n 20 "$LP_DIR/linphonec.out" >&2
        return 1
    fi
    lcmd "soundcard list"
    wait_for 5 lp_cards_listed
    cin=$(lp_card mic_b) cout=$(lp_card spk_b)
    if [ -z "$cin" ] || [ -z "$cout" ]; then
        say "linphonec has no PulseAudio card for mic_b/spk_b:"
        grep -E '^[0-9]+: ' "$LP_DIR/linphonec.out" | sed 's/^/voice-bench:   /' >&2
        return 1
    fi
    lcmd "soundcard capture $cin"
    lcmd "soundcard playback $cout"
    lcmd "soundcard ring $cout"
    lcmd "soundcard show"   # its answer is in linphonec.out, read after the calls
}
lp_stop() {
    [ -n "$LP_PID" ] || return 0
    lcmd "quit"
    wait_for 3 fails _pid_alive "$LP_PID" || host_stop "$LP_PID" h5
    LP_PID=
}

# call_up KIND: A calls B; true once established at the caller (UP_MS).
call_up() {
    local n
    if [ "$1" = zcalld ] || [ "$1" = linphonec ]; then
        # linphonec: the same zcalld caller.
        if [ "$1" = zcalld ]; then call_start h1 "sip:bob@$B"; else call_start h1 "sip:lin@$LB:$LP_PORT"; fi
        if [ "$CALL_RC" != 0 ] || [ -z "$CALL_ID" ] || ! wait_for 10 zq h1 has id="$CALL_ID" state=active; then
            say "$1 call did not become active (exit $CALL_RC): $CALL_OUT"
            show_calls h1 >&2
            [ "$1" = linphonec ] && tail -n 5 "$LP_DIR/linphonec.out" >&2
            return 1
        fi
    else
        n=$(bcount h3 'Call established')
        bcmd h3 "/dial sip:b@$BB"
        wait_for 10 bcount_ge h3 'Call established' $((n + 1)) ||
            { say "baresip call not established"; tail -n 5 "${HOST_DIR[h3]}/baresip.log" >&2; return 1; }
    fi
    UP_MS=$WAIT_OK_AT_MS
}
# call_down KIND: A hangs up; waits until both ends are done.
call_down() {
    local n3 n4
    if [ "$1" = zcalld ]; then
        zdo h1 hangup --all >/dev/null
        wait_for 5 ended_all h1 || say "alice still has a call"
        wait_for 5 ended_all h2 || { say "bob still has a call"; zdo h2 hangup --all >/dev/null; }
    elif [ "$1" = linphonec ]; then
        n4=$(lp_count 'ended')
        zdo h1 hangup --all >/dev/null
        wait_for 5 ended_all h1 || say "alice still has a call"
        wait_for 5 lp_count_ge 'ended' $((n4 + 1)) || { say "linphonec: call not ended"; lcmd "terminate all"; }
    else
        n3=$(bcount h3 'terminated') n4=$(bcount h4 'terminated')
        bcmd h3 /hangup
        wait_for 5 bcount_ge h3 'terminated' $((n3 + 1)) || say "baresip a: call not terminated"
        wait_for 5 bcount_ge h4 'terminated' $((n4 + 1)) || say "baresip b: call not terminated"
    fi
}
caller_pid() { if [ "$1" = zcalld ]; then echo "${AGENT_PID[h1]}"; else echo "${BS_PID[h3]}"; fi; }

# voice_call KIND CODEC I: part 1's measurements on one call.
voice_call() {
    local kind=$1 codec=$2 wav="$W/voice/$1-$2-$3.wav" pid c0 c1 t0 t1
    pid=$(caller_pid "$kind")
    call_up "$kind" || { record "fail_$kind" 1; call_down "$kind"; return 1; }
    sleep_to $((UP_MS + SETTLE_S * 1000))
    lab_record "$wav"
    sleep 0.2
    thread_ticks "$pid" >"$wav.threads0"
    if [ -n "${BENCH_PERF:-}" ] && [ "$3" = 1 ]; then
        perf record -q -F 999 -g -p "$pid" -o "$W/perf-$kind-$codec.data" -- sleep $((WINDOW_S - 1)) \
            >/dev/null 2>&1 &
    fi
    c0=$(cpu_ticks "$pid") t0=$(now_ms)
    bursts_play
    sleep_to $((t0 + WINDOW_S * 1000))
    c1=$(cpu_ticks "$pid") t1=$(now_ms)
    thread_ticks "$pid" >"$wav.threads1"
    say "$kind $codec call $3: caller CPU s per 10 s by thread: $(thread_split "$wav.threads0" "$wav.threads1" $((t1 - t0)))"
    mem_record "$pid" call "$kind"
    # Where the memory goes, in the first Opus call.
    [ "$3" = 1 ] && [ "$codec" = opus ] && mem_by_mapping "$pid" >"$W/mem-call-$kind"
    if [ "$kind" = zcalld ]; then
        zc h1 calls --json >"$wav.a-calls.json" 2>&1
        zc h2 calls --json >"$wav.b-calls.json" 2>&1
    fi
    lab_record_stop
    host_stop "$BURSTS_PID" h1
    call_down "$kind"
    if [ -n "$c0" ] && [ -n "$c1" ]; then
        record "cpu_${kind}_$codec" "$(awk -v c=$((c1 - c0)) -v t="$TCK" -v ms=$((t1 - t0)) \
            'BEGIN { printf "%.3f", c / t * 10000 / ms }')"
    fi
    echo "$kind $codec $pid $wav" >>"$W/wavs"
}

# ---------------------------------------------------------------- 1. voice
# BENCH_VOICE_CALLS=0: part 2 only (no agents started for part 1).
[ "$VOICE_CALLS" -gt 0 ] && { capture_start "$W/voice" "udp and not port 5353" || { say "tcpdump did not start"; exit 1; }; }
for codec in opus pcmu; do
    [ "$VOICE_CALLS" -gt 0 ] || break
    zcalld_pair "$codec" "echo-cancel=true" "echo-cancel=true" || exit 1
    baresip_pair "$codec" || exit 1
    sleep 2
    mem_record "${AGENT_PID[h1]}" idle zcalld
    mem_record "${BS_PID[h3]}" idle baresip
    if [ "$codec" = opus ]; then
        mem_by_mapping "${AGENT_PID[h1]}" >"$W/mem-idle-zcalld"
        mem_by_mapping "${BS_PID[h3]}" >"$W/mem-idle-baresip"
    fi
    for ((i = 1; i <= VOICE_CALLS; i++)); do
        say "1/2 voice, $codec: call $i of $VOICE_CALLS, zcalld then baresip"
        voice_call zcalld "$codec" "$i"
        voice_call baresip "$codec" "$i"
    done
done
[ "$VOICE_CALLS" -gt 0 ] && capture_stop

# ---------------------------------------------------------------- 2. echo
KINDS="zcalld baresip"   # the callees of part 2 (lp_start adds linphonec)
# echo_path MS: (re)load the echo path spk_b.monitor -> bmic with MS of latency.
ECHO_MOD=
echo_path() {
    [ -n "$ECHO_MOD" ] && pa unload-module "$ECHO_MOD"
    ECHO_MOD=$(pa load-module module-loopback source=spk_b.monitor sink=bmic latency_msec="$1" \
        source_dont_move=true sink_dont_move=true) || say "echo path ($1 ms) did not load"
}
# erle_call KIND I: part 2's measurement on one call.
erle_call() {
    local kind=$1 wav="$W/echo/$1-$2.wav" tone t_rec t_chg
    echo_path $ECHO_MS
    tone=$(pa load-module module-sine sink=mouth frequency=$TONE_HZ)
    if call_up "$kind"; then
        sleep_to $((UP_MS + ERLE_REC_FROM_S * 1000))
        lab_record "$wav"
        t_rec=$(now_ms)
        sleep_to $((UP_MS + ERLE_CHANGE_S * 1000))
        t_chg=$(now_ms)
        echo_path $ECHO_MS_AFTER
        sleep_to $((UP_MS + ERLE_REC_TO_S * 1000))
        lab_record_stop
        [ "$kind" = zcalld ] && zc h2 calls --json >"$wav.b-calls.json" 2>&1
        # The recording starts ~0.1 s after parecord does: the analysis
        # looks for the change from 0.5 s before this guess.
        echo "$kind $2 $(awk -v a="$t_rec" -v b="$t_chg" 'BEGIN { printf "%.2f", (b - a) / 1000 }') $wav" >>"$W/echo-wavs"
    else
        record "fail_$kind" 1
    fi
    call_down "$kind"
    [ -n "$tone" ] && pa unload-module "$tone"
}
mkdir -p "$W/echo"
# BENCH_ERLE_CALLS=0 BENCH_SPEECH_CALLS=0: part 1 only (its rows, quicker).
if [ "$ERLE_CALLS" -gt 0 ] || [ "$SPEECH_CALLS" -gt 0 ]; then
    zcalld_pair opus "echo-cancel=false denoise=false" "echo-cancel=true denoise=false" || exit 1
    baresip_pair opus || exit 1
    KINDS="zcalld baresip"
    if lp_start; then
        KINDS="zcalld baresip linphonec"
    else
        say "linphonec does not start: no linphonec rows"
        record fail_linphonec_start 1
    fi
    sleep 1
fi
for ((i = 1; i <= ERLE_CALLS; i++)); do
    say "2/2 echo: call $i of $ERLE_CALLS, $KINDS"
    for k in $KINDS; do erle_call "$k" "$i"; done
done
# speech_erle_call KIND I: the same echo path (50 ms) with speech at A,
# changed to ECHO_MS_SPEECH_AFTER mid-call.
speech_erle_call() {
    local kind=$1 wav="$W/echo/speech-$1-$2.wav" sp t_chg t_end at
    echo_path $ECHO_MS
    if call_up "$kind"; then
        host_bg h1 "$W/paplay-speech.log" env PULSE_SERVER="$PS" paplay --device=mouth "$W/speech.wav"
        sp=$LAST_PID
        lab_record "$wav"
        sleep $SPEECH_CHANGE_S
        t_chg=$(date +%s.%N)
        echo_path $ECHO_MS_SPEECH_AFTER
        sleep $((SPEECH_REC_S - SPEECH_CHANGE_S))
        t_end=$(date +%s.%N)
        lab_record_stop
        # The change in the recording's time, counted back from its end
        # (parecord starts a little after it is launched).
        at=$(awk -v d="$(soxi -D "$wav" 2>/dev/null || echo 0)" -v c="$t_chg" -v e="$t_end" \
            'BEGIN { printf "%.3f", d - (e - c) }')
        host_stop "$sp" h1
        # B -> A alive: with the echo cancelled a dead return path reads as
        # a perfect canceller.  B's own voice, a 1 kHz tone into bmic with
        # A silent, must reach A's speaker (the analysis reads its level).
        lab_record "$wav.alive.wav"
        host_bg h1 "$W/paplay-alive.log" env PULSE_SERVER="$PS" paplay --device=bmic "$W/alive.wav"
        sp=$LAST_PID
        sleep 2.5
        lab_record_stop
        host_stop "$sp" h1
        [ "$kind" = zcalld ] && zc h2 calls --json >"$wav.b-calls.json" 2>&1
        echo "$kind $2 $wav $at" >>"$W/speech-wavs"
    else
        record "fail_$kind" 1
    fi
    call_down "$kind"
}
# double_talk_call KIND I MODE: the 50 ms echo path, B's voice into B's
# microphone, and with MODE=both A's speech into "mouth" at the same time.
double_talk_call() {
    local kind=$1 wav="$W/echo/dt-$1-$2-$3.wav" sb sa=
    echo_path $ECHO_MS
    if call_up "$kind"; then
        host_bg h1 "$W/paplay-dt-b.log" env PULSE_SERVER="$PS" paplay --device=bmic "$W/speech-b.wav"
        sb=$LAST_PID
        if [ "$3" = both ]; then
            host_bg h1 "$W/paplay-dt-a.log" env PULSE_SERVER="$PS" paplay --device=mouth "$W/speech.wav"
            sa=$LAST_PID
        fi
        lab_record "$wav"
        sleep $DT_REC_S
        lab_record_stop
        host_stop "$sb" h1
        [ -n "$sa" ] && host_stop "$sa" h1
        echo "$kind $2 $3 $wav" >>"$W/dt-wavs"
    else
        record "fail_$kind" 1
    fi
    call_down "$kind"
}
if [ "$SPEECH_CALLS" -gt 0 ] && speech_wav "$W/speech.wav" en-us "The quick brown fox jumps over the lazy dog. \
Please call me back when you get this message, I will be at home all evening. We measured the echo on speech \
rather than on tones, because tones are an easy case." && speech_wav "$W/speech-b.wav" en-gb+m3 "Seven ships \
sailed slowly out of the harbour in the early morning light. Nobody on the quay said a word until the last one \
had gone, and then everybody went home for breakfast."; then
    # 1.5 s of 1 kHz at -12 dBFS (after the echo path's -6 dB at bmic's
    # volume: -18 dBFS in B's microphone), B's voice for the alive check.
    sox -n -r 48000 -c 1 -b 16 "$W/alive.wav" synth 1.5 sine $TONE_HZ vol 0.25 pad 0.3 0 ||
        say "sox could not make the alive tone"
    for ((i = 1; i <= SPEECH_CALLS; i++)); do
        say "2/2 echo on speech: call $i of $SPEECH_CALLS, $KINDS"
        for k in $KINDS; do speech_erle_call "$k" "$i"; done
        say "2/2 double talk: call $i of $SPEECH_CALLS, $KINDS"
        for k in $KINDS; do
            double_talk_call "$k" "$i" alone
            double_talk_call "$k" "$i" both
        done
    done
elif [ "$SPEECH_CALLS" -gt 0 ]; then
    say "espeak-ng/sox could not make the speech: no speech ERLE rows"
fi
[ -n "$ECHO_MOD" ] && pa unload-module "$ECHO_MOD"
if [ -n "$LP_PID" ]; then
    # Which canceller linphonec ran, from its own log.
    LP_EC=$(grep -oE 'MS(SpeexEC|WebRTCAEC|WebRTCAECM)' "$LP_DIR/linphonec.log" 2>/dev/null | sort | uniq -c | sort -rn |
        awk 'NR == 1 { print $2 }')
    say "linphonec's echo canceller (its log): ${LP_EC:-none named}"
    lp_stop
    say "linphonec's devices: $(grep -E '^(Capture|Playback) device' "$LP_DIR/linphonec.out" | tr '\n' ' ')"
fi
for h in h1 h2; do
    stop_agent "$h" || say "zcalld on $h: exit status ${AGENT_RC[$h]} on SIGTERM"
done
for h in h1 h2; do
    grep -E 'CRITICAL|assertion .* failed' "${HOST_DIR[$h]}/zcalld.log" | head -n 5 | sed "s/^/voice-bench: $h zcalld.log: /" >&2
done

# ---------------------------------------------------------------- report
say "analysing the recordings"
BENCH_DIR="$here" BENCH_SPEECH_CALLS_N="$SPEECH_CALLS" BENCH_SPEECH_AFTER="$ECHO_MS_SPEECH_AFTER" BENCH_LP_EC="${LP_EC:-}" python3 - "$RESULTS" "$W" "$A" "$BA" "$TONE_HZ" "$ECHO_MS" "$ECHO_MS_AFTER" "$VOICE_CALLS" \
    "$ERLE_CALLS" "$BARESIP_AUDIO" <<'EOF'
import os, sys
sys.path.insert(0, os.environ["BENCH_DIR"])
import mdtable
import voicemeasure as vm
import statistics
res, W, A, BA, hz, e0, e1, ncalls, nerle, baudio = sys.argv[1:]
vals = {}
for line in open(res):
    k, v = line.split()
    vals.setdefault(k, []).append(v)
def nums(k, scale=1.0):
    out = []
    for v in vals.get(k, []):
        try:
            out.append(float(v) * scale)
        except ValueError:
            pass
    return out
def mmm(v, fmt="%.1f", extra=""):
    if not v:
        return "n/a"
    return "%s / %s / %s (n=%d%s)" % (fmt % min(v), fmt % statistics.median(v), fmt % max(v), len(v), extra)
def med(v):
    return statistics.median(v) if v else None
def verdict(v, ok):
    return "NOT MEASURED" if v is None else ("met" if ok(v) else "NOT MET")

# Latency per burst, A's mouth (aux0) -> B's speaker (aux1).
lat = {}
missing = {}
for line in open(os.path.join(W, "wavs")):
    kind, codec, _pid, wav = line.split()
    try:
        r = vm.latency(wav, 0, 1)
    except Exception as e:           # a recording that did not happen
        sys.stderr.write("voice-bench: %s: %s\n" % (wav, e))
        r = []
    lat.setdefault((kind, codec), []).extend(ms for _t, ms in r if ms is not None)
    missing[(kind, codec)] = missing.get((kind, codec), 0) + sum(1 for _t, ms in r if ms is None)
def lcell(kind, codec):
    v = lat.get((kind, codec), [])
    m = missing.get((kind, codec), 0)
    return mmm(v, extra=" bursts" + (", %d not heard" % m if m else ""))

rows = []
h = lat.get(("harness", "-"), [])
rows.append(("harness: module-loopback latency_msec=20 instead of the agents (ms)", mmm(h, "%.2f", " bursts"), "-",
             "19-21", verdict(med(h), lambda x: 19 <= x <= 21)))
f = lat.get(("floor", "-"), [])
rows.append(("device floor: mic PCM -> speaker PCM, 10 ms periods, harness included (ms)",
             mmm(f, "%.1f", " bursts"), "-", "-", "info"))
def both(z, b, limit, factor):
    """Met when z <= limit and z <= factor x b (both medians)."""
    if z is None or b is None:
        return "NOT MEASURED"
    return "met" if z <= limit and z <= factor * b else "NOT MET"
for codec, name in (("opus", "Opus"), ("pcmu", "PCMU")) if int(ncalls) else ():
    z, b = med(lat.get(("zcalld", codec), [])), med(lat.get(("baresip", codec), []))
    rows.append(("mouth-to-ear A -> B, %s (ms, harness included)" % name, lcell("zcalld", codec),
                 lcell("baresip", codec), "median <= 60 and <= 0.4 x baresip's", both(z, b, 60, 0.4)))

# INVITE -> first RTP from the capture.
rz, rb, dz, db = [], [], [], []
pcap = os.path.join(W, "voice", "lan.pcap")
for src, dst, any_ms, fwd, back in (vm.rtp(pcap) if os.path.exists(pcap) else []):
    if any_ms is None:
        continue
    first = "caller" if fwd is not None and (back is None or fwd <= back) else "callee"
    (rz if src == A else rb).append(any_ms)
    (dz if src == A else db).append(first)
def dcell(v, d):
    return mmm(v) + ("; first sent by the caller %d, callee %d" % (d.count("caller"), d.count("callee")) if d else "")
if int(ncalls) == 0:
    pass                             # BENCH_VOICE_CALLS=0: no part 1 rows
elif rz:
    rows.append(("INVITE -> first RTP, either direction, wire (ms)", dcell(rz, dz), dcell(rb, db),
                 "median <= 40", verdict(med(rz), lambda x: x <= 40)))
else:
    # zcalld's SIP runs over TLS: its INVITE is not on the wire in clear.
    rows.append(("INVITE -> first RTP, either direction, wire (ms)", "n/a: SIP over TLS", dcell(rb, db),
                 "median <= 40", "info"))

for codec, name, tgt in (("opus", "Opus", True), ("pcmu", "PCMU", False)) if int(ncalls) else ():
    z, b = nums("cpu_zcalld_" + codec), nums("cpu_baresip_" + codec)
    rows.append(("caller CPU per 10 s of call, %s (s; zcalld with its echo canceller, baresip without one)" % name,
                 mmm(z, "%.2f"), mmm(b, "%.2f"), "median <= 0.35 and <= baresip's" if tgt else "-",
                 both(med(z), med(b), 0.35, 1.0) if tgt else "info"))
# Memory from /proc/PID/smaps_rollup: private dirty (heap, stacks, the
# libraries' relocated data: what the process alone costs), RSS, and PSS
# (shared pages divided among the processes that map them).
MB = 1 / 1024
for when, what in (("call", "in a call"), ("idle", "idle, 2 s after each start")) if int(ncalls) else ():
    zp, bp = nums("pd_%s_zcalld" % when, MB), nums("pd_%s_baresip" % when, MB)
    zr, br = nums("rss_%s_zcalld" % when, MB), nums("rss_%s_baresip" % when, MB)
    zs, bs = nums("pss_%s_zcalld" % when, MB), nums("pss_%s_baresip" % when, MB)
    if when == "call":
        rows.append(("caller private dirty %s (MB)" % what, mmm(zp, "%.2f"), mmm(bp, "%.2f"),
                     "median <= baresip's", both(med(zp), med(bp), float("inf"), 1.0)))
        rows.append(("caller RSS %s (MB)" % what, mmm(zr), mmm(br), "-", "info"))
    else:
        rows.append(("caller RSS %s (MB)" % what, mmm(zr), mmm(br), "max <= 12",
                     verdict(max(zr) if zr else None, lambda x: x <= 12)))
        rows.append(("caller private dirty %s (MB)" % what, mmm(zp, "%.2f"), mmm(bp, "%.2f"), "-", "info"))
    rows.append(("caller PSS %s (MB)" % what, mmm(zs), mmm(bs), "-", "info"))

# ERLE at B: echo in B's microphone (aux2) vs what came back to A's speaker (aux3).
erle = {}
notes = []
ew = os.path.join(W, "echo-wavs")
for line in (open(ew) if os.path.exists(ew) else []):
    kind, i, chg, wav = line.split()
    try:
        r = vm.erle(wav, float(hz), 2, 3, float(chg), 2.0)
    except Exception as e:
        r = {"error": str(e)}
    erle.setdefault(kind, []).append(r)
    short = {k: v for k, v in r.items() if k != "erle_after"}
    notes.append("%s call %s: %s; ERLE after the change (100 ms blocks): %s" %
                 (kind, i, short, " ".join("%.0f" % x for x in r.get("erle_after", []))))
def steady(kind):
    return [r["steady_db"] for r in erle.get(kind, []) if "steady_db" in r]
def reconv(kind):
    rs = [r for r in erle.get(kind, []) if "change_s" in r]
    # .get: a call whose residual never shows the change (WebRTC's
    # canceller leaves nothing of a steady tone) has no reconvergence time.
    return [r["reconverge_s"] for r in rs if r.get("reconverge_s") is not None], \
        sum(1 for r in rs if r.get("reconverge_s") is None), rs
zs, bs = steady("zcalld"), steady("baresip")
low = [r["low_pct"] for r in erle.get("zcalld", []) if "low_pct" in r]
erle_rows = len(rows)
# linphonec 5.1 as the callee: its cells by row name (a column of its own).
lpc = {}
lp_ec = os.environ.get("BENCH_LP_EC") or "its canceller"
ls = steady("linphonec")
lpc["tone"] = mmm(ls) + " (%s)" % lp_ec
lr, lfail, lall = reconv("linphonec")
lall = [r for r in lall if "error" not in r]
lpc["reconv"] = mmm(lr, "%.2f") + ("; %d of %d not reconverged" % (lfail, len(lall)) if lfail else "")
rows.append(("ERLE at B, steady state, %s Hz (dB)" % hz,
             mmm(zs) + ("; 100 ms blocks under 30 dB: %s %% (median of calls)" % ("%.0f" % med(low)) if low else ""),
             mmm(bs) + " (no echo canceller)", "median >= 30", verdict(med(zs), lambda x: x >= 30)))
zr, zfail, zall = reconv("zcalld")
# A call whose residual stayed below the analysis' threshold through the
# change (voicemeasure.py's "error") has nothing to reconverge from.
unseen = [r for r in zall if "error" in r]
zall = [r for r in zall if "error" not in r]
zfail -= len(unseen)
cell = mmm(zr, "%.2f")
if unseen:
    cell += "; in %d of %d calls the change never showed in the residual (%s dBFS)" % (
        len(unseen), len(unseen) + len(zall), " ".join("%.0f" % r.get("residual_db", 0) for r in unseen))
if zfail:
    cell += "; %d of %d not reconverged within %.1f s" % (zfail, len(zall), min(r.get("watched_s", 0) for r in zall))
zv = None
if zall:
    zv = statistics.median([r["reconverge_s"] if r.get("reconverge_s") is not None else float("inf") for r in zall])
if unseen and not zall:
    # Cancelled below the analysis' floor before and after: a steady tone
    # shows no change to time, so the speech row below carries the target
    # (a row that can never be measured would fail every run of the bench).
    rows.append(("ERLE reconvergence after echo path %s -> %s ms (s)" % (e0, e1), cell,
                 "n/a: no echo canceller", "- (the speech row's)", "info"))
else:
    rows.append(("ERLE reconvergence after echo path %s -> %s ms (s)" % (e0, e1), cell,
                 "n/a: no echo canceller", "median <= 1", verdict(zv, lambda x: x <= 1)))

# ERLE on speech: B's microphone (aux2) against A's speaker (aux3), each
# taken out of the four-channel recording, through tests/net/speecherle.py.
import json, subprocess
sp = {}
sw = os.path.join(W, "speech-wavs")
e_after = os.environ["BENCH_SPEECH_AFTER"]
for line in (open(sw) if os.path.exists(sw) else []):
    kind, i, wav, at = line.split()
    try:
        for ch, name in ((3, "mic"), (4, "ret")):
            subprocess.run(["sox", wav, wav + "." + name + ".wav", "remix", str(ch)], check=True)
        # The new path's echo reaches B's microphone its latency (and 0.1 s
        # of the loopback's start) after the change.
        out = subprocess.run([sys.executable, os.path.join(os.environ["BENCH_DIR"], "..", "tests", "net", "speecherle.py"),
                              "--change=" + at, "--settle=%.2f" % (int(e_after) / 1000 + 0.1),
                              wav + ".mic.wav", wav + ".ret.wav", "2"], check=True, capture_output=True, text=True)
        r = json.loads(out.stdout)
    except Exception as e:
        r = {"error": str(e)}
    sp.setdefault(kind, []).append(r)
    notes.append("%s speech call %s: %s" % (kind, i, r))
def spv(kind, key):
    return [r[key] for r in sp.get(kind, []) if r.get(key) is not None]
zm, zp = spv("zcalld", "median_db"), spv("zcalld", "p5_db")
lpc["sp_median"] = mmm(spv("linphonec", "median_db")) + " (%s)" % lp_ec
lpc["sp_p5"] = mmm(spv("linphonec", "p5_db"))
def spreconv(kind):
    rs = [r for r in sp.get(kind, []) if "error" not in r]
    got = [r["reconverge_s"] for r in rs if r.get("reconverge_s") is not None]
    return got, len(rs) - len(got)
lsr, lsfail = spreconv("linphonec")
lpc["sp_reconv"] = mmm(lsr, "%.2f") + ("; %d not reconverged" % lsfail if lsfail else "")
rows.append(("ERLE at B on speech, %s ms path, median of 100 ms blocks (dB)" % e0, mmm(zm),
             mmm(spv("baresip", "median_db")) + " (no echo canceller)", "median >= 30",
             verdict(med(zm), lambda x: x >= 30)))
rows.append(("ERLE at B on speech, %s ms path, 95 %% of blocks at least (dB)" % e0, mmm(zp),
             mmm(spv("baresip", "p5_db")) + " (no echo canceller)", "median >= 20",
             verdict(med(zp), lambda x: x >= 20)))
zsr, zsfail = spreconv("zcalld")
rows.append(("echo-path change %s -> %s ms on speech: ERLE reconvergence (s)" % (e0, e_after),
             mmm(zsr, "%.2f") + ("; %d not reconverged" % zsfail if zsfail else ""), "n/a: no echo canceller",
             "median <= 1", verdict(statistics.median(zsr + [float("inf")] * zsfail) if zsr or zsfail else None,
                                    lambda x: x <= 1)))
# The calls behind those figures were live both ways: the echo of A's
# speech in B's microphone (what every canceller was given to remove: the
# same for all three), and B's own 1 kHz tone, played into B's microphone
# after the speech with A silent, at A's speaker (a dead B -> A path would
# read as a perfect canceller).
def alive_db(wav):
    try:
        rate, ch = vm.read_wav(wav + ".alive.wav")
        x, n = ch[3], int(rate * 0.1)
        lv = sorted(vm.goertzel_db(x, rate, float(hz), a, n) for a in range(0, len(x) - n, n))
        return lv[-5] if len(lv) >= 5 else None   # the tone lasts 1.5 s: 15 blocks
    except Exception as e:
        sys.stderr.write("voice-bench: %s.alive.wav: %s\n" % (wav, e))
        return None
alive = {}
for line in (open(sw) if os.path.exists(sw) else []):
    kind, i, wav = line.split()[:3]
    v = alive_db(wav)
    if v is not None:
        alive.setdefault(kind, []).append(v)
mic = {k: spv(k, "mean_mic_dbfs") for k in ("zcalld", "baresip", "linphonec")}
lpc["sp_mic"] = mmm(mic["linphonec"])
lpc["sp_alive"] = mmm(alive.get("linphonec", []))
allmic = mic["zcalld"] + mic["baresip"] + mic["linphonec"]
rows.append(("echo of A's speech in B's microphone, far-end blocks, mean (dBFS)", mmm(mic["zcalld"]),
             mmm(mic["baresip"]), ">= -40 in every call", verdict(min(allmic) if allmic else None, lambda x: x >= -40)))
allalive = alive.get("zcalld", []) + alive.get("baresip", []) + alive.get("linphonec", [])
rows.append(("B's 1 kHz tone (B's mic -18 dBFS, A silent) at A's speaker (dBFS)", mmm(alive.get("zcalld", [])),
             mmm(alive.get("baresip", [])), ">= -40 in every call",
             verdict(min(allalive) if allalive else None, lambda x: x >= -40)))

# Double talk: the mean level at A's speaker (aux3) from 2 s for 8 s, B's
# voice alone less B's voice while A speaks too, per call pair.
import math
dtl = {}
dw = os.path.join(W, "dt-wavs")
for line in (open(dw) if os.path.exists(dw) else []):
    kind, i, mode, wav = line.split()
    try:
        rate, ch = vm.read_wav(wav)
        x = ch[3][2 * rate:10 * rate]
        dtl.setdefault((kind, i), {})[mode] = 10 * math.log10(sum(v * v for v in x) / len(x) / 32768.0 ** 2)
    except Exception as e:
        sys.stderr.write("voice-bench: %s: %s\n" % (wav, e))
def dtv(kind):
    return [d["alone"] - d["both"] for (k, _), d in sorted(dtl.items()) if k == kind and len(d) == 2]
zdt = dtv("zcalld")
lpc["dt"] = mmm(dtv("linphonec"))
rows.append(("double talk, %s ms path: B's voice at A's speaker, alone less while A speaks too (dB)" % e0, mmm(zdt),
             mmm(dtv("baresip")) + " (no echo canceller)", "median <= 6", verdict(med(zdt), lambda x: x <= 6)))

# BENCH_ERLE_CALLS=0 BENCH_SPEECH_CALLS=0: part 2 did not run, no rows.
if int(nerle) == 0:
    del rows[erle_rows:erle_rows + 2]
if int(os.environ["BENCH_SPEECH_CALLS_N"]) == 0:
    del rows[-6:]
fails = {k: len(vals.get("fail_" + k, [])) for k in ("zcalld", "baresip", "linphonec")}
print("voice benchmark: %s calls per agent and codec, %s echo calls per agent; zcalld [audio] echo-cancel=true"
      " (defaults otherwise), baresip 1.0 (%s module; Debian's build has no echo canceller module: no speex_aec,"
      " no webrtc_aec); caller A -> callee B on a namespace LAN, one PulseAudio" % (ncalls, nerle, baudio))
# linphonec's column: the echo rows only (it is a callee of part 2 only);
# target and result stay zcalld's.
lpkey = {"ERLE at B, steady": "tone", "ERLE reconvergence": "reconv", "ERLE at B on speech, %s ms path, median" % e0: "sp_median",
         "ERLE at B on speech, %s ms path, 95" % e0: "sp_p5", "echo-path change": "sp_reconv", "echo of A's speech": "sp_mic", "B's 1 kHz tone": "sp_alive", "double talk": "dt"}
def lpcell(name):
    if vals.get("fail_linphonec_start"):
        return "-"
    for pre, k in lpkey.items():
        if name.startswith(pre):
            return lpc.get(k, "-")
    return "-"
rows = [(r[0], r[1], r[2], lpcell(r[0]), r[3], r[4]) for r in rows]
hdr = ("metric", "zcalld (min / median / max)", "baresip (min / median / max)",
       "linphonec 5.1 callee (min / median / max)", "target", "result")
rc = mdtable.print_table(hdr, rows)

# Where the memory goes: RSS and private dirty by mapping, the caller idle
# and in its first Opus call, the largest fifteen by RSS in a call.
def mem(name):
    out = {}
    try:
        for line in open(os.path.join(W, name)):
            n, r, d = line.rsplit(None, 2)
            out[n] = (int(r), int(d))
    except OSError:
        pass
    return out
cols = [("zcalld", "idle"), ("zcalld", "call"), ("baresip", "idle"), ("baresip", "call")]
m = {c: mem("mem-%s-%s" % (c[1], c[0])) for c in cols}
if any(m.values()):
    names = set()
    for v in m.values():
        names |= set(v)
    key = lambda n: -max(m[("zcalld", "call")].get(n, (0, 0))[0], m[("baresip", "call")].get(n, (0, 0))[0])
    # The process's own memory always, then the largest libraries.
    own = [n for n in ("[heap]", "[anon]", "[malloc_arenas]", "[thread_stacks]", "[stack]") if n in names]
    top = own + [n for n in sorted(names, key=key) if n not in own][:15 - len(own)]
    def cell(c, n):
        r, d = m[c].get(n, (0, 0))
        return "%d / %d" % (r, d) if r else "-"
    mrows = [(n,) + tuple(cell(c, n) for c in cols) for n in top]
    rest = [n for n in names if n not in top]
    mrows.append(("%d other mappings" % len(rest),) + tuple(
        "%d / %d" % (sum(m[c].get(n, (0, 0))[0] for n in rest), sum(m[c].get(n, (0, 0))[1] for n in rest))
        for c in cols))
    mrows.append(("total",) + tuple("%d / %d" % (sum(r for r, _ in m[c].values()), sum(d for _, d in m[c].values()))
                                    for c in cols))
    print()
    print("where the caller's memory goes, RSS / private dirty (kB) by mapping (/proc/PID/smaps):")
    mdtable.print_table(("mapping", "zcalld idle", "zcalld in a call", "baresip idle", "baresip in a call"), mrows)
for k, n in fails.items():
    if n:
        print("%s: %d calls failed to connect" % (k, n))
for n in notes:
    sys.stderr.write("voice-bench: %s\n" % n)
sys.exit(rc)
EOF
