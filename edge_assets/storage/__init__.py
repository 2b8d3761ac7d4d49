"""Storage: the SQL warehouse and its migrations, the parquet lake, and the IO managers over them."""

from edge_assets.storage.db import Warehouse, database_url_for_home
from edge_assets.storage.io_managers import LakeIOManager, WarehouseIOManager
from edge_assets.storage.lake import Lake

__all__ = ["Lake", "LakeIOManager", "Warehouse", "WarehouseIOManager", "database_url_for_home"]
