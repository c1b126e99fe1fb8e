#!/usr/bin/env bash
# Make a virtualenv with NeuroBench 2.x (and snnTorch, torch, nir) from PyPI and record the
# NeuroBench workload metrics of the fixture MLP (scripts/record_neurobench.py).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
venv="${NEUROBENCH_VENV:-${TMPDIR:-/tmp}/memsnn-neurobench-venv}"
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/pip" install -q "neurobench>=2,<3" snntorch nir torch
"$venv/bin/python" "$here/record_neurobench.py"
