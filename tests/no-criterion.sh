#!/bin/sh
# Stands in for the Criterion suites when configure did not find Criterion:
# make check must not pass without them.
echo "Criterion was not found by configure: the test suites were not built."
echo "Install it (Debian: apt-get install libcriterion-dev) and re-run configure."
exit 1
