"""Local stand-ins for the HTTP APIs the replaced systems pulled from (Chargebee's list subscriptions, an
exchange-rate API), on 127.0.0.1 only, for `make dev` and the tests. No real service is ever called."""
