"""Trading tests run on both dialects, like the storage tests."""

from edge_assets_tests.storage.conftest import database_url  # noqa: F401  (the shared fixture)
