#!/usr/bin/env bash
# Hostile-input campaign through the CLI: every reader (IDX, .npy, NIR, RON) and the physical
# checks, with seeded mutations (see scripts/hostile_corpus.py), each case run under
# /usr/bin/time -v with a time limit.
#
#   scripts/hostile_campaign.sh [MEMSNN_BINARY]      (default: target/release/memsnn)
#
# Prints, per family and in total: tried / clean / panic / silent / unbounded / messy, and the
# largest peak resident memory of any case.
#   clean     exit 1 with exactly one `error:` line and no output file left; or exit 0 where the
#             mutation may have left a valid input (`any` cases, e.g. a flip in pixel data)
#   panic     a panic message, exit 101, or death by a signal (abort, allocator failure)
#   silent    exit 0 on an input invalid by construction (`fail` cases)
#   unbounded peak resident memory above 1 GiB, or still running after the time limit
#   messy     exit 1 but not in the one-line form, or an output file left behind
# Needs python3 (standard library) and GNU time (`apt-get install time`).
set -u
here="$(cd "$(dirname "$0")/.." && pwd)"
bin="${1:-$here/target/release/memsnn}"
limit_s="${HOSTILE_TIMEOUT:-60}"
limit_kb=$((1024 * 1024))
[ -x /usr/bin/time ] || { echo "needs GNU time: apt-get install time" >&2; exit 2; }
[ -x "$bin" ] || { echo "no binary at $bin (cargo build --release)" >&2; exit 2; }
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
python3 "$here/scripts/hostile_corpus.py" "$work" "$here" >&2 || exit 2

declare -A tried clean panic silent unbounded messy
families=()
worst_kb=0
worst_case=""
while IFS=$'\t' read -r -a f; do
  family="${f[0]}"; expect="${f[1]}"; output="${f[2]}"; argv=("${f[@]:3}")
  if [ -z "${tried[$family]+x}" ]; then
    families+=("$family")
    tried[$family]=0; clean[$family]=0; panic[$family]=0; silent[$family]=0
    unbounded[$family]=0; messy[$family]=0
  fi
  tried[$family]=$((tried[$family] + 1))
  [ "$output" != "-" ] && rm -f "$output"
  timeout -s KILL "$limit_s" /usr/bin/time -v -o "$work/time.txt" \
    "$bin" "${argv[@]}" >"$work/stdout" 2>"$work/stderr"
  rc=$?
  kb=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$work/time.txt" 2>/dev/null)
  kb=${kb:-0}
  if [ "$kb" -gt "$worst_kb" ]; then worst_kb=$kb; worst_case="$family: ${argv[*]}"; fi
  lines=$(grep -cv '^\s*$' "$work/stderr")
  verdict=""
  if grep -q "panicked" "$work/stderr" || [ "$rc" -eq 101 ] || { [ "$rc" -gt 128 ] && [ "$rc" -ne 137 ]; }; then
    verdict=panic
  elif [ "$rc" -eq 137 ] || [ "$kb" -gt "$limit_kb" ]; then
    verdict=unbounded
  elif [ "$rc" -eq 0 ]; then
    if [ "$expect" = "fail" ]; then verdict=silent; else verdict=clean; fi
  elif [ "$rc" -eq 1 ] && [ "$lines" -eq 1 ] && head -1 "$work/stderr" | grep -q '^error: ' \
       && { [ "$output" = "-" ] || [ ! -e "$output" ]; }; then
    verdict=clean
  else
    verdict=messy
  fi
  case $verdict in
    clean) clean[$family]=$((clean[$family] + 1)) ;;
    panic) panic[$family]=$((panic[$family] + 1)) ;;
    silent) silent[$family]=$((silent[$family] + 1)) ;;
    unbounded) unbounded[$family]=$((unbounded[$family] + 1)) ;;
    messy) messy[$family]=$((messy[$family] + 1)) ;;
  esac
  if [ "$verdict" != clean ]; then
    echo "[$verdict] rc=$rc rss=${kb}KB $family: ${argv[*]}" >&2
    head -3 "$work/stderr" | sed 's/^/    /' >&2
  fi
done <"$work/cases.tsv"

printf '%-28s %6s %6s %6s %6s %9s %6s\n' family tried clean panic silent unbounded messy
T=0; C=0; P=0; S=0; U=0; M=0
for fam in "${families[@]}"; do
  printf '%-28s %6d %6d %6d %6d %9d %6d\n' "$fam" "${tried[$fam]}" "${clean[$fam]}" \
    "${panic[$fam]}" "${silent[$fam]}" "${unbounded[$fam]}" "${messy[$fam]}"
  T=$((T + tried[$fam])); C=$((C + clean[$fam])); P=$((P + panic[$fam]))
  S=$((S + silent[$fam])); U=$((U + unbounded[$fam])); M=$((M + messy[$fam]))
done
printf '%-28s %6d %6d %6d %6d %9d %6d\n' TOTAL "$T" "$C" "$P" "$S" "$U" "$M"
echo "largest peak RSS: $((worst_kb / 1024)) MiB ($worst_case)"
[ "$P" -eq 0 ] && [ "$S" -eq 0 ] && [ "$U" -eq 0 ] && [ "$M" -eq 0 ]
