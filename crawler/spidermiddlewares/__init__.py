"""Spider middlewares: components on what a spider callback yields (see settings.SPIDER_MIDDLEWARES)."""
