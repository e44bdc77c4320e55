#!/bin/bash
unshare -n bash -c '
  ip link set lo up
  ip link add v0 type veth peer name v1
  ip addr add 203.0.113.1/24 dev v0; ip addr add 203.0.113.2/24 dev v1
  ip link set v0 up; ip link set v1 up; ip route add default dev v0
  exec "$@"' bash "$@"
