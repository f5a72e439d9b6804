"""Serve a site under fixtures/sites/ by hand: `python -m tests.sites forum` from the repository
root prints the environment `newsdesk crawl forum` (sites.toml's [sites.forum]) needs."""
import argparse
import time

from . import open_site

parser = argparse.ArgumentParser(prog="python -m tests.sites", description="Serve a test site on 127.0.0.1.")
parser.add_argument("site", help="a directory under fixtures/sites/ (forum, hostile, demo)")
parser.add_argument("--port", type=int, default=0)
args = parser.parse_args()
with open_site(args.site, port=args.port) as site:
    print(f"serving {args.site!r} at {site.url}; in another shell:", flush=True)
    print(" ".join(f"{k}={v}" for k, v in site.environment().items()), f"newsdesk crawl {args.site}", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
