"""UniCRM core: the customer graph, its services, the database layer and the plugin system."""
