# SPDX-License-Identifier: GPL-3.0-or-later
#
# tests/net/pulse-lib.sh - private PulseAudio servers (or PipeWire ones:
# ZC_SOUND_SERVER below) with null sinks as sound cards for the audio tests
# (audio.test, voice.test); see the lab notes, "Audio without a sound card".
# Source it from bash; it defines functions only.
#
#   pulse_client_conf FILE          a client.conf without shm/memfd/autospawn
#   start_pulse RUNDIR LOG SINK...  a server on RUNDIR/pulse/native, a mono 48 kHz
#                                   null sink per SINK (PA_STARTED_PID, _PIDS)
#   keep_alive SERVER DEVICE...     a low-latency reader per sink monitor
#   pulse_asoundrc FILE MIC SPK     ALSA PCMs "mic" and "spk" on pulse devices
#   pulse_record SERVER DEVICE WAV  record DEVICE into WAV (REC_PID) ...
#   pulse_record_stop PID           ... until this
#   check_tone WAV WHAT HZ TOL_PCT MIN_RMS MAX_RMS [START LEN]
#                                   TAP checks: frequency and level (sox stat)
#   tone_level_db WAV HZ [START LEN]
#                                   level of the HZ component (Goertzel), dBFS
#   longest_silence_ms WAV DB [FROM_S]
#                                   the longest run of 5 ms blocks below DB dBFS
#   speech_wav OUT VOICE TEXT [TIMES]
#                                   espeak-ng speech as a test signal
#
# Where processes run: by default in the caller's namespace, their PIDs
# appended to the caller's array PIDS (the caller kills them).  With
# PULSE_HOST set to a host of lib.sh, they start through host_bg in that
# host's namespace and environment instead (tracked and torn down by lib.sh).
# Either way every program is exec()ed, so each PID is the program's own.
# Clients find the server through the SERVER argument (PULSE_SERVER syntax,
# unix:PATH); PULSE_CLIENTCONFIG comes from the environment.
#
# TAP: check_tone calls the caller's ok/not_ok DESCRIPTION and prints its
# diagnostics as "# " lines itself.
#
# The sound server: ZC_SOUND_SERVER=pulseaudio (the default) or pipewire
# (pipewire, wireplumber and pipewire-pulse, pipewire-lib.sh): the same
# calls, sockets, null sinks and monitors either way, so a test runs on
# either unchanged; SOUND_SERVER_NAME names it in messages.

# shellcheck disable=SC2034  # globals set here are read by the sourcing scripts

_pulse_lib_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=pipewire-lib.sh
. "$_pulse_lib_dir/pipewire-lib.sh"

ZC_SOUND_SERVER=${ZC_SOUND_SERVER:-pulseaudio}
case $ZC_SOUND_SERVER in
    pulseaudio) SOUND_SERVER_NAME=PulseAudio ;;
    pipewire) SOUND_SERVER_NAME="PipeWire (pipewire-pulse)" ;;
    *) echo "Bail out! ZC_SOUND_SERVER=$ZC_SOUND_SERVER: pulseaudio or pipewire"; exit 99 ;;
esac

# sound_server_tools: the programs the chosen server needs (a test skips
# when one is missing, as for its other tools).
sound_server_tools() {
    if [ "$ZC_SOUND_SERVER" = pipewire ]; then
        echo pipewire wireplumber pipewire-pulse pactl pacat dbus-daemon
    else
        echo pulseaudio pactl
    fi
}

# _pulse_bg LOG CMD [ARGS...]: CMD in the background, output appended to LOG;
# PULSE_LAST_PID is CMD's PID.
_pulse_bg() {
    local log=$1
    shift
    if [ -n "${PULSE_HOST:-}" ]; then
        host_bg "$PULSE_HOST" "$log" "$@"
        PULSE_LAST_PID=$LAST_PID
    else
        "$@" </dev/null >>"$log" 2>&1 &
        PULSE_LAST_PID=$!
        PIDS+=("$PULSE_LAST_PID")
    fi
}

# _pulse_diag TEXT...: TEXT as TAP comment lines.
_pulse_diag() {
    printf '%s\n' "$@" | sed 's/^/# /'
}

# pulse_client_conf FILE: client settings for every client of these servers
# (point PULSE_CLIENTCONFIG at FILE).  No shm: see start_pulse.  No autospawn:
# a client must never start a server of its own behind the test's back.
pulse_client_conf() {
    printf 'enable-shm = no\nenable-memfd = no\nautospawn = no\n' >"$1"
}

