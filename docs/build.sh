#!/usr/bin/env bash
# Build the HTML documentation with warnings as errors; every gallery example
# runs. Exits non-zero on any warning or failing example.
#   docs/build.sh [extra sphinx-build options]
set -euo pipefail
cd "$(dirname "$0")/.."
export MPLBACKEND=Agg
# small nets on small data: one thread per process is faster than many
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-1}
# a clean build: sphinx-gallery skips examples whose source did not change,
# but the library under them may have
rm -rf docs/_build docs/auto_examples docs/generated docs/sg_execution_times.rst
python -m sphinx -W --keep-going -b html "$@" docs docs/_build/html
echo "docs built: docs/_build/html/index.html"
