"""`newsdesk serve`: a read-only browser interface to the database.

SQLite: Datasette (the ``serve`` extra) with newsdesk's metadata, canned search queries
and a charts page (datasette/). PostgreSQL, or SQLite without Datasette: newsdesk's own
small WSGI app (app.py) with the same pages. Charts are inline SVG (charts.py).
"""
