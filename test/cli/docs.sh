#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Every option the binary accepts is documented in the man page and the README,
# and every source file src/*.c has a row in README.md's layout table.
# Usage: test/cli/docs.sh L2FRAGQ_BINARY   (from the repository root)
set -euo pipefail
bin=$1
passed=0 failed=0
options=$("$bin" --help | grep -oE -- '--[a-z][a-z-]+' | sort -u)
[ -n "$options" ] || { echo "FAIL --help lists no options"; exit 1; }
for opt in $options; do
	man_opt=${opt//-/\\-}
	if grep -qF -- "$man_opt" doc/l2fragq.8 && grep -qE -- "\`(-[a-zA-Z], )?$opt([ \`]|\$)" README.md; then
		passed=$((passed + 1))
	else
		echo "FAIL $opt is missing from doc/l2fragq.8 or README.md's options table"
		failed=$((failed + 1))
	fi
done
# The layout table: the rows of the "## Layout" section whose first cell names
# the file in backquotes.
layout=$(sed -n '/^## Layout$/,/^## /p' README.md | grep '^| ' || true)
for src in src/*.c; do
	if grep -qE -- "^\| [^|]*\`${src//./\\.}\`" <<<"$layout"; then
		passed=$((passed + 1))
	else
		echo "FAIL $src is missing from README.md's layout table"
		failed=$((failed + 1))
	fi
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
