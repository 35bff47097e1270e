"""The HTTP API of omnistock (storefront and ops): routes, schemas, errors, metrics."""
