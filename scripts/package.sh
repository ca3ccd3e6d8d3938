#!/usr/bin/env bash
# Packs the jsii targets into dist/ (package.json "jsii.outdir"):
#   dist/js/cdk-serverless-rds@<version>.jsii.tgz   the npm package, as `npm publish` would upload it
#   dist/python/                                    the generated Python package source (setup.py,
#                                                   pyproject.toml, src/cdk_serverless_rds/), parsed by
#                                                   python3 as a check
# With --python-wheel, the Python target is built the whole way instead (dist/python/*.whl and
# *.tar.gz): jsii-pacmak then installs its pinned build tools (setuptools, build, twine) from PyPI
# into a virtual environment, so that needs access to PyPI.
# Java, .NET and Go are configured in package.json but not packed here: they need Maven, the .NET
# SDK and Go.
# Documentation snippets are translated from the tablet `npm run check-snippets` writes.
set -euo pipefail
cd "$(dirname "$0")/.."
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION=1

python_mode=(--code-only)
if [ "${1:-}" = "--python-wheel" ]; then
  python_mode=()
fi

npm run compile
npm run check-snippets
rm -rf dist
pacmak=(npx jsii-pacmak --no-npmignore --rosetta-tablet .jsii.tabl.json --outdir dist)
"${pacmak[@]}" --targets js
"${pacmak[@]}" --targets python "${python_mode[@]}"
if [ "${#python_mode[@]}" -gt 0 ]; then
  # Parsed as Python, without writing bytecode next to the sources.
  python3 -c 'import sys; [compile(open(f).read(), f, "exec") for f in sys.argv[1:]]' \
    dist/python/src/cdk_serverless_rds/__init__.py dist/python/src/cdk_serverless_rds/_jsii/__init__.py
fi
find dist -maxdepth 2 -not -path '*/src/*' | sort
