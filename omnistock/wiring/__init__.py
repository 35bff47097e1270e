"""The composition root: the worker, the API and reconcile built from settings; called by omnistock.cli."""
