# SPDX-License-Identifier: GPL-3.0-or-later
#
# tests/net/rendezvous-lib.sh - the off-LAN lab (two NATed sites and a
# public rendezvous), on top of lib.sh
# (source lib.sh first; call net_init, then rdv_init).  Functions and state
# only; like lib.sh, functions that start processes set globals and must not
# be called inside $(...).
#
#                         public side 198.19.0.0/24 (switch ${P}pub)
#    +---------------+----------------+---------------+-----------------+
#    k1 .10          k2 .11           turn .20 (+.21)  dns .53          r1 .1   r2 .2
#    Kamailio        Kamailio         coturn 3478      dnsmasq          |       |
#    (data/rendezvous/kamailio.cfg)   (data/rendezvous/turnserver.conf) NAT     NAT
#                                                               198.18.1.1/24   198.18.2.1/24
#                                                               site 1 (${P}s1) site 2 (${P}s2)
#                                                               hosts 198.18.1.N  198.18.2.N
#
#   Namespaces: ${P}pub, ${P}s1, ${P}s2 are switches (bridge br0, no address);
#   ${P}xk1 ${P}xk2 ${P}xturn ${P}xdns (and rdv_public_add's) hold one server
#   each; ${P}r1 ${P}r2 are the sites' NAT routers (wan0 on the public side,
#   lan0 on the site); hosts are lib.sh hosts (own buses, avahi, zcalld dirs)
#   named as the test likes (${P}HOST).  ${P} is lib.sh's NET_PREFIX.
#   Site hosts route 198.19.0.0/16 via their router and nothing else; the
#   public side has no route to 198.18.0.0/16 at all (the sites' LANs are
#   private, as on the internet).  Every lab namespace resolves through the
#   lab's dnsmasq (198.19.0.53), which answers example.test and nothing else.
#
#   DNS (zone example.test, dnsmasq):
#     example.test NAPTR 10 10 "S" "SIP+D2U" "" _sip._udp.example.test
#     example.test NAPTR 20 10 "S" "SIP+D2T" "" _sip._tcp.example.test
#     _sip._udp / _sip._tcp  SRV 10 0 5060 k1.example.test, 20 0 5060 k2.example.test
#     _stun._udp / _turn._udp / _turn._tcp  SRV 10 0 3478 turn.example.test
#     k1 A 198.19.0.10, k2 A 198.19.0.11, turn A 198.19.0.20
#     plus RDV_DNS_EXTRA lines (dnsmasq syntax) at rdv_dns_start.
#
#   Reserved host names (namespaces of their own): pub, sN, rN, x*.
#
#   NAT modes (rdv_site_add / rdv_nat_mode):
#     cone        MASQUERADE: endpoint-independent mapping (source port kept),
#                 port-restricted filtering; hole punching works.
#     symmetric   MASQUERADE --random-fully: a new random port per
#                 destination; only a TURN relay gets through.
#     portchange  MASQUERADE --to-ports 31000-31999: the port always changes
#                 (a registrar must honour rport/received).
#   Router firewall (lab notes): FORWARD policy DROP; LAN->WAN and LAN<->LAN
#   accepted, WAN->LAN only ESTABLISHED,RELATED; INPUT from the WAN only
#   ESTABLISHED,RELATED (an unsolicited packet to the router would otherwise
#   create a conntrack entry that collides with its own SNAT tuple).
#
# Functions (see each for details):
#   rdv_require                     skip (77) unless the servers are installed
#   rdv_init                        public switch + server namespaces (k1 k2 turn dns)
#   rdv_public_add NAME ADDR        one more namespace on the public side
#   rdv_site_add SITE MODE          site switch + NAT router SITE (1, 2, ...)
#   rdv_nat_mode SITE MODE          change a router's NAT mode (new flows)
#   rdv_nat_timeouts SITE UDP STREAM   conntrack UDP timeouts of a router (s)
#   rdv_nat_flush SITE              forget all of a router's NAT bindings
#   rdv_host_add HOST SITE INDEX    lib.sh host 198.18.SITE.INDEX behind router SITE
#   rdv_setup MODE1 MODE2           init + sites 1, 2 + dnsmasq + coturn + k1
#   rdv_dns_start / rdv_dns_stop / rdv_dns_restart
#   rdv_kamailio_start K [-A DEF]...   Kamailio K (k1|k2) with the project's cfg
#   rdv_kamailio_stop K
#   rdv_kamcmd K ARGS...            kamcmd on K's control socket
#   rdv_coturn_start / rdv_coturn_stop
#   rdv_sip_user_add USER PASSWORD  credentials file (+ running Kamailios)
#   rdv_turn_user_add USER PASSWORD coturn user database
#   rdv_run NAME CMD...             run in a server/router namespace
#   rdv_bg NAME LOG CMD...          ... in the background (LAST_PID, tracked)
#   rdv_agent_config HOST USER PASSWORD [DISPLAY-NAME] [EXTRA LINES...]
#                                   zcall.conf with a [rendezvous] section
#   rdv_capture_start DIR / rdv_capture_stop   tcpdump on the public switch
#   rdv_logs                        tails of the servers' logs as TAP comments
#   rdv_tls_certs                   a test CA and a server certificate for
#                                   k1, k2, turn (RDV_DIR/tls: ca.pem,
#                                   server.pem, server.key; other.pem: a CA
#                                   that signed nothing here)
#   rdv_kamailio_tls_args K         RDV_KAMAILIO_TLS: the -A/-l arguments of a
#                                   TLS listener on K:5061 (after rdv_tls_certs)
#
#   RDV_NATPING_INTERVAL (default 5)  Kamailio's OPTIONS pings to NATed contacts
#   RDV_KAMAILIO_CFG / RDV_TURN_CONF  the configs under test (default: data/rendezvous/)

