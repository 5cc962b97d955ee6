# SPDX-License-Identifier: GPL-3.0-or-later
#
# tests/net/lib.sh - a small LAN of network namespaces for zcall's integration
# tests and benchmarks.  Source it from bash; it defines functions and state only.
#
# Layout (NET_PREFIX is unique per run, so parallel runs never collide):
#
#   ${NET_PREFIX}sw      the "switch": bridge br0 with one port per host.  The
#                        bridge lives in its own namespace so nothing at all is
#                        added to the root namespace.
#   ${NET_PREFIX}h1..hN  the hosts: lo + eth0 = 198.18.0.<N>/24 (and the kernel's
#                        IPv6 link-local address), no default route.
#
# Other topologies (tests/net/rendezvous-lib.sh: NAT routers and public
# servers) build on the same pieces: net_switch_create (a bridge namespace),
# net_ns_plug (a veth from a switch into a namespace), net_host_add_on (a
# host on any switch, any address, its own resolver), net_host_bare and
# net_cable (a host with no interface, and a veth "cable" straight between
# two namespaces: tests/net/linklocal.test) and net_ns_bg (a server in a
# namespace, tracked for teardown).
#
# Each host has a private directory (HOST_DIR[h]) holding its own D-Bus system
# bus (which its avahi-daemon and all its clients use), its own session bus (for
# zcalld and zcall), HOME and the XDG directories, config files and logs.
#
# Network rules kept here: the only addresses are 198.18.0.0/24 and IPv6
# link-local ones of our own namespaces; there is no route off the machine, and
# /etc/netns/NS/resolv.conf points every lookup at 127.0.0.1 inside the
# namespace (nothing listens there) so nothing falls back to the host resolver.
#
# Teardown (net_teardown, installed on EXIT/INT/TERM by net_init) kills only the
# processes this file started, and only while they still live in one of our
# namespaces (a guard against PID reuse), then deletes the namespaces, the
# /etc/netns entries and the directories.  It copes with a half-done setup.
#
# Process start-up conventions: servers are started as `ip netns exec NS prog &`
# with every wrapper in between exec()ing (ip, env, unshare, sh -c 'exec ...',
# stdbuf), so $! is the PID of the program itself.  Functions that start
# processes set globals and must not be called inside $(...).

# ---------------------------------------------------------------- state
# shellcheck disable=SC2034  # globals set here are read by the sourcing scripts

NET_PREFIX="zc$$"
NET_SWITCH="${NET_PREFIX}sw"
NET_SUBNET="198.18.0"
NET_NAMESPACES=()       # namespaces we created, in creation order
NET_TMPDIRS=()          # directories to remove
NET_PIDS=()             # "PID NAMESPACE WHAT" of every process we started
NET_TORN_DOWN=0
NET_HOSTS=()            # host names (h1, h2, ...)
NET_MADE_ETC_NETNS=     # set if we created /etc/netns

declare -A HOST_NS HOST_DIR HOST_ADDR HOST_INDEX
declare -A HOST_EXTRA_ENV   # host_setenv's NAME=VALUE lines per host
declare -A SYSBUS_PID SESBUS_PID AVAHI_PID AGENT_PID AGENT_RC

# Result of the last bg start / wait_for.
LAST_PID=
WAIT_ELAPSED_MS=
WAIT_OK_AT_MS=

# net_find_binaries FALLBACK_TOP: set ZCALLD and ZCALL.
# Binaries under test: env ZCALLD / ZCALL win, else $top_builddir/src/...
# top_builddir: env, else the current directory when it holds src/zcalld (the
# automake test driver runs from the top build directory), else FALLBACK_TOP
# (the caller's source tree: right for an in-tree build).
net_find_binaries() {
    if [ -z "${top_builddir:-}" ]; then
        if [ -e ./src/zcalld ]; then
            top_builddir=$PWD
        else
            top_builddir=$1
        fi
    fi
    top_builddir=$(cd "$top_builddir" && pwd)
    # src/zcalld may be the program or a directory holding it (src/zcalld/zcalld).
    ZCALLD=${ZCALLD:-$(_find_prog "$top_builddir/src" zcalld)}
    ZCALL=${ZCALL:-$(_find_prog "$top_builddir/src" zcall)}
}

net_is_prog() { [ -f "$1" ] && [ -x "$1" ]; }

_find_prog() {   # DIR NAME
    if net_is_prog "$1/$2"; then
        echo "$1/$2"
    else
        echo "$1/$2/$2"
    fi
}

