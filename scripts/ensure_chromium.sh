#!/usr/bin/env bash
# Make sure Debian's Chromium is there for the browser tests, with a font for the Chinese
# edition's screenshots (without one, Chinese text is drawn as empty boxes); install what is
# missing where we can. Never fails: without a browser the browser tests skip and say why
# (or fail under CI=true); without the font they run, with boxes in the screenshots.
set -u
CHROMIUM=${BOOK_CHROMIUM:-/usr/bin/chromium}
missing=()
[ -x "$CHROMIUM" ] || missing+=(chromium)
# The width tests lay every page out under two font sets (tests/book/browsing.py FONT_SETS).
[ -d /usr/share/fonts/truetype/dejavu ] || missing+=(fonts-dejavu-core)
[ -d /usr/share/fonts/truetype/liberation ] || missing+=(fonts-liberation)
if command -v fc-list >/dev/null 2>&1 && [ -z "$(fc-list :lang=zh 2>/dev/null | head -1)" ]; then
  missing+=(fonts-wqy-microhei)
fi
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing ${missing[*]} for the browser tests (apt-get)..."
  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"; } >/dev/null 2>&1 \
    || echo "warning: could not install ${missing[*]}; the browser tests will say why they skipped"
else
  echo "note: ${missing[*]} not installed and not root; install them to run the browser tests fully"
fi
exit 0