# shellcheck disable=SC2034  # globals set here are read by the sourcing scripts

_rdv_lib_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
: "${RDV_KAMAILIO_CFG:=$_rdv_lib_dir/../../data/rendezvous/kamailio.cfg}"
: "${RDV_TURN_CONF:=$_rdv_lib_dir/../../data/rendezvous/turnserver.conf}"
: "${RDV_NATPING_INTERVAL:=5}"
SIPUA=(python3 "$_rdv_lib_dir/sipua.py")
STUNMAP=(python3 "$_rdv_lib_dir/stunmap.py")

RDV_DOMAIN=example.test
RDV_PUB="${NET_PREFIX}pub"
RDV_DNS_IP=198.19.0.53
RDV_TURN_USER=zcall-turn
RDV_TURN_PASS=turn-secret-1
RDV_DNS_EXTRA=()
declare -A RDV_NS RDV_ADDR RDV_PID RDV_NAT
RDV_ADDR=([k1]=198.19.0.10 [k2]=198.19.0.11 [turn]=198.19.0.20 [turn2]=198.19.0.21 [dns]=198.19.0.53)

rdv_require() {
    local p
    for p in kamailio kamcmd turnserver turnadmin turnutils_stunclient dnsmasq iptables; do
        command -v "$p" >/dev/null 2>&1 ||
            net_skip "$p not installed (tools/install-deps --test: kamailio coturn dnsmasq-base iptables)"
    done
    [ -r "$RDV_KAMAILIO_CFG" ] || net_skip "no $RDV_KAMAILIO_CFG"
    [ -r "$RDV_TURN_CONF" ] || net_skip "no $RDV_TURN_CONF"
}

# rdv_init: the public switch and the servers' namespaces (nothing started).
rdv_init() {
    local n
    rdv_require
    RDV_DIR=$NET_WORKDIR/rdv
    mkdir -p "$RDV_DIR/creds" || return 1
    printf 'username(str) password(str)\n' >"$RDV_DIR/creds/credentials"
    chmod 600 "$RDV_DIR/creds/credentials"
    net_switch_create "$RDV_PUB" || return 1
    for n in dns k1 k2 turn; do
        rdv_public_add "$n" "${RDV_ADDR[$n]}" || return 1
    done
    # coturn's second address: a second STUN server, so a test can tell an
    # endpoint-independent mapping from an endpoint-dependent one.
    ip -n "${RDV_NS[turn]}" addr add "${RDV_ADDR[turn2]}/24" dev eth0
}

# rdv_public_add NAME ADDR: namespace ${P}xNAME on the public side, eth0 =
# ADDR/24, resolving through the lab's dnsmasq; RDV_NS[NAME], RDV_ADDR[NAME].
rdv_public_add() {
    local n=$1 ns="${NET_PREFIX}x$1"
    RDV_NS[$n]=$ns
    RDV_ADDR[$n]=$2
    mkdir -p "$RDV_DIR/$n" || return 1
    _netns_add "$ns" "$RDV_DNS_IP" || return 1
    net_ns_plug "$ns" "$RDV_PUB" "x$n" eth0 "$2/24"
}

