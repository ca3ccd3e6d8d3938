#!/usr/bin/env bash
# Tests the library against the lowest aws-cdk-lib its peer dependency allows (or the version
# given as the first argument), with the lowest constructs its peer dependency allows: in a
# scratch copy of the project, installs what package-lock.json pins with those two versions
# instead, then type-checks, runs the
# construct tests (budget, database, functions, demo and examples under cdk-nag and CloudFormation
# validation; not the runtime and integration tests, which do not touch aws-cdk-lib) and runs
# `cdk synth` of the demo app. Snapshot tests are skipped there: templates legitimately differ in
# details between aws-cdk-lib versions, and the pinned version's snapshots are checked by `npm test`.
#
#   scripts/test-cdk-floor.sh            # the floor of peerDependencies["aws-cdk-lib"]
#   scripts/test-cdk-floor.sh 2.268.0    # any other version, e.g. to see a version below it fail
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
range="$(node -p "require('$root/package.json').peerDependencies['aws-cdk-lib']")"
floor="${range#^}"
version="${1:-$floor}"
constructs_range="$(node -p "require('$root/package.json').peerDependencies.constructs")"
constructs_version="${constructs_range#^}"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
echo "aws-cdk-lib floor check: peer dependency ${range}, testing aws-cdk-lib ${version} with constructs ${constructs_version} in a scratch copy"

# The project's files, without installed modules or build output.
tar -C "$root" --exclude=./node_modules --exclude=./cdk.out --exclude=./.git --exclude=./dist -cf - . | tar -C "$work" -xf -
cd "$work"
# Pin the versions in the scratch copy's package.json and drop the lock's entries for them and
# the dependencies aws-cdk-lib bundles, so npm resolves that version's own tree (`npm install
# aws-cdk-lib@x` over the pinned tree leaves the bundled dependencies of the other version behind).
node -e '
const fs = require("fs");
const versions = { "aws-cdk-lib": process.argv[1], constructs: process.argv[2] };
const pkg = JSON.parse(fs.readFileSync("package.json", "utf8"));
const lock = JSON.parse(fs.readFileSync("package-lock.json", "utf8"));
for (const [name, version] of Object.entries(versions)) {
  pkg.devDependencies[name] = version;
  lock.packages[""].devDependencies[name] = version;
  for (const key of Object.keys(lock.packages)) {
    if (key === `node_modules/${name}` || key.startsWith(`node_modules/${name}/`)) delete lock.packages[key];
  }
}
fs.writeFileSync("package.json", JSON.stringify(pkg, null, 2) + "\n");
fs.writeFileSync("package-lock.json", JSON.stringify(lock, null, 2) + "\n");
' "$version" "$constructs_version"
npm install --no-audit --no-fund --prefer-offline --loglevel=error
installed="$(node -p "require('aws-cdk-lib/package.json').version")"
installed_constructs="$(node -p "require('constructs/package.json').version")"
if [ "$installed" != "$version" ] || [ "$installed_constructs" != "$constructs_version" ]; then
  echo "expected aws-cdk-lib ${version} and constructs ${constructs_version}, found ${installed} and ${installed_constructs}" >&2
  exit 1
fi

echo "--- type check against aws-cdk-lib ${installed}"
npx tsc --noEmit -p tsconfig.json
echo "--- construct tests against aws-cdk-lib ${installed}"
# Also left out: the demo's control test, which expects CloudFormation validation to report a
# broken resource added to the demo stack; the validator bundled with older aws-cdk-lib versions
# (2.269.0) reports nothing on that stack, so the control says nothing about this library there.
npx jest --ci test/budget test/database test/functions test/aurora test/demo.test.ts test/examples.test.ts test/aurora-examples.test.ts \
  --testNamePattern '^(?!.*(matches the snapshot|CloudFormation validation are active))'
echo "--- cdk synth of the demo against aws-cdk-lib ${installed}"
npx cdk synth --quiet > /dev/null
echo "aws-cdk-lib ${installed} with constructs ${installed_constructs}: type check, construct tests and demo synth passed"
