"""`omnistock dev`: the embedded stack with a simulated retail network, and its screen."""
