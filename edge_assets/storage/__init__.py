"""Storage: the SQL warehouse and its migrations, the parquet lake, the IO managers over them, and the
quote stream. `sql`, `migrations` and `stream` know no Dagster; `db`, `lake` and `io_managers` are
the Dagster resources."""
