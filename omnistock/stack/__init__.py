"""The embedded stack: broker and Redis for dev and tests, child processes, run cleanup, worker metrics."""
