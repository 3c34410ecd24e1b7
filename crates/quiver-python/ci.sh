#!/usr/bin/env bash
# Builds Quiver's Python package as a wheel, installs it in a fresh
# virtualenv with what the tests need (pyarrow, pandas, polars, pytest, from
# PyPI) and runs its pytest suite. Run by .ci/test; QUIVER_WHEEL_PROFILE
# picks the Cargo profile (dev by default: the tests want a quick build;
# benchmarks use release).
set -euo pipefail
cd "$(dirname "$0")"
root="$(cd ../.. && pwd)"
venv="$root/target/python-venv"
wheels="$root/target/wheels"
profile="${QUIVER_WHEEL_PROFILE:-dev}"

rm -rf "$venv" "$wheels"
python3 -m venv "$venv"
"$venv/bin/pip" install --quiet --upgrade pip
"$venv/bin/pip" install --quiet 'maturin>=1.9.4,<2' pytest pyarrow pandas polars
"$venv/bin/maturin" build --quiet --profile "$profile" --out "$wheels" --interpreter "$venv/bin/python"
"$venv/bin/pip" install --quiet "$wheels"/*.whl
# Run from outside the source tree so that the installed package is tested.
cd "$root/target"
"$venv/bin/python" -m pytest -q "$root/crates/quiver-python/tests"
