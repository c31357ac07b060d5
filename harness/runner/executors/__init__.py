"""Executors other than the local thread pool: Ray tasks on a cluster (``ray_driver`` on the driver, ``ray_node`` on each node)."""
