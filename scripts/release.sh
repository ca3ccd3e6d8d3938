#!/usr/bin/env bash
# Prepares a release: bumps the version, builds, tests, packs, commits and tags. Publishing stays a
# separate, deliberate step (the commands are printed at the end).
#
#   scripts/release.sh 0.2.0            # or: npm run release -- 0.2.0
#   scripts/release.sh 0.2.0 --no-test  # skip `npm test` (only when CI has just run it on this commit)
#
# Before running it, move the "Unreleased" notes of CHANGELOG.md under a "## 0.2.0" heading.
# Steps: `npm version` (package.json and package-lock.json), `npm run build` (jsii assembly and
# API.md for the new version), `npm test`, `npm run package` (jsii-pacmak: the npm package made by
# `npm pack` in dist/js, the generated Python package in dist/python), then a commit and a tag
# v<version>.
set -euo pipefail
cd "$(dirname "$0")/.."

version="${1:-}"
run_tests=true
if [ "${2:-}" = "--no-test" ]; then
  run_tests=false
fi
if ! [[ "$version" =~ ^[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.]+)?$ ]]; then
  echo "usage: scripts/release.sh <major.minor.patch> [--no-test]" >&2
  exit 2
fi
# CHANGELOG.md may carry the release notes not yet committed; nothing else may be uncommitted.
if [ -n "$(git status --porcelain -- . ':!CHANGELOG.md')" ]; then
  echo "the working tree has uncommitted changes besides CHANGELOG.md; commit or stash them first" >&2
  exit 1
fi
if ! grep -qE "^## ${version//./\\.}( |$)" CHANGELOG.md; then
  echo "CHANGELOG.md has no \"## ${version}\" section; move the Unreleased notes under it first" >&2
  exit 1
fi
if git rev-parse -q --verify "refs/tags/v${version}" > /dev/null; then
  echo "tag v${version} exists already" >&2
  exit 1
fi

npm version "$version" --no-git-tag-version
npm run build
if [ "$run_tests" = true ]; then
  npm test
fi
npm run package

git add package.json package-lock.json API.md CHANGELOG.md
git commit -m "Release ${version}"
git tag -a "v${version}" -m "cdk-serverless-rds ${version}"

cat <<EOF
Released ${version} locally (commit and tag v${version}). Packages:
$(find dist -maxdepth 2 -name '*.tgz' -o -maxdepth 2 -name 'setup.py' | sort)
To publish:
  git push --follow-tags
  npm publish dist/js/cdk-serverless-rds@${version}.jsii.tgz
  scripts/package.sh --python-wheel && python3 -m twine upload dist/python/*   # needs PyPI access
EOF
