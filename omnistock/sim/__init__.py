"""The simulated retail network: stores, warehouses, suppliers and web shoppers making events."""
