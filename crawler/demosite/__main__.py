import argparse
import time

from . import open_site

parser = argparse.ArgumentParser(prog="python -m crawler.demosite", description="Serve a demo news site.")
parser.add_argument("--site", default="demo")
parser.add_argument("--port", type=int, default=0)
args = parser.parse_args()
with open_site(args.site, port=args.port) as site:
    print(f"serving {args.site!r} at {site.url} (Ctrl-C to stop)", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
