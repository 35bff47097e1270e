"""The routers of the HTTP API, each built around the ports it is given."""
