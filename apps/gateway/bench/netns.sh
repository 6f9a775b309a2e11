#!/usr/bin/env bash
# Constrained branch link for the gateway benchmark: a network namespace "vpgw" joined to the host
# by a veth pair (host 10.203.0.1 <-> namespace 10.203.0.2, addresses that exist only on this
# pair), rate-shaped in both directions. With netem (DELAY set and sch_netem in the kernel) the
# 20 ms each way is added here too; this machine's kernel has no netem, so the benchmark adds the
# latency in userspace (bench/delay-proxy.ts) and the kernel shapes the rate with tbf.
#   sudo bash apps/gateway/bench/netns.sh up|down
set -euo pipefail
NS=vpgw
RATE=${RATE:-20mbit}
DELAY=${DELAY:-}
case "${1:-}" in
  up)
    ip netns add "$NS"
    ip link add vpgw-h type veth peer name vpgw-n
    ip link set vpgw-n netns "$NS"
    ip addr add 10.203.0.1/30 dev vpgw-h
    ip link set vpgw-h up
    ip netns exec "$NS" ip addr add 10.203.0.2/30 dev vpgw-n
    ip netns exec "$NS" ip link set vpgw-n up
    ip netns exec "$NS" ip link set lo up
    if [ -n "$DELAY" ]; then
      tc qdisc add dev vpgw-h root netem delay "$DELAY" rate "$RATE" limit 1000
      ip netns exec "$NS" tc qdisc add dev vpgw-n root netem delay "$DELAY" rate "$RATE" limit 1000
    else
      # Token bucket: 20 Mbit/s, queue up to 50 ms (about one bandwidth-delay product).
      tc qdisc add dev vpgw-h root tbf rate "$RATE" burst 32kbit latency 50ms
      ip netns exec "$NS" tc qdisc add dev vpgw-n root tbf rate "$RATE" burst 32kbit latency 50ms
    fi
    ;;
  down)
    ip link del vpgw-h 2>/dev/null || true
    ip netns del "$NS" 2>/dev/null || true
    ;;
  *) echo "usage: $0 up|down" >&2; exit 2 ;;
esac
