#!/usr/bin/env bash
# gen-secrets.sh writes the secret files that docker-compose.yml mounts, in
# deploy/secrets/. It never overwrites one: a new master key would make every
# encrypted direct conversation unreadable, and MongoDB applies its root
# password only when its volume is first initialised. Delete a file by hand
# to rotate it, knowing that.
#
# The directory is 0700 (only this user reaches the files on the host); the
# files are 0444 because Compose bind-mounts them as they are, and the e-CPTS
# container runs as uid 65532, not as their owner.
set -euo pipefail

dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/secrets
umask 077
mkdir -p "$dir"
chmod 0700 "$dir"

rand_base64() { head -c "$1" /dev/urandom | base64 | tr -d '\n'; }
# Hex needs no escaping in a URL's password part.
rand_hex() { head -c "$1" /dev/urandom | od -An -v -tx1 | tr -d ' \n'; }

# write NAME VALUE creates deploy/secrets/NAME unless it already exists.
write() {
	local f=$dir/$1
	if [[ -s $f ]]; then
		echo "gen-secrets: kept $1"
		return
	fi
	printf '%s\n' "$2" >"$f"
	chmod 0444 "$f"
	echo "gen-secrets: wrote $1"
}

# ECPTS_MASTER_KEY: base64 of 32 random bytes (AES-256).
write ecpts_master_key "$(rand_base64 32)"

# MongoDB root password, and the URL e-CPTS connects with (it must carry the
# same password: read it back when it already exists).
write mongo_root_password "$(rand_hex 24)"
mongo_password=$(<"$dir/mongo_root_password")
write ecpts_mongo_url "mongodb://root:${mongo_password}@mongo:27017/?authSource=admin"

# Meilisearch master key (production mode wants at least 16 bytes).
write meili_master_key "$(rand_hex 32)"
