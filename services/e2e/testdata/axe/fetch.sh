#!/usr/bin/env bash
# Fetches axe-core's browser build and its licence into this folder, from
# the npm registry, after checking the tarball against the integrity the
# registry publishes for that version. Run by hand to change the version;
# the tests read the committed files and never reach the network.
set -euo pipefail
version=${1:-4.14.1}
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

want=$(npm view "axe-core@$version" dist.integrity)
case $want in
sha512-*) ;;
*) echo "unexpected integrity for axe-core@$version: $want" >&2; exit 1 ;;
esac
tarball=$(cd "$work" && npm pack --silent "axe-core@$version")
got="sha512-$(openssl dgst -sha512 -binary "$work/$tarball" | base64 -w0)"
if [ "$got" != "$want" ]; then
	echo "axe-core@$version: tarball integrity $got, the registry says $want" >&2
	exit 1
fi
tar -xzf "$work/$tarball" -C "$work"
cp "$work/package/axe.min.js" "$here/axe.min.js"
cp "$work/package/LICENSE" "$here/LICENSE"
printf '%s\n' "axe-core $version" "integrity $want" "sha256(axe.min.js) $(sha256sum "$here/axe.min.js" | cut -d' ' -f1)" > "$here/VERSION"
echo "axe-core $version: $want"
