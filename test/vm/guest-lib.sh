# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
# The one file a guest script (test/vm/*/guest.sh) sources: test/lib.sh (the
# PASS/FAIL counting), the seed topology (scripts/lib/demo/seed.sh) and
# test/vm/lib.sh (l2vm_guest_begin, l2vm_finish ...). Functions and variable
# defaults only. The host-side scripts source test/vm/lib.sh alone, so that
# these names do not reach them.
L2VM_GUEST_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=test/lib.sh
. "$L2VM_GUEST_LIB_DIR/../lib.sh"
# shellcheck source=scripts/lib/demo/seed.sh
. "$L2VM_GUEST_LIB_DIR/../../scripts/lib/demo/seed.sh"
# shellcheck source=test/vm/lib.sh
. "$L2VM_GUEST_LIB_DIR/lib.sh"