# start_pulse RUNDIR LOG SINK...: a PulseAudio on RUNDIR/pulse/native with a
# null sink per SINK, mono 48 kHz (sets PA_STARTED_PID, and PA_STARTED_PIDS to
# every daemon the server is made of; fails when it does not
# answer within 5 s).  With ZC_SOUND_SERVER=pipewire: start_pipewire.  Its own log goes to LOG, its stdout/stderr to LOG.out.
# Foreground (--daemonize=no) in the background, so the PID is the daemon's.
start_pulse() {
    local run=$1 log=$2 sink args=()
    if [ "$ZC_SOUND_SERVER" = pipewire ]; then
        start_pipewire "$@"
        return
    fi
    shift 2
    for sink in "$@"; do
        args+=(-L "module-null-sink sink_name=$sink rate=48000 channels=1")
    done
    mkdir -p "$run"
    chmod 700 "$run"
    # --disable-shm: with shared memory (memfd) this PulseAudio (16.1) now
    # and then logs "Cannot send block reference with non-registered memfd"
    # (pulseaudio issue 824) and later dies on a pthread_mutex_lock
    # assertion while clients come and go; copying over the socket is
    # plenty for a few mono streams.
    _pulse_bg "$log.out" env XDG_RUNTIME_DIR="$run" pulseaudio -n --daemonize=no --exit-idle-time=-1 \
        --use-pid-file=no --disallow-exit --disable-shm=yes \
        --log-target=file:"$log" -L module-native-protocol-unix "${args[@]}"
    PA_STARTED_PID=$PULSE_LAST_PID
    PA_STARTED_PIDS=("$PA_STARTED_PID")
    for _ in $(seq 50); do
        PULSE_SERVER=unix:$run/pulse/native pactl info >/dev/null 2>&1 && return 0
        kill -0 "$PA_STARTED_PID" 2>/dev/null || break
        sleep 0.1
    done
    return 1
}

# keep_alive SERVER DEVICE...: one low-latency reader per DEVICE.  A null
# sink idle at its default 2 s latency serves a new low-latency stream only
# once its current block ends (up to 2 s of silence); a reader kept on each
# sink for the whole test holds it at 10 ms.  (Give the sinks ~2.2 s after
# this to leave their idle latency.)
keep_alive() {
    local server=$1 dev
    shift
    for dev in "$@"; do
        _pulse_bg /dev/null env PULSE_SERVER="$server" parec --latency-msec=10 --device="$dev" \
            --rate=48000 --channels=1 --format=s16le
    done
}

# pulse_asoundrc FILE SOURCE SINK: an asoundrc (put it in a host's HOME as
# .asoundrc) whose PCM "mic" captures from the PulseAudio source SOURCE and
# whose PCM "spk" plays into the sink SINK, through the ALSA pulse plugin
# (libasound2-plugins); the server comes from PULSE_SERVER.  An agent then
# takes [audio] capture-device=mic and playback-device=spk.
pulse_asoundrc() {
    printf 'pcm.mic { type pulse; device "%s" }\npcm.spk { type pulse; device "%s" }\n' "$2" "$3" >"$1"
}

# pulse_record SERVER DEVICE WAV: record DEVICE (mono 48 kHz s16) into WAV
# (REC_PID; errors to WAV.log) until pulse_record_stop.
pulse_record() {
    _pulse_bg "$3.log" env PULSE_SERVER="$1" parecord --latency-msec=10 --device="$2" --rate=48000 \
        --channels=1 --format=s16le --file-format=wav "$3"
    REC_PID=$PULSE_LAST_PID
}

# pulse_record_wait WAV SECONDS [TIMEOUT_S]: wait (at most TIMEOUT_S, default
# 10) until the recording WAV (48 kHz mono s16, as pulse_record makes) holds
# SECONDS of audio.  parecord can take a second to start on a loaded
# machine: a check of what a short event did to the speaker first waits
# for the recorder, or it reads an empty file.
pulse_record_wait() {
    local want
    want=$(awk -v s="$2" 'BEGIN { printf "%d", 44 + s * 96000 }')
    wait_for "${3:-10}" _pulse_file_holds "$1" "$want"
}
_pulse_file_holds() {
    [ "$(stat -c %s "$1" 2>/dev/null || echo 0)" -ge "$2" ]
}