# rdv_site_add SITE MODE: switch ${P}sSITE for 198.18.SITE.0/24 and router
# ${P}rSITE (RDV_NS[rSITE]): wan0 = 198.19.0.SITE/24, lan0 = 198.18.SITE.1/24,
# forwarding with the lab's firewall and NAT MODE (cone|symmetric|portchange).
rdv_site_add() {
    local s=$1 mode=$2 r="${NET_PREFIX}r$1" sw="${NET_PREFIX}s$1"
    RDV_NS[r$s]=$r
    RDV_NS[s$s]=$sw
    RDV_ADDR[r$s]=198.19.0.$s
    net_switch_create "$sw" || return 1
    _netns_add "$r" "$RDV_DNS_IP" || return 1
    net_ns_plug "$r" "$RDV_PUB" "r$s" wan0 "198.19.0.$s/24" || return 1
    net_ns_plug "$r" "$sw" lan0 lan0 "198.18.$s.1/24" || return 1
    ip netns exec "$r" sysctl -qw net.ipv4.ip_forward=1 || return 1
    # shellcheck disable=SC2016
    ip netns exec "$r" sh -ec '
        iptables -P FORWARD DROP
        iptables -A FORWARD -i wan0 -o lan0 -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT
        iptables -A FORWARD -i lan0 -o wan0 -j ACCEPT
        iptables -A FORWARD -i lan0 -o lan0 -j ACCEPT
        iptables -A INPUT -i wan0 -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT
        iptables -A INPUT -i wan0 -j DROP' || return 1
    rdv_nat_mode "$s" "$mode"
}

# rdv_nat_mode SITE MODE: the router's NAT (cone|symmetric|portchange).
# Bindings that exist keep their mapping (rdv_nat_flush forgets them).
rdv_nat_mode() {
    local s=$1 r=${RDV_NS[r$1]} args=()
    case $2 in
        cone) ;;
        symmetric) args=(--random-fully) ;;
        portchange) args=(--to-ports 31000-31999) ;;
        *) net_log "rdv_nat_mode: unknown mode '$2'"; return 1 ;;
    esac
    ip netns exec "$r" iptables -t nat -F POSTROUTING || return 1
    if [ "$2" = portchange ]; then
        # --to-ports only goes with a protocol; ICMP falls to the last rule.
        ip netns exec "$r" iptables -t nat -A POSTROUTING -o wan0 -p udp -j MASQUERADE "${args[@]}" || return 1
        ip netns exec "$r" iptables -t nat -A POSTROUTING -o wan0 -p tcp -j MASQUERADE "${args[@]}" || return 1
        args=()
    fi
    ip netns exec "$r" iptables -t nat -A POSTROUTING -o wan0 -j MASQUERADE "${args[@]}" || return 1
    RDV_NAT[$s]=$2
}

# rdv_nat_timeouts SITE UDP STREAM: conntrack UDP timeouts (seconds) in the
# router: UDP for a flow that saw packets one way (or one reply), STREAM for
# one with traffic both ways.  Short ones make NAT binding expiry testable.
rdv_nat_timeouts() {
    ip netns exec "${RDV_NS[r$1]}" sysctl -qw net.netfilter.nf_conntrack_udp_timeout="$2" \
        net.netfilter.nf_conntrack_udp_timeout_stream="$3"
}

# rdv_nat_flush SITE: drop every conntrack entry (NAT binding) of the router,
# as a router reboot would.  Needs conntrack(8); returns 1 without it.
rdv_nat_flush() {
    command -v conntrack >/dev/null 2>&1 || return 1
    ip netns exec "${RDV_NS[r$1]}" conntrack -F >/dev/null 2>&1
}

# rdv_host_add HOST SITE INDEX: a lib.sh host (buses, dirs; start_avahi
# separately) at 198.18.SITE.INDEX (INDEX 2..254) behind router SITE.
rdv_host_add() {
    local h=$1 s=$2 i=$3
    net_host_add_on "$h" "${RDV_NS[s$s]}" "p$i" "198.18.$s.$i" 24 "$RDV_DNS_IP" || return 1
    # shellcheck disable=SC2004  # HOST_INDEX is associative (lib.sh)
    HOST_INDEX[$h]=$i
    ip -n "${HOST_NS[$h]}" route add 198.19.0.0/16 via "198.18.$s.1"
}

