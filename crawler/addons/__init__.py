"""Scrapy add-ons: components that change other settings when they are switched on (see settings.ADDONS)."""