# ---------------------------------------------------------------- helpers

net_log() { printf '# %s\n' "$*" >&2; }

# now_ms / now_us: wall clock in milli-/microseconds (bash 5 $EPOCHREALTIME: no fork).
now_ms() {
    local t=${EPOCHREALTIME/[.,]/}
    echo $(( t / 1000 ))
}
now_us() {
    echo "${EPOCHREALTIME/[.,]/}"
}

# cpu_ticks PID: the process's utime + stime so far, in clock ticks (empty
# once it is gone).
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null; }

# Skip the whole test (TAP plan "1..0 # SKIP") unless we can build a lab.
# Exit 77 is automake's "skipped".
net_skip() {
    echo "1..0 # SKIP $*"
    exit 77
}

net_require() {
    [ "$(id -u)" -eq 0 ] || net_skip "needs root for network namespaces"
    command -v ip >/dev/null 2>&1 || net_skip "ip (iproute2) not installed"
    ip netns list >/dev/null 2>&1 || net_skip "'ip netns' unavailable"
    local p
    for p in dbus-daemon dbus-send avahi-daemon avahi-publish avahi-browse python3 timeout unshare; do
        command -v "$p" >/dev/null 2>&1 ||
            net_skip "$p not installed (apt-get install avahi-daemon avahi-utils dbus iproute2 python3)"
    done
    # A namespace we can create and delete: catches containers without CAP_SYS_ADMIN.
    if ! ip netns add "${NET_PREFIX}probe" 2>/dev/null; then
        net_skip "cannot create network namespaces here"
    fi
    ip netns del "${NET_PREFIX}probe"
}

# _pid_alive PID: true while PID runs (a zombie counts as gone).
_pid_alive() {
    local st
    [ -r "/proc/$1/stat" ] || return 1
    st=$(cut -d' ' -f3 "/proc/$1/stat" 2>/dev/null) || return 1
    [ -n "$st" ] && [ "$st" != Z ] && [ "$st" != X ]
}

# _pid_in_ns PID NS: true if PID is (still) a process in our namespace NS.
# Guards every kill against the PID having been reused by someone else.
_pid_in_ns() {
    local a b
    a=$(stat -L -c %i "/proc/$1/ns/net" 2>/dev/null) || return 1
    b=$(stat -L -c %i "/run/netns/$2" 2>/dev/null) || return 1
    [ "$a" = "$b" ]
}

net_track_pid() {   # PID NS WHAT
    NET_PIDS+=("$1 $2 $3")
}

# _kill_wait PID NS [TIMEOUT_MS]: SIGTERM, wait, SIGKILL if it will not go.
_kill_wait() {
    local pid=$1 ns=$2 t=${3:-2000} waited=0
    _pid_in_ns "$pid" "$ns" || return 0
    kill -"${STOP_SIGNAL:-TERM}" "$pid" 2>/dev/null
    while _pid_alive "$pid" && [ "$waited" -lt "$t" ]; do
        sleep 0.05
        waited=$((waited + 50))
    done
    if _pid_alive "$pid" && _pid_in_ns "$pid" "$ns"; then
        net_log "pid $pid did not exit on SIGTERM, sending SIGKILL"
        kill -KILL "$pid" 2>/dev/null
    fi
    # Reap it if it is our child; ignore "not a child" for forked daemons.
    wait "$pid" 2>/dev/null
    return 0
}

# wait_for TIMEOUT_SECONDS CMD [ARGS...]: run CMD every 50 ms until it
# succeeds (return 0) or the time is up (return 1); after the first second
# every 200 ms.  CMD's output is discarded.  A check that starts before the
# time is up counts (it runs at least once).  On success WAIT_OK_AT_MS is
# when the successful check started (absolute ms, see now_ms) and
# WAIT_ELAPSED_MS how long after the start of the wait that was.
# Most checks are `zcall ... --json | zq.py`, about 70 ms of CPU each: a
# minute's wait at 50 ms took most of a core (sipp-refer.test, 68 s of CPU
# in 110), from the audio tests beside it.  A wait that lasted a second
# already can be seen up to 200 ms late; the tests that time one allow
# seconds.
wait_for() {
    local timeout_ms start now
    timeout_ms=$(awk -v s="$1" 'BEGIN { printf "%d", s * 1000 }')
    shift
    start=$(now_ms)
    while :; do
        now=$(now_ms)
        if "$@" >/dev/null 2>&1; then
            WAIT_OK_AT_MS=$now
            WAIT_ELAPSED_MS=$((now - start))
            return 0
        fi
        WAIT_ELAPSED_MS=$(( $(now_ms) - start ))
        [ "$WAIT_ELAPSED_MS" -ge "$timeout_ms" ] && return 1
        if [ "$WAIT_ELAPSED_MS" -lt 1000 ]; then sleep 0.05; else sleep 0.2; fi
    done
}