# pulse_record_stop PID: end a recording (SIGINT: parecord finishes the WAV
# header) and wait for it.
pulse_record_stop() {
    local pid=$1 waited=0
    kill -INT "$pid" 2>/dev/null
    while kill -0 "$pid" 2>/dev/null && [ "$(cut -d' ' -f3 "/proc/$pid/stat" 2>/dev/null)" != Z ] &&
        [ "$waited" -lt 40 ]; do
        sleep 0.05
        waited=$((waited + 1))
    done
    kill -TERM "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    return 0
}

# check_tone WAV WHAT HZ TOL_PCT MIN_RMS MAX_RMS [START LEN]: two TAP checks on
# WAV from START s for LEN s (default 1 and 1.5: skips devices starting and
# buffers filling): the tone's frequency (tonefreq.py: the median of 100 ms
# blocks, which one click does not move) within HZ +-TOL_PCT %, and the RMS
# amplitude (full scale 1) within MIN_RMS..MAX_RMS, peaks below clipping.
# TONE_FREQ and TONE_RMS are what was measured (empty when nothing was).
check_tone() {
    local wav=$1 what=$2 hz=$3 tol=$4 lo=$5 hi=$6 start=${7:-1} len=${8:-1.5} stat peak trough
    TONE_FREQ='' TONE_RMS=''
    stat=$(sox "$wav" -n trim "$start" "$len" stat 2>&1)
    TONE_FREQ=$(python3 "$_pulse_lib_dir/tonefreq.py" "$wav" "$start" "$len" 2>/dev/null)
    [ "$TONE_FREQ" = 0 ] && TONE_FREQ=
    TONE_RMS=$(awk -F: '/RMS     amplitude/ { gsub(/ /, "", $2); print $2 }' <<<"$stat")
    peak=$(awk -F: '/Maximum amplitude/ { gsub(/ /, "", $2); print $2 }' <<<"$stat")
    trough=$(awk -F: '/Minimum amplitude/ { gsub(/ /, "", $2); print $2 }' <<<"$stat")
    if [ -z "$TONE_FREQ" ] || [ -z "$TONE_RMS" ]; then
        not_ok "$what: no usable recording"
        not_ok "$what: no level to check"
        _pulse_diag "$stat"
        return 1
    fi
    local rc=0
    if awk -v f="$TONE_FREQ" -v t="$hz" -v p="$tol" 'BEGIN { exit !(f >= t * (1 - p / 100) && f <= t * (1 + p / 100)) }'; then
        ok "$what: tone at $TONE_FREQ Hz (want $hz Hz +-$tol %)"
    else
        not_ok "$what: tone at $TONE_FREQ Hz (want $hz Hz +-$tol %)"
        _pulse_diag "$stat"
        rc=1
    fi
    if awk -v r="$TONE_RMS" -v lo="$lo" -v hi="$hi" -v m="${peak:-1}" 'BEGIN { exit !(r >= lo && r <= hi && m < 0.99) }'; then
        ok "$what: level RMS $TONE_RMS, peak $peak, trough $trough (want RMS $lo..$hi, peak < 0.99)"
    else
        not_ok "$what: level RMS $TONE_RMS, peak $peak (want RMS $lo..$hi, peak < 0.99)"
        rc=1
    fi
    return $rc
}

# tone_level_db WAV HZ [START LEN]: prints the level of the HZ component of
# WAV (from START s for LEN s, default all) in dB relative to a full-scale
# sine (a sine of peak 0.5 reads -6.0); -120 for nothing at all.
tone_level_db() {
    python3 "$_pulse_lib_dir/tonelevel.py" "$@"
}

# speech_wav OUT VOICE TEXT [TIMES]: espeak-ng's VOICE saying TEXT, 48 kHz
# mono like the null sinks, normalised to -3 dBFS peak, TIMES over (1: a
# call longer than the text wants more).  OUT.raw.wav is espeak-ng's own.
speech_wav() {
    local out=$1 voice=$2 text=$3 times=${4:-1} inputs=() i
    for ((i = 0; i < times; i++)); do inputs+=("$out.raw.wav"); done
    espeak-ng -v "$voice" -s 160 -w "$out.raw.wav" "$text" &&
        sox "${inputs[@]}" -r 48000 -c 1 -b 16 "$out" norm -3
}

