#!/usr/bin/env bash
# Keeps the project's own code at zero compiler warnings (docs/testing.md "Warnings").
#
#   scripts/check-warnings.sh [swift build arguments...]   runs `$SWIFT build --build-tests ARGS`, shows its
#                                                          output, then fails if any warning is located in
#                                                          Sources/ or Tests/
#   scripts/check-warnings.sh --log FILE                   checks the output of a build already run
#
# Warnings located in dependencies (.build/checkouts/...) are counted and shown as a summary line but
# never fail the check: they are not ours to fix. A build only reports warnings for the files it
# compiles, so the check is complete on a clean build (a fresh clone's `make test`); an incremental
# build checks the files it recompiled.
set -uo pipefail

root=${CHECK_WARNINGS_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)}
SWIFT=${SWIFT:-swift}

if [ "${1:-}" = "--log" ]; then
  [ $# -eq 2 ] || { echo "usage: $0 --log FILE" >&2; exit 2; }
  log=$2
  [ -r "$log" ] || { echo "error: cannot read $log" >&2; exit 2; }
else
  log=$(mktemp "${TMPDIR:-/tmp}/hactl-build.XXXXXX")
  trap 'rm -f "$log"' EXIT
  (cd "$root" && "$SWIFT" build --build-tests "$@") 2>&1 | tee "$log"
  status=${PIPESTATUS[0]}
  [ "$status" -eq 0 ] || exit "$status"
fi

# One line per warning, deduplicated by location (the compiler may print a warning more than once):
#   FILE:LINE:COL: warning: ...                   a warning in a source file
#   macro expansion @M:L:C: warning: ...          a warning inside a macro's expansion, followed by
#   `- FILE:LINE:COL: note: expanded code ...       the source location the expansion belongs to
#   warning: 'package': ...                       a manifest/package-level warning (no location)
# Output lines: "FILE:LINE:COL: warning: ..." (macro warnings at the expansion's source location, with
# the macro position in the text) or "package 'NAME': warning: ..." for package-level ones.
unique() {
  awk '
    pending != "" {
      if (match($0, /^`- \/[^:]+:[0-9]+:[0-9]+: note: expanded code originates here/)) {
        split(substr($0, 4), loc, ":")
        where = loc[1] ":" loc[2] ":" loc[3]
      } else {
        where = "?:0:0"
      }
      at = index(pending, ": warning: ")
      print where ": warning: " substr(pending, at + 11) " (in the expansion of " substr(pending, 1, at - 1) ")"
      pending = ""
    }
    /^\/[^:]+:[0-9]+:[0-9]+: warning: / { print; next }
    /^macro expansion [^:]+:[0-9]+:[0-9]+: warning: / { pending = substr($0, 17); next }
    /^warning: \x27[^\x27]+\x27: / { split($0, q, "\x27"); print "package \x27" q[2] "\x27: " $0 }
  ' "$log" | awk '{ key = $0; sub(/: warning: .*/, "", key) } /^package / { key = $0 } !seen[key]++'
}
all=$(unique)
package=$(sed -n "s/^ *name: \"\([^\"]*\)\".*/\1/p" "$root/Package.swift" | head -1)
ours=$(printf '%s\n' "$all" | grep -E "^($root/(Sources|Tests)/|package '$package':|\?:)" || true)
theirs=$(printf '%s\n' "$all" | grep -vcE "^($root/(Sources|Tests)/|package '$package':|\?:|$)" || true)

if [ -n "$ours" ]; then
  count=$(printf '%s\n' "$ours" | wc -l)
  echo >&2
  echo "error: $count compiler warning(s) in Sources/ or Tests/ (the project keeps zero; fix them at the source):" >&2
  printf '%s\n' "$ours" | sed "s|^$root/||" >&2
  exit 1
fi
echo "check-warnings: no compiler warnings in Sources/ or Tests/ ($theirs in dependencies, not ours)"
