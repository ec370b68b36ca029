#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Every option the binary accepts is documented in the man page and the README,
# and every source file src/*.c has a row in README.md's layout table.
# Usage: test/cli/docs.sh L2FRAGQ_BINARY   (from the repository root)
set -euo pipefail
# shellcheck source=test/lib.sh
. "$(cd "$(dirname "$0")" && pwd)/../lib.sh"
t_binary_arg "$@"
options=$("$T_BIN" --help | grep -oE -- '--[a-z][a-z-]+' | sort -u || true)
[ -n "$options" ] || t_fail "--help lists no options"
for opt in $options; do
	man_opt=${opt//-/\\-}
	if grep -qF -- "$man_opt" doc/l2fragq.8 && grep -qE -- "\`(-[a-zA-Z], )?$opt([ \`]|\$)" README.md; then
		t_pass "$opt is in doc/l2fragq.8 and README.md's options table"
	else
		t_fail "$opt is missing from doc/l2fragq.8 or README.md's options table"
	fi
done
# The layout table: the rows of the "## Layout" section whose first cell names
# the file in backquotes.
layout=$(sed -n '/^## Layout$/,/^## /p' README.md | grep '^| ' || true)
for src in src/*.c; do
	if grep -qE -- "^\| [^|]*\`${src//./\\.}\`" <<<"$layout"; then
		t_pass "$src has a row in README.md's layout table"
	else
		t_fail "$src is missing from README.md's layout table"
	fi
done
t_summary