# rdv_setup MODE1 MODE2: rdv_init, sites 1 and 2 with those NAT modes,
# dnsmasq, coturn (user RDV_TURN_USER) and Kamailio k1.  Hosts are the test's.
rdv_setup() {
    rdv_init || return 1
    rdv_site_add 1 "$1" || return 1
    rdv_site_add 2 "$2" || return 1
    rdv_dns_start || return 1
    rdv_turn_user_add "$RDV_TURN_USER" "$RDV_TURN_PASS" || return 1
    rdv_coturn_start || return 1
    rdv_kamailio_start k1
}

# rdv_run NAME CMD...: CMD in namespace RDV_NS[NAME] (k1, turn, r1, ...).
rdv_run() {
    local n=$1
    shift
    ip netns exec "${RDV_NS[$n]}" "$@"
}

# rdv_bg NAME LOG CMD...: CMD in RDV_NS[NAME] in the background (LAST_PID).
rdv_bg() {
    net_ns_bg "${RDV_NS[$1]}" "$2" "${@:3}"
}

# _rdv_stop NAME: stop the server of namespace RDV_NS[NAME] and anything
# else left in that namespace (its children: the namespace holds nothing
# else).
_rdv_stop() {
    local n=$1 ns=${RDV_NS[$1]} pid
    if [ -n "${RDV_PID[$n]:-}" ]; then
        _kill_wait "${RDV_PID[$n]}" "$ns" 5000
    fi
    for pid in $(ip netns pids "$ns" 2>/dev/null); do
        _kill_wait "$pid" "$ns" 1000
    done
    RDV_PID[$n]=
}

# _rdv_listening NAME PROTO PORT: something listens on PROTO (udp|tcp) PORT
# in RDV_NS[NAME].
_rdv_listening() {
    local f=-Hlun
    [ "$2" = tcp ] && f=-Hltn
    [ -n "$(ip netns exec "${RDV_NS[$1]}" ss "$f" "sport = :$3" 2>/dev/null)" ]
}

# ---------------------------------------------------------------- dnsmasq

rdv_dns_start() {
    local d=$RDV_DIR/dns l
    {
        echo "# zcall test lab: authoritative for $RDV_DOMAIN, nothing forwarded"
        echo "no-resolv"
        echo "no-hosts"
        echo "no-poll"
        echo "listen-address=$RDV_DNS_IP"
        echo "bind-interfaces"
        echo "pid-file="
        echo "user=root"
        echo "log-queries"
        echo "log-facility=-"
        echo "local=/$RDV_DOMAIN/"
        echo "address=/#/"
        echo "naptr-record=$RDV_DOMAIN,10,10,S,SIP+D2U,,_sip._udp.$RDV_DOMAIN"
        echo "naptr-record=$RDV_DOMAIN,20,10,S,SIP+D2T,,_sip._tcp.$RDV_DOMAIN"
        for l in udp tcp; do
            echo "srv-host=_sip._$l.$RDV_DOMAIN,k1.$RDV_DOMAIN,5060,10,0"
            echo "srv-host=_sip._$l.$RDV_DOMAIN,k2.$RDV_DOMAIN,5060,20,0"
        done
        echo "srv-host=_stun._udp.$RDV_DOMAIN,turn.$RDV_DOMAIN,3478,10,0"
        echo "srv-host=_turn._udp.$RDV_DOMAIN,turn.$RDV_DOMAIN,3478,10,0"
        echo "srv-host=_turn._tcp.$RDV_DOMAIN,turn.$RDV_DOMAIN,3478,10,0"
        echo "host-record=k1.$RDV_DOMAIN,${RDV_ADDR[k1]}"
        echo "host-record=k2.$RDV_DOMAIN,${RDV_ADDR[k2]}"
        echo "host-record=turn.$RDV_DOMAIN,${RDV_ADDR[turn]}"
        for l in "${RDV_DNS_EXTRA[@]}"; do echo "$l"; done
    } >"$d/dnsmasq.conf"
    echo "--- dnsmasq (at $(date +%T.%N))" >>"$d/dnsmasq.log"
    rdv_bg dns "$d/dnsmasq.log" dnsmasq -k -C "$d/dnsmasq.conf"
    RDV_PID[dns]=$LAST_PID
    if ! wait_for 5 _rdv_listening dns udp 53; then
        net_log "dnsmasq did not come up; its log:"
        sed 's/^/#   /' "$d/dnsmasq.log" >&2
        return 1
    fi
}
rdv_dns_stop() { _rdv_stop dns; }
rdv_dns_restart() { rdv_dns_stop && rdv_dns_start; }

