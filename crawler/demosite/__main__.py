import argparse
import time

from . import DemoSite

parser = argparse.ArgumentParser(prog="python -m crawler.demosite", description="Serve the demo news site.")
parser.add_argument("--port", type=int, default=0)
args = parser.parse_args()
with DemoSite(port=args.port) as site:
    print(f"serving the demo site at {site.url} (Ctrl-C to stop)", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