# longest_silence_ms WAV DB [FROM_S]: prints the longest stretch (ms, in
# 5 ms blocks, from FROM_S on, default 0.5: the recorder starting) of WAV
# whose RMS is below DB dBFS: a gap a listener hears (-1 when WAV is
# shorter than a block).
longest_silence_ms() {
    python3 - "$1" "$2" "${3:-0.5}" <<'PY'
import math, struct, sys, wave
w = wave.open(sys.argv[1])
rate, ch = w.getframerate(), w.getnchannels()
data = w.readframes(w.getnframes())
x = struct.unpack("<%dh" % (len(data) // 2), data)[::ch]
x = x[int(rate * float(sys.argv[3])):]
blk = rate // 200
floor = 32768 * 10 ** (float(sys.argv[2]) / 20)
run = best = 0
for i in range(0, len(x) - blk + 1, blk):
    r = math.sqrt(sum(v * v for v in x[i:i + blk]) / blk)
    run = run + 1 if r < floor else 0
    best = max(best, run)
print(best * 5 if len(x) >= blk else -1)
PY
}

# ---------------------------------------------------------------- lib.sh hosts
# For tests whose agents live in lib.sh hosts (voice.test, offlan.test).

declare -A PA_SERVER TONE_MOD REC

# host_sound_card HOST WORKDIR: HOST's sound card: a PulseAudio in its
# namespace on HOST_DIR/run/pulse/native with null sinks mic and spk, an
# ~/.asoundrc naming pcm.mic (mic.monitor) and pcm.spk (spk), and
# PULSE_SERVER / PULSE_CLIENTCONFIG (WORKDIR/pulse-client.conf) in the
# host's environment (host_setenv).  The caller sleeps ~2.2 s once after the
# last one (keep_alive).
host_sound_card() {
    local h=$1 d=${HOST_DIR[$1]}
    [ -f "$2/pulse-client.conf" ] || pulse_client_conf "$2/pulse-client.conf"
    PA_SERVER[$h]=unix:$d/run/pulse/native
    host_setenv "$h" PULSE_SERVER="${PA_SERVER[$h]}" PULSE_CLIENTCONFIG="$2/pulse-client.conf"
    if ! PULSE_HOST=$h start_pulse "$d/run" "$d/pulse.log" mic spk; then
        sed 's/^/# /' "$d/pulse.log.out" "$d/pulse.log" 2>/dev/null | tail -n 20
        return 1
    fi
    PULSE_HOST=$h keep_alive "${PA_SERVER[$h]}" mic.monitor spk.monitor
    pulse_asoundrc "$d/home/.asoundrc" mic.monitor spk
}

# pa HOST PACTL-ARGS...: pactl on HOST's PulseAudio.
pa() {
    local h=$1
    shift
    PULSE_SERVER=${PA_SERVER[$h]} timeout 5 pactl "$@"
}

# tone_on HOST HZ / tone_off HOST: a continuous sine (peak 0.5) into HOST's
# mic: module-sine on PulseAudio, a player on PipeWire (pipewire_tone_on).
declare -A TONE_PLAYER
tone_on() {
    if [ "$ZC_SOUND_SERVER" = pipewire ]; then
        PULSE_HOST=$1 pipewire_tone_on "${PA_SERVER[$1]}" mic "$2" "${HOST_DIR[$1]}/tone.fifo" ||
            _pulse_diag "$1: the tone did not start"
        TONE_PLAYER[$1]=${TONE_PIDS[*]}
        return
    fi
    TONE_MOD[$1]=$(pa "$1" load-module module-sine sink=mic frequency="$2") ||
        _pulse_diag "$1: module-sine did not load"
}
tone_off() {
    local pid
    for pid in ${TONE_PLAYER[$1]:-}; do
        _kill_wait "$pid" "${HOST_NS[$1]}"
    done
    TONE_PLAYER[$1]=
    [ -n "${TONE_MOD[$1]:-}" ] && pa "$1" unload-module "${TONE_MOD[$1]}"
    TONE_MOD[$1]=
}

# record HOST WAV / record_stop HOST: record HOST's speaker.
record() {
    PULSE_HOST=$1 pulse_record "${PA_SERVER[$1]}" spk.monitor "$2"
    REC[$1]=$REC_PID
}
record_stop() {
    pulse_record_stop "${REC[$1]}"
}