# ---------------------------------------------------------------- Kamailio

# rdv_kamailio_start K [KAMAILIO ARGS...]: Kamailio K (k1|k2) in the
# foreground of its namespace with RDV_KAMAILIO_CFG, listening on UDP and TCP
# RDV_ADDR[K]:5060, credentials from the lab's file, control socket in its
# directory, OPTIONS pings every RDV_NATPING_INTERVAL s, MIN_EXPIRES 10.
# Extra args (e.g. -A 'AUTH_ALGORITHM="SHA-256"', -A NATPING_INTERVAL=0)
# are appended; a define given there replaces the lab's default of the same
# name (Kamailio refuses a second -A of a name).  Log:
# RDV_DIR/K/kamailio.log.  Returns once the control socket answers and the
# SIP port is open.
rdv_kamailio_start() {
    local k=$1 d=$RDV_DIR/$1 ip=${RDV_ADDR[$1]} a prev='' def
    local -A mine=()
    shift
    for a in "$@"; do
        [ "$prev" = -A ] && mine[${a%%=*}]=1
        prev=$a
    done
    local defs=("SIP_DOMAIN=\"$RDV_DOMAIN\"" "CRED_DB=\"text://$RDV_DIR/creds\""
                "CTL_SOCK=\"unix:$d/run/ctl\"" "NATPING_INTERVAL=$RDV_NATPING_INTERVAL"
                "PINGER_FROM=\"sip:pinger@$RDV_DOMAIN\"" CHILDREN=2 MIN_EXPIRES=10)
    local args=()
    for def in "${defs[@]}"; do
        [ -n "${mine[${def%%=*}]:-}" ] || args+=(-A "$def")
    done
    mkdir -p "$d/run" || return 1
    echo "--- kamailio $* (at $(date +%T.%N))" >>"$d/kamailio.log"
    rdv_bg "$k" "$d/kamailio.log" kamailio -f "$RDV_KAMAILIO_CFG" -DD -E -m 32 -M 8 \
        -Y "$d/run" -P "$d/run/kamailio.pid" \
        -l "udp:$ip:5060" -l "tcp:$ip:5060" "${args[@]}" "$@"
    RDV_PID[$k]=$LAST_PID
    if ! wait_for 10 _rdv_kamailio_up "$k"; then
        net_log "kamailio $k did not come up; its log:"
        tail -n 30 "$d/kamailio.log" | sed 's/^/#   /' >&2
        return 1
    fi
}
_rdv_kamailio_up() {
    _pid_alive "${RDV_PID[$1]}" && rdv_kamcmd "$1" core.uptime >/dev/null 2>&1 &&
        _rdv_listening "$1" udp 5060 && _rdv_listening "$1" tcp 5060
}
rdv_kamailio_stop() { _rdv_stop "$1"; }

# rdv_kamcmd K ARGS...: kamcmd on Kamailio K's control socket, e.g.
# `rdv_kamcmd k1 ul.dump`, `rdv_kamcmd k1 htable.dump credentials`.
rdv_kamcmd() {
    local k=$1
    shift
    rdv_run "$k" timeout 5 kamcmd -s "unix:$RDV_DIR/$k/run/ctl" "$@"
}

