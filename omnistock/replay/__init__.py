"""`omnistock replay`: an event log replayed with draft routing rules, KPIs beside the live ones."""
