"""The REST API, version 1: thin views over tickets.services and tickets.queries."""
