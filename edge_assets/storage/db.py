"""The operational SQL warehouse as a Dagster resource (see `edge_assets.storage.sql`)."""

from __future__ import annotations

import dagster as dg

from edge_assets.storage.sql import WarehouseTables, database_url_for_home

__all__ = ["Warehouse", "database_url_for_home"]


class Warehouse(dg.ConfigurableResource, WarehouseTables):
    """SQL tables of edge_assets: read frames, and write them idempotently in one transaction each."""

    url: str
