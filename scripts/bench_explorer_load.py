"""What a first visit of the Explore page transfers before the explorer is usable, and how long
it takes on Chrome DevTools' "Slow 4G" connection.

Serves a built site (``site/`` by default: `make site`) from this machine, gzipping its text
files as a static host does, and opens the Explore page in a fresh Chromium (nothing cached),
for both editions, on a wide screen and a phone:

* every file the page requested before the explorer was usable (its ``data-ready``), with its
  size and its gzip-compressed size, and those requested after it (the rest of the shown
  setting's slice, fetched once the first view is drawn);
* the time from the navigation to a usable explorer, measured with the connection throttled
  to Slow 4G through the DevTools protocol (``Network.emulateNetworkConditions``: 180 kB/s
  down, 84 kB/s up, 562.5 ms added to every request), and the time its bytes alone would take.

    python scripts/bench_explorer_load.py            # site/
    python scripts/bench_explorer_load.py --site /tmp/site --no-throttle
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.explore.loading import FIRST_VISIT_BUDGET, SLOW_4G, first_visit, launch, serve  # noqa: E402

VIEWS = {"wide (1280×900)": (1280, 900), "phone (390×844)": (390, 844)}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--site", type=Path, default=REPO / "site", help="a built site (default: site/)")
    parser.add_argument("--no-throttle", action="store_true", help="skip the throttled runs")
    parser.add_argument("--files", action="store_true", help="list every file")
    args = parser.parse_args(argv)
    if not (args.site / "explore" / "index.html").is_file():
        parser.error(f"{args.site} holds no built Explore page: build the site first (make site)")
    from playwright.sync_api import sync_playwright

    rate = SLOW_4G["downloadThroughput"]
    print(f"Slow 4G: {rate / 1000:.0f} kB/s down, {SLOW_4G['uploadThroughput'] / 1000:.0f} kB/s up, "
          f"{SLOW_4G['latency']} ms per request; budget {FIRST_VISIT_BUDGET / 1024:.0f} KiB compressed\n")
    with sync_playwright() as playwright, serve(args.site, compress=True) as address:
        browser = launch(playwright)
        for edition in ("", "zh/"):
            for view, size in VIEWS.items():
                visit = first_visit(browser, f"{address}/{edition}explore/", size)
                before = [f for f in visit["files"] if f[3]]
                line = (f"/{edition}explore/ {view}: before usable {len(before)} files, "
                        f"{sum(f[1] for f in before) / 1024:.0f} KiB, {visit['before'] / 1024:.1f} KiB gzip "
                        f"(bytes alone {visit['before'] / rate:.2f} s at Slow 4G); after: "
                        f"{visit['after'] / 1024:.1f} KiB gzip")
                if not args.no_throttle:
                    slow = first_visit(browser, f"{address}/{edition}explore/", size, throttle=SLOW_4G)
                    line += f"; usable after {slow['ready_ms'] / 1000:.2f} s on Slow 4G"
                print(line)
                if args.files:
                    for path, raw, packed, early in sorted(visit["files"], key=lambda f: (not f[3], -f[2])):
                        print(f"    {'before' if early else 'after '} {raw:9d} {packed:8d}  {path}")
        browser.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
