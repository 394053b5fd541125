#!/bin/sh
# Mutation testing of the modules whose tests must catch wrong code (issue 14 item 7).
# Slow (minutes per group on 2 cores); not part of `npm test`.
#   sh scripts/mutation.sh                      # every group
#   sh scripts/mutation.sh safetensors optim    # some groups
#   KILN_MUTATE='src/io/safetensors.ts:100-200' sh scripts/mutation.sh safetensors   # a line range
# Groups: rules optim metrics safetensors csv config (see stryker.config.mjs).
# Results: reports/mutation/<group>.json. KILN_MUTATE_INCREMENTAL=1 reuses reports/mutation/<group>.incremental.json
# (only when the tests did not change: the command runner cannot see test edits).
set -e
cd "$(dirname "$0")/.."
groups="$*"
[ -n "$groups" ] || groups="safetensors metrics optim csv config rules"
status=0
for g in $groups; do
  echo "== mutation: $g"
  KILN_MUTATE_GROUP="$g" npx stryker run stryker.config.mjs || status=1
done
exit $status
