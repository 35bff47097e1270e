"""The store associate's page: store.html, store.css and store.js, served by api.routes.store_page."""