# ---------------------------------------------------------------- LAN

# net_init: call once, first.  Installs the teardown trap.
net_init() {
    net_require
    trap net_teardown EXIT
    # INT/TERM: exit, which runs the EXIT trap exactly once.
    trap 'exit 130' INT
    trap 'exit 143' TERM
    NET_WORKDIR=$(mktemp -d "${TMPDIR:-/tmp}/zcall-net.XXXXXX") || exit 99
    NET_TMPDIRS+=("$NET_WORKDIR")
}

# _netns_add NS [NAMESERVER]: create a namespace with lo up and a resolv.conf
# override naming NAMESERVER (default 127.0.0.1, where nothing listens).
_netns_add() {
    local ns=$1
    ip netns add "$ns" || return 1
    NET_NAMESPACES+=("$ns")
    ip -n "$ns" link set lo up || return 1
    # ip netns exec bind-mounts /etc/netns/NS/* over /etc/*: no lookup made
    # inside the namespace can reach the host's resolver.
    if [ ! -d /etc/netns ]; then
        NET_MADE_ETC_NETNS=1   # so teardown removes it again (if empty)
    fi
    mkdir -p "/etc/netns/$ns" || return 1
    echo "nameserver ${2:-127.0.0.1}" >"/etc/netns/$ns/resolv.conf" || return 1
}

# net_switch_create NS: a "switch": namespace NS holding bridge br0, with no
# addresses at all.
net_switch_create() {
    local ns=$1
    _netns_add "$ns" || return 1
    # The switch itself has no addresses at all, not even IPv6 link-local.
    ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
        net.ipv6.conf.default.disable_ipv6=1 || return 1
    # No multicast snooping: there is no querier on this LAN, and mDNS must
    # simply be flooded to every port.
    ip -n "$ns" link add br0 type bridge mcast_snooping 0 || return 1
    ip -n "$ns" link set br0 up
}

# net_lan_create: the switch namespace NET_SWITCH (198.18.0.0/24).
net_lan_create() {
    net_switch_create "$NET_SWITCH"
}

# net_ns_plug NS SWITCH PORT IFNAME ADDR/LEN: a veth pair from SWITCH's
# bridge (port PORT) to namespace NS (interface IFNAME, address ADDR/LEN, up).
# The pair is created inside SWITCH and one end moved straight into NS: the
# root namespace never sees either end.
net_ns_plug() {
    local ns=$1 sw=$2 port=$3 ifname=$4 addr=$5
    ip -n "$sw" link add "$port" type veth peer name "$ifname" netns "$ns" || return 1
    ip -n "$sw" link set "$port" master br0 up || return 1
    # No router advertisements will come, but make sure no global IPv6 address
    # could ever be configured; link-local stays.
    ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.accept_ra=0 \
        net.ipv6.conf.default.accept_ra=0 || return 1
    ip -n "$ns" addr add "$addr" dev "$ifname" || return 1
    ip -n "$ns" link set "$ifname" up
}

# net_cable NS1 IF1 NS2 IF2: a veth pair straight from NS1 (interface IF1)
# to NS2 (IF2), no switch and no addresses: up, with only the kernel's IPv6
# link-local addresses (no router advertisements are accepted, and no
# duplicate address detection delays them).
net_cable() {
    local ns
    for ns in "$1" "$3"; do
        ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.accept_ra=0 net.ipv6.conf.default.accept_ra=0 \
            net.ipv6.conf.default.accept_dad=0 || return 1
    done
    ip -n "$1" link add "$2" type veth peer name "$4" netns "$3" || return 1
    ip -n "$1" link set "$2" up && ip -n "$3" link set "$4" up
}

# net_ns_bg NS LOG CMD [ARGS...]: a server in namespace NS (no host
# environment), in the background, output to LOG; LAST_PID is CMD's own PID
# (ip execs), tracked for teardown.
net_ns_bg() {
    local ns=$1 log=$2
    shift 2
    ip netns exec "$ns" "$@" </dev/null >>"$log" 2>&1 &
    LAST_PID=$!
    net_track_pid "$LAST_PID" "$ns" "$1"
}

