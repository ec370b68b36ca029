#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# PID 1 of new PID, mount and cgroup namespaces in a test network namespace
# (test/ops/lib.sh ops_sd_boot): private /run, /tmp and /var/tmp, the test's
# units, then systemd. SD/mounts.sh (sourced, optional) adds the test's own
# files and mounts; SD/log-target (optional) names systemd's log target.
#
#   sd-inner.sh SD
set -e
SD=$1
mount --make-rprivate /
mount -t tmpfs -o mode=755 tmpfs /run
mkdir -p /run/systemd/system /run/l2fq-test
cp -r "$SD/units/." /run/systemd/system/
# shellcheck disable=SC1091 # the test's own, written at run time
[ ! -f "$SD/mounts.sh" ] || . "$SD/mounts.sh"
# Nothing of systemd's may touch the host's temporary directories (the
# host's boot services would empty them).
mount -t tmpfs -o mode=1777 tmpfs /var/tmp
mount -t tmpfs -o mode=1777 tmpfs /tmp
mount -t cgroup2 cgroup2 /sys/fs/cgroup
target=null
[ ! -f "$SD/log-target" ] || read -r target <"$SD/log-target"
exec env -i container=l2fq-test PATH=/usr/sbin:/usr/bin:/sbin:/bin \
	/lib/systemd/systemd --system --unit=l2fq-test.target --log-target="$target" --show-status=no
