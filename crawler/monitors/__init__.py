"""Site health: per-run figures, Spidermon monitor suites, alerts (README "Site health").

- thresholds.py: ``[sites.NAME.health]`` and its defaults
- figures.py: a run's figures from its Scrapy stats
- suites.py: the Spidermon monitors run at the end of a crawl and periodically during it
- alerts.py: webhook and e-mail alerts, once per new problem and once when it clears
- overdue.py: scheduled sites that have not run when they should have
"""