# net_host_add HOST INDEX: namespace NET_PREFIX+HOST, eth0 = 198.18.0.INDEX/24
# on the bridge, private dir, system bus and session bus (no avahi-daemon yet:
# call start_avahi).
net_host_add() {
    HOST_INDEX[$1]=$2
    net_host_add_on "$1" "$NET_SWITCH" "p$2" "$NET_SUBNET.$2" 24
}

# net_host_add_on HOST SWITCH PORT ADDR LEN [NAMESERVER]: like net_host_add,
# on the bridge of switch namespace SWITCH (port PORT), eth0 = ADDR/LEN, and
# resolv.conf naming NAMESERVER (default: 127.0.0.1, nothing).
net_host_add_on() {
    net_host_bare "$1" "${6:-}" || return 1
    HOST_ADDR[$1]=$4
    net_ns_plug "${HOST_NS[$1]}" "$2" "$3" eth0 "$4/$5"
}

# net_host_bare HOST [NAMESERVER]: like net_host_add_on, but with no network
# interface but lo: the caller wires it (net_cable, tests/net/linklocal.test).
net_host_bare() {
    local h=$1 ns="${NET_PREFIX}$1" dir
    HOST_NS[$h]=$ns
    NET_HOSTS+=("$h")
    _netns_add "$ns" "${2:-}" || return 1

    dir=$(mktemp -d "$NET_WORKDIR/$h.XXXXXX") || return 1
    HOST_DIR[$h]=$dir
    mkdir -p "$dir/home" "$dir/config" "$dir/state" "$dir/run" || return 1
    chmod 700 "$dir/run"

    _bus_config "$dir/system.conf" system "$dir/system_bus"
    _bus_config "$dir/session.conf" session "$dir/session_bus"
    # Both buses run inside the namespace so everything of a host lives there
    # (and teardown's namespace guard applies).  --print-pid gives the PID of
    # the forked daemon.
    SYSBUS_PID[$h]=$(ip netns exec "$ns" dbus-daemon --config-file="$dir/system.conf" \
        --fork --print-pid --nopidfile </dev/null 2>>"$dir/dbus.log") || return 1
    net_track_pid "${SYSBUS_PID[$h]}" "$ns" "system-bus"
    SESBUS_PID[$h]=$(ip netns exec "$ns" dbus-daemon --config-file="$dir/session.conf" \
        --fork --print-pid --nopidfile </dev/null 2>>"$dir/dbus.log") || return 1
    net_track_pid "${SESBUS_PID[$h]}" "$ns" "session-bus"

    # avahi-daemon.conf per the lab notes: a unique host name, else every
    # instance claims the machine's name and all but one get renamed.
    cat >"$dir/avahi-daemon.conf" <<EOF
[server]
host-name=${NET_PREFIX}${h}
use-ipv4=yes
use-ipv6=yes
ratelimit-interval-usec=1000000
ratelimit-burst=1000
enable-dbus=yes

[wide-area]
enable-wide-area=no

[publish]
publish-workstation=no
publish-hinfo=no

[reflector]
enable-reflector=no
EOF
}

# _bus_config FILE TYPE SOCKET: a test bus: EXTERNAL auth, allow everything,
# and no service directories (a session bus must not activate an installed
# zcalld behind the test's back).
_bus_config() {
    cat >"$1" <<EOF
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>$2</type>
  <listen>unix:path=$3</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/>
    <allow own="*"/>
    <allow send_type="method_call"/>
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
  </policy>
</busconfig>
EOF
}

# net_setup N: the LAN plus hosts h1..hN, each with avahi-daemon running.
net_setup() {
    local n=$1 i
    net_lan_create || return 1
    for ((i = 1; i <= n; i++)); do
        net_host_add "h$i" "$i" || return 1
    done
    for ((i = 1; i <= n; i++)); do
        start_avahi "h$i" || return 1
    done
}

# ---------------------------------------------------------------- per host

# host_setenv HOST NAME=VALUE...: extra environment for every process started
# on HOST from now on (host_run, host_bg and so start_agent); a NAME given
# again replaces its earlier value.
host_setenv() {
    local h=$1 kv
    shift
    for kv in "$@"; do
        HOST_EXTRA_ENV[$h]=$(printf '%s\n' "${HOST_EXTRA_ENV[$h]:-}" | grep -v "^${kv%%=*}=" | grep -v '^$')
        HOST_EXTRA_ENV[$h]+=${HOST_EXTRA_ENV[$h]:+$'\n'}$kv
    done
}

