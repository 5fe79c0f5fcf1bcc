#!/usr/bin/env bash
# scripts/dup-scope.sh [WORKTREE]: issue 12's measure of repeated code, on the code that issue
# was about: the tree minus the files of the features issues 13-15 added since. Counts the rows of
# `duplicates --most 200` (the workplace's tool, on PATH) whose both sides are non-test Go files, and
# the rows within frontend/src. Before issue 12 (558c4eb): Go 92, frontend 56.
set -eu
wt=${1:-$PWD}; tmp=$(mktemp -d)
(cd "$wt" && git ls-files -co --exclude-standard | grep -v '^frontend/node_modules' | tar -cf - -T - 2>/dev/null) | tar -xf - -C "$tmp"
cd "$tmp"
rm -rf cmd/ecpts/admin.go cmd/ecpts/search.go internal/blob internal/clamav internal/core/{admins,calendar,files,home,indexer,posts,profiles,protocols,search,searchdirect,materials}.go internal/demo/{library,posts,materials}.go internal/filetype internal/images internal/model/{campaigns,date,file,material,post,protocol}.go internal/store/{calendar,files,library,materials,posts,protocols,reactions,rsvps,search_outbox}.go internal/store/storetest/{materials,posts,protocols}.go search server/{files,home,posts,protocols,search,materials}.go frontend/src/features/{feed,protocols,materials,search}
duplicates --most 200 --seconds 200 > rows.txt
head -1 rows.txt; grep "more pairs" rows.txt || true
grep -E '^D' rows.txt | awk '{a=$2;b=$4; sub(/:.*/,"",a); sub(/:.*/,"",b); if (a ~ /\.go$/ && b ~ /\.go$/ && a !~ /_test\.go$/ && b !~ /_test\.go$/) {n++; print > "go.txt"} if (a ~ /^frontend\/src/ && b ~ /^frontend\/src/) m++} END{print "Go non-test rows:", n+0, "(baseline 92, target <= 46)"; print "frontend/src rows:", m+0, "(baseline 56, target <= 28)"}'
echo "Go rows listed in $tmp/go.txt"
