"""The pure domain of omnistock: standard library only, no I/O, no clock reads."""
