# SPDX-License-Identifier: GPL-3.0-or-later
#
# tests/net/pipewire-lib.sh - PipeWire as the tests' sound server: pipewire,
# wireplumber and pipewire-pulse started headless, a private set per run
# directory, reached by the agents and the pa* tools exactly as a
# PulseAudio is (the ALSA pulse plugin, PULSE_SERVER=unix:RUNDIR/pulse/native:
# "PipeWire through the pulse plugin", the route a Debian 12 desktop takes
# unless pipewire-alsa is installed, which removes pulseaudio).  Sourced by
# pulse-lib.sh, which calls start_pipewire from start_pulse when
# ZC_SOUND_SERVER=pipewire; use pulse-lib.sh's functions, not these.
#
#   start_pipewire RUNDIR LOG SINK...  the three daemons on RUNDIR, a mono
#                                      48 kHz null sink per SINK
#                                      (PA_STARTED_PID: pipewire-pulse;
#                                      PA_STARTED_PIDS: every daemon of the set)
#   pipewire_tone_on SERVER SINK HZ FIFO
#                                      a steady sine into SINK (TONE_PIDS),
#                                      for pipewire-pulse has no module-sine
#
# Each daemon gets RUNDIR as XDG_RUNTIME_DIR and PIPEWIRE_RUNTIME_DIR (its
# sockets: RUNDIR/pipewire-0 and RUNDIR/pulse/native), LOG.conf as
# XDG_CONFIG_HOME (drop-ins below) and LOG.state as XDG_STATE_HOME (what
# wireplumber remembers of streams and devices), so nothing of the user's
# or the machine's PipeWire is read or touched.  Processes start and are
# tracked as in pulse-lib.sh (_pulse_bg: PULSE_HOST's namespace through
# lib.sh, else the caller's PIDS); outside a lib.sh host they get a
# private session bus on RUNDIR/bus and a system bus address that points at
# nothing, so no daemon reaches a bus of the machine.

# shellcheck disable=SC2034  # PA_STARTED_PID(S) are read by the sourcing scripts
# shellcheck disable=SC2154  # _pulse_lib_dir is pulse-lib.sh's

# _pipewire_conf DIR: drop-ins for the three daemons under DIR (their
# XDG_CONFIG_HOME).
_pipewire_conf() {
    local d=$1
    mkdir -p "$d/pipewire/pipewire.conf.d" "$d/pipewire/pipewire-pulse.conf.d" \
        "$d/wireplumber/main.lua.d" "$d/wireplumber/bluetooth.lua.d"
    # The graph at the null sinks' rate, so no stream is resampled but the
    # ones a test asks for.  A desktop's quanta, written out: on a virtual
    # machine (a CI runner) PipeWire's vm.overrides would raise the minimum
    # quantum to 1024 (21 ms) and the tests would measure another server.
    cat >"$d/pipewire/pipewire.conf.d/50-zcall-test.conf" <<'EOF'
context.properties = {
    default.clock.rate          = 48000
    default.clock.allowed-rates = [ 48000 ]
    default.clock.min-quantum   = 16
    vm.overrides = { default.clock.min-quantum = 16 }
}
EOF
    cat >"$d/pipewire/pipewire-pulse.conf.d/50-zcall-test.conf" <<'EOF'
pulse.properties = {
    vm.overrides = { pulse.min.quantum = 256/48000 }
}
EOF
    # No hardware: no ALSA, camera or Bluetooth monitors (the test's null
    # sinks are the only devices).  The policy (linking streams to their
    # targets) and the idle suspend stay as a desktop has them.
    printf '%s\n' 'alsa_monitor.enabled = false' 'v4l2_monitor.enabled = false' \
        'libcamera_monitor.enabled = false' >"$d/wireplumber/main.lua.d/51-zcall-test.lua"
    printf '%s\n' 'bluez_monitor.enabled = false' >"$d/wireplumber/bluetooth.lua.d/51-zcall-test.lua"
}