# _host_env_array HOST: HOST_ENV = the environment every process of HOST
# gets, as NAME=VALUE words: its buses and directories, then host_setenv's.
_host_env_array() {
    local d=${HOST_DIR[$1]} extra=()
    HOST_ENV=("DBUS_SYSTEM_BUS_ADDRESS=unix:path=$d/system_bus"
              "DBUS_SESSION_BUS_ADDRESS=unix:path=$d/session_bus"
              "HOME=$d/home" "XDG_CONFIG_HOME=$d/config" "XDG_STATE_HOME=$d/state"
              "XDG_RUNTIME_DIR=$d/run")
    if [ -n "${HOST_EXTRA_ENV[$1]:-}" ]; then
        mapfile -t extra <<<"${HOST_EXTRA_ENV[$1]}"
        HOST_ENV+=("${extra[@]}")
    fi
}

# host_env HOST: the environment every process of HOST gets, as NAME=VALUE words.
host_env() {
    _host_env_array "$1"
    echo "${HOST_ENV[@]}"
}

# host_run HOST CMD [ARGS...]: run CMD in HOST's namespace with its buses and
# directories, in the foreground.
host_run() {
    local h=$1
    shift
    _host_env_array "$h"
    ip netns exec "${HOST_NS[$h]}" env "${HOST_ENV[@]}" "$@"
}

# host_bg HOST LOG CMD [ARGS...]: like host_run but in the background, output
# to LOG; the PID (of CMD itself: ip and env exec) goes to LAST_PID and is
# tracked for teardown.
host_bg() {
    local h=$1 log=$2
    shift 2
    _host_env_array "$h"
    ip netns exec "${HOST_NS[$h]}" env "${HOST_ENV[@]}" "$@" </dev/null >>"$log" 2>&1 &
    LAST_PID=$!
    net_track_pid "$LAST_PID" "${HOST_NS[$h]}" "$1"
}

# host_stop PID HOST: SIGTERM a process started with host_bg and reap it.
host_stop() {
    _kill_wait "$1" "${HOST_NS[$2]}"
}

# avahi_running HOST: avahi-daemon of HOST answers on its bus and is RUNNING
# (AvahiServerState 2), i.e. done probing its host name.
avahi_running() {
    host_run "$1" dbus-send --system --print-reply=literal --reply-timeout=500 \
        --dest=org.freedesktop.Avahi / org.freedesktop.Avahi.Server.GetState 2>/dev/null |
        grep -qw 2
}

# start_avahi HOST: avahi-daemon in HOST's namespace, in the foreground so $!
# is its PID (-D would fork away from us).  Its pid file and socket live in
# /run/avahi-daemon and would collide between instances, so it gets a private
# tmpfs over /run (in a private mount namespace: the host's /run is untouched,
# and the host need not even have /run/avahi-daemon).  /etc/avahi/services is
# hidden the same way so static services of the machine are not published.
start_avahi() {
    local h=$1 d=${HOST_DIR[$1]}
    # shellcheck disable=SC2016  # $1 is expanded by the inner sh
    ip netns exec "${HOST_NS[$h]}" env DBUS_SYSTEM_BUS_ADDRESS="unix:path=$d/system_bus" \
        unshare -m --propagation private sh -c '
            mount -t tmpfs -o mode=0755 tmpfs /run &&
            mkdir -p /run/avahi-daemon &&
            { [ ! -d /etc/avahi/services ] || mount -t tmpfs tmpfs /etc/avahi/services; } &&
            exec avahi-daemon --no-drop-root --no-chroot --no-rlimits -f "$1"' \
        sh "$d/avahi-daemon.conf" </dev/null >>"$d/avahi.log" 2>&1 &
    AVAHI_PID[$h]=$!
    net_track_pid "${AVAHI_PID[$h]}" "${HOST_NS[$h]}" "avahi-daemon"
    if ! wait_for 10 avahi_running "$h"; then
        net_log "avahi-daemon of $h did not reach RUNNING; its log:"
        sed 's/^/#   /' "$d/avahi.log" >&2
        return 1
    fi
}

# kill_avahi HOST: SIGTERM its avahi-daemon and wait until it is gone.
kill_avahi() {
    local h=$1
    [ -n "${AVAHI_PID[$h]:-}" ] || return 0
    _kill_wait "${AVAHI_PID[$h]}" "${HOST_NS[$h]}"
    AVAHI_PID[$h]=
}

