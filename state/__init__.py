"""The unified stock table in Redis: key builders, Lua scripts, the store adapters and the fake."""
