"""industry-clusters: industrial clusters from enterprise registries, in PostGIS.

The data flows load -> cluster -> publish -> export; each step is one module
(``load``, ``cluster``, ``publish``, ``export``) and ``cli`` is a thin click layer
over them. ``db`` holds connections, the SQL-file runner, migrations and the
project-local PostgreSQL cluster.
"""

__version__ = "0.1.0"