# write_agent_config HOST USER [DISPLAY-NAME] [EXTRA LINES...]: HOST_DIR/zcall.conf
write_agent_config() {
    local h=$1 user=$2 name=${3:-} f="${HOST_DIR[$1]}/zcall.conf"
    shift 2
    [ $# -gt 0 ] && shift
    {
        echo "[identity]"
        echo "user=$user"
        [ -n "$name" ] && echo "display-name=$name"
        echo "[sip]"
        echo "port=5060"
        local l
        for l in "$@"; do echo "$l"; done
    } >"$f"
}

# start_agent HOST [ZCALLD ARGS...]: zcalld in HOST's namespace, in the
# background, with --config HOST_DIR/zcall.conf unless the caller passes
# --config.  AGENT_PID[HOST] is zcalld's own PID; output goes to
# HOST_DIR/zcalld.log.
start_agent() {
    local h=$1 d=${HOST_DIR[$1]} a args=(--config "${HOST_DIR[$1]}/zcall.conf")
    shift
    for a in "$@"; do
        [ "$a" = --config ] && args=()     # the caller chose a config file
    done
    args+=("$@")
    echo "--- zcalld ${args[*]} (at $(date +%T.%N))" >>"$d/zcalld.log"
    host_bg "$h" "$d/zcalld.log" "$ZCALLD" "${args[@]}"
    AGENT_PID[$h]=$LAST_PID
}

# stop_agent HOST [TIMEOUT_MS]: SIGTERM zcalld (STOP_SIGNAL=HUP: SIGHUP), wait for it; AGENT_RC[HOST] is
# its exit status (or "timeout" if it did not exit in time and was killed).
# STOP_ELAPSED_MS: SIGTERM -> exit.
stop_agent() {
    local h=$1 t=${2:-5000} pid=${AGENT_PID[$1]:-} start waited=0 rc
    [ -n "$pid" ] || return 1
    # No namespace guard needed: zcalld is our child and not yet reaped
    # (wait below), so its PID cannot have been reused.
    start=$(now_ms)
    kill -TERM "$pid" 2>/dev/null
    while _pid_alive "$pid" && [ "$waited" -lt "$t" ]; do
        sleep 0.02
        waited=$(( $(now_ms) - start ))
    done
    STOP_ELAPSED_MS=$(( $(now_ms) - start ))
    if _pid_alive "$pid"; then
        kill -KILL "$pid" 2>/dev/null
        wait "$pid" 2>/dev/null
        AGENT_RC[$h]=timeout
    else
        wait "$pid"
        rc=$?
        AGENT_RC[$h]=$rc
    fi
    AGENT_PID[$h]=
    [ "${AGENT_RC[$h]}" = 0 ]
}

# ---------------------------------------------------------------- teardown

net_teardown() {
    local rc=$? pid ns i ns2 left d
    [ "$NET_TORN_DOWN" = 1 ] && return
    NET_TORN_DOWN=1
    trap - EXIT INT TERM
    # Newest first: agents and clients before the daemons they talk to.
    for ((i = ${#NET_PIDS[@]} - 1; i >= 0; i--)); do
        read -r pid ns _ <<<"${NET_PIDS[$i]}"
        _kill_wait "$pid" "$ns" 2000
    done
    # Anything else still in one of our namespaces was started by us too (a
    # zcall timed out by `timeout`, a child of a helper): the namespace names
    # are unique to this run, so this cannot hit anybody else's process.
    for ns in "${NET_NAMESPACES[@]}"; do
        left=$(ip netns pids "$ns" 2>/dev/null)
        for pid in $left; do
            net_log "teardown: killing leftover pid $pid ($(cat "/proc/$pid/comm" 2>/dev/null)) in $ns"
            _kill_wait "$pid" "$ns" 1000
        done
    done
    for ((i = ${#NET_NAMESPACES[@]} - 1; i >= 0; i--)); do
        ns2=${NET_NAMESPACES[$i]}
        ip netns del "$ns2" 2>/dev/null
        rm -rf "/etc/netns/$ns2"
    done
    [ -n "${NET_MADE_ETC_NETNS:-}" ] && rmdir /etc/netns 2>/dev/null
    if [ -n "${NET_KEEP:-}" ]; then
        net_log "NET_KEEP set: keeping ${NET_TMPDIRS[*]}"
    else
        for d in "${NET_TMPDIRS[@]}"; do rm -rf "$d"; done
    fi
    return "$rc"
}
