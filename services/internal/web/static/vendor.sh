#!/bin/sh
# vendor.sh refreshes the NHS.UK frontend committed beside it: the compiled
# CSS, the JavaScript (an ES module), the icons, logos and favicons they
# reference, and the MIT licence; and, for the component tests, the
# fixtures.json examples the package ships. Run it by hand from anywhere
# (it needs npm and the npm registry); nothing in the build or CI runs it,
# so `go run` needs neither npm nor a network.
#
# To move to another release, change VERSION and INTEGRITY together:
#   npm view nhsuk-frontend@VERSION dist.integrity
set -eu

VERSION=10.6.1
INTEGRITY=sha512-PZorqQZjZx/A26yJoskCL9z0ib6AtkAyF0o4K/RHr8zRrJyXrUOCnMbjy0VNXsGO4tfTNMwqlkwATKs4a0xayw==
# The components whose fixtures the golden tests render.
FIXTURES="tag tables summary-list error-summary error-message hint label input textarea select checkboxes radios
date-input button back-link inset-text details card pagination breadcrumb skip-link fieldset header footer"

here=$(cd "$(dirname "$0")" && pwd)
out="$here/nhsuk"
fixtures="$here/../testdata/nhsuk"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

cd "$work"
npm pack --silent "nhsuk-frontend@$VERSION" >/dev/null
tgz="nhsuk-frontend-$VERSION.tgz"

# npm writes integrity as "sha512-" + base64 of the tarball's SHA-512.
got="sha512-$(openssl dgst -sha512 -binary "$tgz" | openssl base64 -A)"
if [ "$got" != "$INTEGRITY" ]; then
	echo "vendor.sh: $tgz has integrity $got, want $INTEGRITY" >&2
	exit 1
fi
tar -xzf "$tgz"
dist=package/dist/nhsuk

rm -rf "$out"
mkdir -p "$out/assets/images" "$fixtures"

# Frutiger is licensed and loads from an NHS server, which our CSP refuses
# anyway; the stylesheet falls back to Arial. The images are referenced
# from the site root (/assets/...); make them relative to the stylesheet,
# which is served beside its assets. Source maps are not shipped.
sed -e 's/@font-face{[^}]*}//g' \
	-e 's#url(/assets/#url(assets/#g' \
	-e 's#/\*\# sourceMappingURL=[^*]*\*/##' \
	"$dist/nhsuk-frontend.min.css" >"$out/nhsuk-frontend.min.css"
if grep -q -e '@font-face' -e 'url(https\?:' -e 'url(/' "$out/nhsuk-frontend.min.css"; then
	echo "vendor.sh: the stylesheet still loads something from elsewhere" >&2
	exit 1
fi
sed -e 's#//\# sourceMappingURL=.*$##' "$dist/nhsuk-frontend.min.js" >"$out/nhsuk-frontend.min.js"
cp "$dist"/assets/images/* "$out/assets/images/"
cp "$dist/assets/manifest.json" "$out/assets/manifest.json"

for c in $FIXTURES; do
	# Only what the tests read: each example's name, options and HTML.
	node -e '
		const f = require(process.argv[1]);
		const keep = f.fixtures.map(({ name, description, context, html }) => ({ name, description, context, html }));
		process.stdout.write(JSON.stringify({ component: f.component, fixtures: keep }, null, 1) + "\n");
	' "$work/$dist/components/$c/fixtures.json" >"$fixtures/$c.json"
done

# The package says "license": "MIT" but ships no licence file; this is the
# text of LICENSE in github.com/nhsuk/nhsuk-frontend.
test "$(node -p 'require("./package/package.json").license')" = MIT
cat >"$out/LICENCE.txt" <<'LICENCE'
nhsuk-frontend 10.6.1 (https://github.com/nhsuk/nhsuk-frontend), MIT licence:

MIT License

Copyright (c) 2019 NHS.UK

Permission is hereby granted, free of charge, to any person obtaining a copy
of this software and associated documentation files (the "Software"), to deal
in the Software without restriction, including without limitation the rights
to use, copy, modify, merge, publish, distribute, sublicense, and/or sell
copies of the Software, and to permit persons to whom the Software is
furnished to do so, subject to the following conditions:

The above copyright notice and this permission notice shall be included in all
copies or substantial portions of the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR
IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY,
FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE
AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER
LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM,
OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE
SOFTWARE.
LICENCE
cp "$out/LICENCE.txt" "$fixtures/LICENCE.txt"
echo "vendor.sh: nhsuk-frontend $VERSION in $out, fixtures in $fixtures"
