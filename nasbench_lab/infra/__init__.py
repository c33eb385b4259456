"""Infrastructure: atomic files, locks and claims, caches, process pools, settings, readers."""
