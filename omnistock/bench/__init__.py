"""`omnistock bench`: every benchmark and load client (worker, holds, api, promise, routing, store, codec)."""
