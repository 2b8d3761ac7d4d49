"""The read-only HTTP API over the warehouse and its web page (`edge-assets serve`).

`app.create_app` builds the FastAPI app from an `ApiConfig`; `server.run` serves it. No Dagster:
the app reads the warehouse through a read-only engine and follows changes through a `ChangeFeed`.
The package init imports nothing, so importing a submodule loads only what it needs.
"""
