#!/usr/bin/env bash
# Creates benchmarks/.venv with the peer library `implicit` (PyPI) for the quality benchmark.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
if [ ! -x "$here/.venv/bin/python" ]; then python3 -m venv "$here/.venv"; fi
"$here/.venv/bin/python" -c "import implicit, scipy, numpy" 2>/dev/null || "$here/.venv/bin/pip" install -q implicit numpy scipy threadpoolctl
"$here/.venv/bin/python" -c "import implicit; print('implicit', implicit.__version__)"