# rdv_sip_user_add USER PASSWORD: a line in the credentials file (read by
# Kamailios started later) and htable.sets in the running ones.
rdv_sip_user_add() {
    local u=$1 p=$2 k esc
    # db_text escapes: backslash and colon.
    esc=${p//\\/\\\\}
    esc=${esc//:/\\:}
    printf '%s:%s\n' "$u" "$esc" >>"$RDV_DIR/creds/credentials" || return 1
    for k in k1 k2; do
        if [ -n "${RDV_PID[$k]:-}" ]; then
            rdv_kamcmd "$k" htable.sets credentials "$u" "$p" >/dev/null || return 1
        fi
    done
}

# ---------------------------------------------------------------- coturn

# rdv_turn_user_add USER PASSWORD: long-term credentials in the lab's coturn
# user database (read by coturn at each authentication: works while it runs).
rdv_turn_user_add() {
    mkdir -p "$RDV_DIR/turn" || return 1
    turnadmin -a -b "$RDV_DIR/turn/turndb" -u "$1" -r "$RDV_DOMAIN" -p "$2" \
        >>"$RDV_DIR/turn/turnadmin.log" 2>&1
}

# rdv_coturn_start: coturn with RDV_TURN_CONF, changed only where the lab
# must: its addresses (listening .20 and .21, relaying from .20), relay ports
# 49152-49999, the lab's user database and TLS certificate (rdv_tls_certs:
# TURN over TLS on 5349), pid file and log to stdout, and the
# lab's public side 198.19.0.0/16 re-allowed as peers (the conf denies all
# of 198.18.0.0/15: the sites' LANs stay denied).
rdv_coturn_start() {
    local d=$RDV_DIR/turn
    mkdir -p "$d" || return 1
    # The TLS listener's certificate: the lab's (made once per run).
    [ -r "$RDV_DIR/tls/server.pem" ] || rdv_tls_certs || return 1
    sed -e '/^syslog$/d' \
        -e "s|^cert=.*|cert=$RDV_DIR/tls/server.pem|" \
        -e "s|^pkey=.*|pkey=$RDV_DIR/tls/server.key|" \
        -e "s|^userdb=.*|userdb=$d/turndb|" \
        -e "s|^pidfile=.*|pidfile=$d/turnserver.pid|" \
        -e "s|^realm=.*|realm=$RDV_DOMAIN|" \
        -e "s|^server-name=.*|server-name=turn.$RDV_DOMAIN|" \
        -e "s|^max-port=.*|max-port=49999|" \
        "$RDV_TURN_CONF" >"$d/turnserver.conf" || return 1
    cat >>"$d/turnserver.conf" <<EOF

# ---- test lab (tests/net/rendezvous-lib.sh) ----
listening-ip=${RDV_ADDR[turn]}
listening-ip=${RDV_ADDR[turn2]}
relay-ip=${RDV_ADDR[turn]}
allowed-peer-ip=198.19.0.0-198.19.255.255
log-file=stdout
simple-log
EOF
    echo "--- turnserver (at $(date +%T.%N))" >>"$d/turnserver.log"
    rdv_bg turn "$d/turnserver.log" turnserver -c "$d/turnserver.conf"
    RDV_PID[turn]=$LAST_PID
    if ! wait_for 10 _rdv_listening turn udp 3478 || ! wait_for 5 _rdv_listening turn tcp 5349; then
        net_log "turnserver did not come up; its log:"
        tail -n 30 "$d/turnserver.log" | sed 's/^/#   /' >&2
        return 1
    fi
}
rdv_coturn_stop() { _rdv_stop turn; }

# ---------------------------------------------------------------- agents

# rdv_agent_config HOST USER PASSWORD [DISPLAY-NAME] [EXTRA LINES...]:
# HOST_DIR/zcall.conf for USER with a [rendezvous] section: registrar
# RDV_DOMAIN, the SIP password and the TURN password in 0600 files, STUN and
# TURN at turn.RDV_DOMAIN:3478 (TURN user RDV_TURN_USER).  EXTRA LINES go at
# the end (in [rendezvous]; start a new section to put them elsewhere).
rdv_agent_config() {
    local h=$1 u=$2 p=$3 name=${4:-} d=${HOST_DIR[$1]}
    shift 3
    [ $# -gt 0 ] && shift
    (umask 077 && printf '%s\n' "$p" >"$d/sip-password" && printf '%s\n' "$RDV_TURN_PASS" >"$d/turn-password")
    write_agent_config "$h" "$u" "$name" "[rendezvous]" \
        "registrar=$RDV_DOMAIN" "username=$u" "password-file=$d/sip-password" \
        "stun-server=turn.$RDV_DOMAIN:3478" "turn-server=turn.$RDV_DOMAIN:3478" \
        "turn-username=$RDV_TURN_USER" "turn-password-file=$d/turn-password" "$@"
}

# ---------------------------------------------------------------- TLS

# rdv_tls_certs: RDV_DIR/tls/ca.pem (a test CA made now, never committed),
# server.pem + server.key (its leaf for k1, k2, turn, the domain and their
# addresses) and other.pem (an unrelated CA, for "wrong CA" checks).
# Needs openssl.
rdv_tls_certs() {
    local d=$RDV_DIR/tls
    command -v openssl >/dev/null 2>&1 || net_skip "openssl not installed"
    mkdir -p "$d" || return 1
    (
        set -e
        cd "$d"
        umask 077
        openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
            -subj "/CN=zcall test CA" -keyout ca.key -out ca.pem
        openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
            -subj "/CN=unrelated test CA" -keyout other.key -out other.pem
        openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
            -subj "/CN=k1.$RDV_DOMAIN" -keyout server.key -out server.csr
        printf 'subjectAltName=DNS:k1.%s,DNS:k2.%s,DNS:turn.%s,DNS:%s,IP:%s,IP:%s,IP:%s\n' \
            "$RDV_DOMAIN" "$RDV_DOMAIN" "$RDV_DOMAIN" "$RDV_DOMAIN" \
            "${RDV_ADDR[k1]}" "${RDV_ADDR[k2]}" "${RDV_ADDR[turn]}" >san.ext
        openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 \
            -extfile san.ext -out server.pem
        chmod 644 ca.pem other.pem server.pem
    ) >>"$d/openssl.log" 2>&1
}

# rdv_kamailio_tls_args K: RDV_KAMAILIO_TLS=(arguments for rdv_kamailio_start)
# that turn on the TLS listener K:5061 with the lab's certificate, through
# data/rendezvous/kamailio-tls.cfg with the lab's paths.
rdv_kamailio_tls_args() {
    local k=$1 d=$RDV_DIR/$1 m
    m=$(find /usr/lib /usr/local/lib -path '*kamailio/modules/tls.so' 2>/dev/null | head -n 1)
    [ -n "$m" ] || net_skip "Kamailio's tls module not installed (tools/install-deps --test: kamailio-tls-modules)"
    mkdir -p "$d" || return 1
    sed -e "s|^certificate = .*|certificate = $RDV_DIR/tls/server.pem|" \
        -e "s|^private_key = .*|private_key = $RDV_DIR/tls/server.key|" \
        -e "s|^ca_list = .*|ca_list = $RDV_DIR/tls/ca.pem|" \
        "$_rdv_lib_dir/../../data/rendezvous/kamailio-tls.cfg" >"$d/tls.cfg" || return 1
    RDV_KAMAILIO_TLS=(-A WITH_TLS -A "TLS_CFG=\"$d/tls.cfg\"" -l "tls:${RDV_ADDR[$k]}:5061")
}

# ---------------------------------------------------------------- diagnosis

# rdv_capture_start DIR: tcpdump of everything on the public switch (all
# traffic between the NATs and the servers, and between the NATs) into
# DIR/public.pcap.  Needs tcpdump (returns 1 without).
rdv_capture_start() {
    command -v tcpdump >/dev/null 2>&1 || return 1
    RDV_CAPTURE_FILE=$1/public.pcap
    ip netns exec "$RDV_PUB" tcpdump -i br0 -s 0 -B 8192 -n --immediate-mode -U -w "$RDV_CAPTURE_FILE" \
        </dev/null >>"$1/tcpdump-public.log" 2>&1 &
    RDV_CAPTURE_PID=$!
    net_track_pid "$RDV_CAPTURE_PID" "$RDV_PUB" tcpdump
    wait_for 5 grep -q 'listening on' "$1/tcpdump-public.log"
}
rdv_capture_stop() {
    [ -n "${RDV_CAPTURE_PID:-}" ] || return 0
    sleep 0.2
    _kill_wait "$RDV_CAPTURE_PID" "$RDV_PUB" 3000
    RDV_CAPTURE_PID=
}

# rdv_logs [N]: the last N (default 20) lines of each server's log, as TAP
# comments.
rdv_logs() {
    local f
    for f in "$RDV_DIR"/*/kamailio.log "$RDV_DIR"/turn/turnserver.log "$RDV_DIR"/dns/dnsmasq.log; do
        [ -s "$f" ] || continue
        echo "# --- ${f#"$RDV_DIR"/} (tail)"
        tail -n "${1:-20}" "$f" | sed 's/^/#   /'
    done
}
