"""The stream processors: a faust app whose agents apply batches of input events to the stock table."""
