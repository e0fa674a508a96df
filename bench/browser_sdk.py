"""hedgerow.js: its size as served, and what it costs a page in headless Chromium.

Size: the bytes `/static/hedgerow.js` sends (gzip level 9, as the server computes it at
startup) against the 12 KB budget, plus the raw file. Cost, in Debian's Chromium driven by
Playwright (`/usr/bin/chromium`, as `make test` installs it): parsing the file; `init` (which
makes the page's first `Intl` call, for `$timezone`: ICU's start-up, paid once per page); one
`capture()` of the README's 'Plan purchased' event; one autocaptured click on a span inside a
button under 16 divs, 19 elements up to <body> (the whole decision: ancestor walk with
computed styles, element properties, the `$elements_chain` string, default properties,
queueing). Nothing is sent:
`api_host` points at a closed port and the flush interval is an hour. Run:

    .venv/bin/python bench/browser_sdk.py [--runs 5] [--iterations 500]
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
from typing import Any

from common import ROOT, md_table, median, report

sys.path.insert(0, str(ROOT / "src"))

from hedgerow.web.routes import sdk_file

SDK = ROOT / "sdk" / "js" / "hedgerow.js"
BUDGET = 12 * 1024
CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

PAGE = """<!doctype html><html><head><meta charset="utf-8"></head><body><div id="root">
%s<button id="target" class="btn primary">Buy <span id="inner">now</span></button>%s
</div></body></html>"""

MEASURE = """([source, iterations]) => {
  const t0 = performance.now()
  const script = document.createElement('script')
  script.textContent = source
  document.head.appendChild(script)
  const tParsed = performance.now()
  hedgerow.init('phc_bench', {api_host: 'http://127.0.0.1:9', flush_interval_ms: 3600000,
                              capture_pageview: false, persistence: 'memory'})
  const t1 = performance.now()
  const plan = {price: 1599, planId: 'XYZ12345', frequency: 'monthly',
                features: {seats: 5, sso: true, addons: ['audit-log', 'sla']}}
  const t2 = performance.now()
  for (let i = 0; i < iterations; i++) hedgerow.capture('Plan purchased', plan)
  const t3 = performance.now()
  hedgerow.queue.length = 0
  const inner = document.getElementById('inner')
  const t4 = performance.now()
  for (let i = 0; i < iterations; i++) {
    inner.dispatchEvent(new MouseEvent('click', {bubbles: true, clientX: i * 100, clientY: 0}))
  }
  const t5 = performance.now()
  const sent = hedgerow.queue.length
  return {parse_ms: tParsed - t0, init_ms: t1 - tParsed, capture_us: (t3 - t2) * 1000 / iterations,
          click_us: (t5 - t4) * 1000 / iterations, clicks_captured: sent}
}"""


def measure(runs: int, iterations: int) -> list[dict[str, Any]]:
    from playwright.sync_api import sync_playwright

    depth = 15
    html = PAGE % ("<div class='level'>" * depth, "</div>" * depth)
    source = SDK.read_text()
    results = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        for _ in range(runs):
            page = browser.new_page()
            page.set_content(html)
            results.append(page.evaluate(MEASURE, [source, iterations]))
            page.close()
        browser.close()
    for result in results:
        assert result["clicks_captured"] == iterations, result
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--iterations", type=int, default=500)
    parser.add_argument("--quick", action="store_true", help="2 runs of 100 iterations")
    args = parser.parse_args()
    runs, iterations = (2, 100) if args.quick else (args.runs, args.iterations)

    raw = SDK.read_bytes()
    served = sdk_file().gzipped
    assert gzip.decompress(served) == raw
    sizes = {
        "raw_bytes": len(raw),
        "served_gzip_bytes": len(served),
        "gzip_level_6_bytes": len(gzip.compress(raw, 6)),
        "budget_bytes": BUDGET,
    }
    results = measure(runs, iterations)
    keys = ("parse_ms", "init_ms", "capture_us", "click_us")
    cost = {key: median([r[key] for r in results]) for key in keys}
    size_table = md_table(
        ["file", "bytes", "KiB"],
        [
            ["sdk/js/hedgerow.js (raw)", len(raw), f"{len(raw) / 1024:.1f}"],
            ["served, gzip -9", len(served), f"{len(served) / 1024:.1f}"],
            ["gzip -6 (a proxy's default)", sizes["gzip_level_6_bytes"], ""],
            ["budget", BUDGET, "12.0"],
        ],
    )
    cost_table = md_table(
        ["what", f"median of {runs} runs", "runs"],
        [
            [
                "parse and run the file",
                f"{cost['parse_ms']:.1f} ms",
                [round(r["parse_ms"], 1) for r in results],
            ],
            [
                "init (with the page's first Intl call)",
                f"{cost['init_ms']:.1f} ms",
                [round(r["init_ms"], 1) for r in results],
            ],
            [
                "capture('Plan purchased')",
                f"{cost['capture_us']:.1f} µs",
                [round(r["capture_us"], 1) for r in results],
            ],
            [
                "autocaptured click (19 elements up to body)",
                f"{cost['click_us']:.1f} µs",
                [round(r["click_us"], 1) for r in results],
            ],
        ],
    )
    report(
        "browser_sdk",
        "Browser SDK (bench/browser_sdk.py)",
        [size_table, f"{iterations} iterations per run, Chromium headless.", cost_table],
        {"sizes": sizes, "runs": results, "median": cost},
    )
    print(json.dumps({"sizes": sizes, "median": cost}))


if __name__ == "__main__":
    main()