# start_pipewire RUNDIR LOG SINK...: see the head of this file.  pipewire's
# output goes to LOG, wireplumber's and pipewire-pulse's to LOG.out.  Fails
# when the server does not answer within 5 s or a sink does not load.
start_pipewire() {
    local run=$1 log=$2 sink conf=$2.conf state=$2.state env server pid
    shift 2
    mkdir -p "$run" "$state"
    chmod 700 "$run"
    _pipewire_conf "$conf"
    env=(env XDG_RUNTIME_DIR="$run" PIPEWIRE_RUNTIME_DIR="$run" XDG_CONFIG_HOME="$conf"
         XDG_STATE_HOME="$state" PIPEWIRE_LOG_SYSTEMD=false DISABLE_RTKIT=1)
    PA_STARTED_PIDS=()
    if [ -z "${PULSE_HOST:-}" ]; then
        # wireplumber exits without a session bus (and pipewire then links
        # no stream to a sink): a private one, never the machine's.  (A
        # socket left by a set that was killed is not one.)
        rm -f "$run/bus"
        _pulse_bg "$log.out" dbus-daemon --session --nofork --nopidfile --address="unix:path=$run/bus"
        PA_STARTED_PIDS+=("$PULSE_LAST_PID")
        for _ in $(seq 50); do
            [ -S "$run/bus" ] && break
            sleep 0.1
        done
        env+=("DBUS_SESSION_BUS_ADDRESS=unix:path=$run/bus" "DBUS_SYSTEM_BUS_ADDRESS=unix:path=$run/no-bus")
    fi
    server=unix:$run/pulse/native
    _pulse_bg "$log" "${env[@]}" pipewire
    PA_STARTED_PIDS+=("$PULSE_LAST_PID")
    for _ in $(seq 50); do
        [ -S "$run/pipewire-0" ] && break
        kill -0 "$PULSE_LAST_PID" 2>/dev/null || return 1
        sleep 0.1
    done
    [ -S "$run/pipewire-0" ] || return 1
    _pulse_bg "$log.out" "${env[@]}" wireplumber
    PA_STARTED_PIDS+=("$PULSE_LAST_PID")
    _pulse_bg "$log.out" "${env[@]}" pipewire-pulse
    PA_STARTED_PIDS+=("$PULSE_LAST_PID")
    PA_STARTED_PID=$PULSE_LAST_PID
    for _ in $(seq 50); do
        PULSE_SERVER=$server pactl info >/dev/null 2>&1 && break
        for pid in "${PA_STARTED_PIDS[@]}"; do kill -0 "$pid" 2>/dev/null || return 1; done
        sleep 0.1
    done
    for sink in "$@"; do
        PULSE_SERVER=$server timeout 5 pactl load-module module-null-sink sink_name="$sink" rate=48000 \
            channels=1 >/dev/null || return 1
    done
    PULSE_SERVER=$server timeout 2 pactl info >/dev/null 2>&1
}

# pipewire_tone_on SERVER SINK HZ FIFO: a sine of peak 0.5 at HZ played
# into SINK until killed (TONE_PIDS: the player and its generator), what
# PulseAudio's module-sine does: tonesrc.py writes it into FIFO (a new path;
# gone once both ends are open) and pacat plays it.
pipewire_tone_on() {
    local fifo=$4
    rm -f "$fifo"
    mkfifo -m 600 "$fifo" || return 1
    TONE_PIDS=()
    _pulse_bg /dev/null env PULSE_SERVER="$1" pacat --playback --raw --device="$2" --latency-msec=20 \
        --rate=48000 --channels=1 --format=s16le "$fifo"
    TONE_PIDS+=("$PULSE_LAST_PID")
    _pulse_bg /dev/null python3 "$_pulse_lib_dir/tonesrc.py" "$3" "$fifo"
    TONE_PIDS+=("$PULSE_LAST_PID")
}
