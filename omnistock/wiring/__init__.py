"""The composition root: each process (worker, api, commands) built from settings; called by omnistock.cli."""
