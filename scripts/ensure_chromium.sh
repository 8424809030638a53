#!/usr/bin/env bash
# Make sure Debian's Chromium is there for the browser tests; install it where we can.
# Never fails: without a browser the browser tests skip and say why (or fail under CI=true).
set -u
CHROMIUM=${BOOK_CHROMIUM:-/usr/bin/chromium}
[ -x "$CHROMIUM" ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing Debian's chromium for the browser tests (apt-get)..."
  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; } >/dev/null 2>&1 \
    || echo "warning: could not install chromium; the browser tests will say why they skipped"
else
  echo "note: $CHROMIUM not found and not root; install Debian's chromium to run the browser tests"
fi
exit 0
